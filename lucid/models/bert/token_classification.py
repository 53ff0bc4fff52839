"""``BERTForTokenClassification``: one label per WordPiece position (named entities, tags).

Attribute names follow Hugging Face's ``BertForTokenClassification`` (``bert`` without a
pooler, ``classifier`` with its dropout), so its checkpoints load by name, with the class
count read from ``id2label`` as for the sequence classifier. Beyond the original Lucid:
``word_labels=`` (one label per word, carried by the word's first piece) and
:meth:`~BERTForTokenClassification.predict_entities_from_text`, Hugging Face's
token-classification pipeline (``aggregation_strategy`` ``"simple"``, ``"first"``,
``"average"`` or ``"max"``).
"""

from __future__ import annotations

import numpy as np

from ...nn import functional as F
from . import _batching, _encodings
from ._scoring import check_num_labels, check_reduction, token_targets
from ._task import IGNORE_INDEX, TaskModel, accuracy, batch_texts, eval_mode, resolve_device
from .checkpoint import label_names
from .config import BERTConfig
from .heads import BERTClassificationHead
from .modeling import BERT
from .sequence_classification import BERTForSequenceClassification

__all__ = ["BERTForTokenClassification", "group_entities", "word_scores"]

_AGGREGATIONS = ("simple", "first", "average", "max")


def word_scores(probs, words, offsets, aggregation):
    """One ``(probabilities, (start, end))`` per word from its pieces' ``probs`` (rows),
    Hugging Face's word-level aggregation: the word takes the first piece's probabilities
    (``"first"``), their mean (``"average"``) or those of the piece with the largest one
    (``"max"``); it spans its first piece's start to its last piece's end. ``words`` holds
    each piece's word index.

    Example:
        >>> import numpy as np
        >>> probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
        >>> [(p.tolist(), span) for p, span in word_scores(probs, [0, 0, 1], [(0, 2), (2, 4), (5, 6)], "first")]
        [([0.9, 0.1], (0, 4)), ([0.6, 0.4], (5, 6))]
    """
    out, start = [], 0
    for i in range(1, len(words) + 1):
        if i < len(words) and words[i] == words[start]:
            continue
        rows = probs[start:i]
        if aggregation == "first":
            p = rows[0]
        elif aggregation == "average":
            p = rows.mean(axis=0)
        else:
            p = rows[int(rows.max(axis=1).argmax())]
        out.append((p, (offsets[start][0], offsets[i - 1][1])))
        start = i
    return out


def _tag(label):
    """``(B or I, type)`` of a label in the B-/I- scheme; a label without a prefix continues (I)."""
    if label.startswith(("B-", "I-")):
        return label[0], label[2:]
    return "I", label


def group_entities(text, labels, scores, offsets, ignore=("O",)):
    """Merge consecutive tokens into entities, Hugging Face's ``"simple"`` aggregation: a token
    joins the group before it when it has the same entity type and is not tagged ``B-``; a
    group is labelled with its first token's type and scored with the mean of its tokens'
    scores; groups labelled ``"O"`` are dropped.

    Args:
        text: the text the ``offsets`` (``(start, end)`` character spans) point into.
        labels, scores: each token's predicted label name and its probability.

    Returns:
        A list of ``{"entity": text[start:end], "label", "score", "start", "end"}``.

    Example:
        >>> group_entities("Ada Lovelace wrote", ["B-PER", "I-PER", "O"], [0.9, 0.7, 0.8],
        ...                [(0, 3), (4, 12), (13, 18)])
        [{'entity': 'Ada Lovelace', 'label': 'PER', 'score': 0.8, 'start': 0, 'end': 12}]
    """
    groups = []
    for label, score, (start, end) in zip(labels, scores, offsets):
        bi, kind = _tag(label)
        if groups and groups[-1]["kind"] == kind and bi != "B":
            groups[-1]["scores"].append(score)
            groups[-1]["end"] = end
        else:
            groups.append({"kind": kind, "label": label.split("-", 1)[-1], "scores": [score], "start": start,
                           "end": end})
    return [{"entity": text[g["start"]:g["end"]], "label": g["label"], "score": float(np.mean(g["scores"])),
             "start": int(g["start"]), "end": int(g["end"])} for g in groups if g["label"] not in ignore]


class BERTForTokenClassification(TaskModel):
    """BERT with a linear classifier on every position's hidden state.

    Args:
        config: the :class:`BERTConfig` (the backbone is built without a pooler). Label names
            come from ``config.id2label`` (``LABEL_0``, ... when it has none).
        num_labels: number of classes per token (default 2).

    Example:
        >>> import lucid
        >>> from lucid.models import BERTConfig, BERTForTokenClassification
        >>> cfg = BERTConfig.tiny(vocab_size=120, max_position_embeddings=32)
        >>> model = BERTForTokenClassification(cfg, num_labels=5)
        >>> ids = lucid.tensor([[101, 7, 8, 9, 102]])
        >>> model(input_ids=ids).shape
        (1, 5, 5)
        >>> model.get_loss(lucid.tensor([[-100, 1, 0, 4, -100]]), input_ids=ids).shape
        ()
    """

    _hf_architecture = "BertForTokenClassification"
    # the class count and label names are read and written as for the sequence classifier
    _from_checkpoint_config = classmethod(BERTForSequenceClassification._from_checkpoint_config.__func__)
    _config_extra = BERTForSequenceClassification._config_extra

    def __init__(self, config: BERTConfig, num_labels: int = 2):
        super().__init__(config)
        self.num_labels = check_num_labels(num_labels)
        self.bert = BERT(config, add_pooling_layer=False)
        self.classifier = BERTClassificationHead(config, self.num_labels)

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None):
        """Per-position logits ``(batch, seq, num_labels)``; arguments as in :meth:`BERT.forward`."""
        return self._token_outputs(self.classifier, input_ids, attention_mask, token_type_ids, position_ids,
                                   inputs_embeds)

    def get_loss(self, labels, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                 inputs_embeds=None, *, ignore_index=IGNORE_INDEX, reduction="mean"):
        """Cross-entropy over the positions whose label is not ``ignore_index``.

        Args:
            labels: ``(batch, seq)`` class ids, ``ignore_index`` where nothing is scored
                (special tokens, padding, a word's later pieces).
            reduction: ``"mean"`` (0 when nothing is labelled), ``"sum"``, or ``None`` for the
                ``(batch * seq,)`` per-position losses (0 at ignored positions).
        """
        check_reduction(reduction)
        logits = self.forward(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        b, s, c = logits.shape
        labels = token_targets(labels, (b, s), c, ignore_index, self.device)
        return F.cross_entropy(logits.reshape(b * s, c), labels.reshape(-1), reduction=reduction,
                               ignore_index=ignore_index)

    def predict_token_labels(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                             inputs_embeds=None):
        """The argmax class at every position, ``(batch, seq)`` int64 (eval mode, no graph)."""
        with eval_mode(self):
            return self.forward(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds).argmax(axis=-1)

    def get_accuracy(self, labels, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                     inputs_embeds=None, *, ignore_index=IGNORE_INDEX):
        """Fraction of labelled positions predicted right, a 0-d float32 tensor (0 when nothing
        is labelled). Eval mode, no graph."""
        pred = self.predict_token_labels(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        labels = token_targets(labels, pred.shape, self.num_labels, ignore_index, self.device)
        return accuracy(pred.data, labels.data, keep=labels.data != ignore_index)

    # ---- text ------------------------------------------------------------------------------------
    def _word_label_batch(self, tokenizer, texts_a, texts_b, word_labels, ignore_index, device, max_length):
        """Model inputs and ``(batch, seq)`` position labels from one label per word: each
        word's first piece carries its label, every other position ``ignore_index``."""
        if isinstance(texts_a, list) and len(texts_a) == 1 and word_labels and not isinstance(word_labels[0],
                                                                                             (list, tuple)):
            word_labels = [word_labels]  # one text, one flat list of labels
        if not isinstance(word_labels, (list, tuple)) or len(word_labels) != len(texts_a):
            raise ValueError(f"word_labels must hold one list of word labels per text ({len(texts_a)} texts), "
                             f"got {word_labels!r:.80}")
        counted = _encodings.encode_pieces(tokenizer, texts_a + (texts_b or []))
        encodings = _encodings.encode_with_offsets(tokenizer, texts_a, texts_b, max_length)
        inputs = _encodings.model_inputs(tokenizer, encodings, device)
        labels = np.full(inputs["input_ids"].shape, ignore_index, dtype=np.int64)
        n = len(texts_a)
        for i, (enc, wanted) in enumerate(zip(encodings, word_labels)):
            first = _encodings.word_count(counted[i])
            total = first + (_encodings.word_count(counted[n + i]) if texts_b else 0)
            if len(wanted) != total:
                raise ValueError(f"text {i} has {total} words but {len(wanted)} word labels were given")
            seen = set()
            for pos, (word, seq) in enumerate(zip(enc.word_ids, enc.sequence_ids)):
                if word is None:
                    continue
                word += first if seq == 1 else 0
                if word not in seen:  # a word's first piece
                    seen.add(word)
                    labels[i, pos] = wanted[word]
        return inputs, labels

    def get_loss_from_text(self, tokenizer, text_a, text_b=None, labels=None, *, device=None,
                           ignore_index=IGNORE_INDEX, reduction="mean", max_length=None, word_labels=None):
        """Tokenize and return :meth:`get_loss`; give ``labels`` or ``word_labels``.

        Args:
            tokenizer: a :class:`BERTTokenizerFast`.
            text_a, text_b: one string or a list of strings (``text_b``: second segments).
            labels: per-WordPiece labels ``(batch, seq)`` of the padded encoding (special
                tokens included), as the original Lucid takes them.
            word_labels: instead, one label per word (what BERT's pre-tokenizer splits off:
                whitespace- and punctuation-separated; those of ``text_b`` follow ``text_a``'s);
                a flat list for one text, a list of lists for a batch. The first piece of each
                word carries its label, every other position ``ignore_index``; labels of words a
                truncation cut off are dropped.
            device: where to run; default the model's device (another one moves the model, with a warning).
            ignore_index, reduction: as in :meth:`get_loss`.
            max_length: truncate each encoding to this many tokens (default
                ``config.max_position_embeddings``).

        The texts run as one batch: a loss's graph spans every text until ``backward`` (see
        :ref:`batched-text-inference`).
        """
        if (labels is None) == (word_labels is None):
            raise ValueError("get_loss_from_text needs exactly one of labels (per WordPiece position) and "
                             "word_labels (one per word)")
        if labels is not None:
            enc = self._encode(tokenizer, text_a, text_b, device, max_length)
            return self.get_loss(labels, **enc, ignore_index=ignore_index, reduction=reduction)
        texts_a, texts_b = batch_texts(text_a, text_b)
        device = resolve_device(self, device)
        inputs, position_labels = self._word_label_batch(tokenizer, texts_a, texts_b, list(word_labels),
                                                         ignore_index, device,
                                                         max_length or self.config.max_position_embeddings)
        return self.get_loss(position_labels, **inputs, ignore_index=ignore_index, reduction=reduction)

    def predict_token_labels_from_text(self, tokenizer, text_a, text_b=None, *, device=None, max_length=None,
                                       batch_size=32, progress=False):
        """Tokenize and return :meth:`predict_token_labels`, ``(batch, seq)`` int64 over the
        encodings (special tokens included): ``seq`` is the longest encoding of the texts, and
        the positions past a text's encoding hold ``-100`` (``IGNORE_INDEX``, the label no
        loss or metric counts).

        Arguments as in :meth:`get_loss_from_text`; ``batch_size`` texts run per forward pass,
        longest first, and ``progress=True`` draws a bar (see :ref:`batched-text-inference`).

        Example:
            >>> from lucid.models import BERTConfig, BERTTokenizerFast
            >>> tagger = BERTForTokenClassification(BERTConfig.tiny(vocab_size=5), num_labels=3)
            >>> tags = tagger.predict_token_labels_from_text(BERTTokenizerFast(), ["[UNK] [UNK] [UNK]", "[UNK]"])
            >>> tags.shape, tags[1, 3:].tolist()
            ((2, 5), [-100, -100])
        """
        texts = _batching.EncodedTexts(self, tokenizer, text_a, text_b, device, max_length)
        return texts.run(lambda rows: self.predict_token_labels(**texts.inputs(rows)), batch_size=batch_size,
                         progress=progress, pad=IGNORE_INDEX)

    def predict_entities_from_text(self, tokenizer, text, *, aggregation="simple", device=None, max_length=None,
                                   batch_size=32, progress=False):
        """The entities in ``text``, as Hugging Face's token-classification pipeline finds them
        with ``aggregation_strategy=aggregation`` (see :func:`group_entities`).

        Args:
            tokenizer: a :class:`BERTTokenizerFast`.
            text: one string (gives one list of entities) or a list of strings (a list per text).
            aggregation: ``"simple"``: WordPieces merge by their B-/I- tags (the pieces of one
                word may get different labels). ``"first"``, ``"average"``, ``"max"``: each word
                first takes one label (its first piece's, the mean of its pieces'
                probabilities, or the most confident piece's; see :func:`word_scores`), then
                words merge; ``"first"`` suits a model trained with ``word_labels=``. Words
                are what the tokenizer's pre-tokenizer splits (Hugging Face tells a
                continuation piece by its ``##``, which agrees for BERT's WordPiece).
            device, max_length: as in :meth:`get_loss_from_text` (a longer text is cut there).
            batch_size, progress: as in :meth:`predict_token_labels_from_text`.

        Returns:
            Per text, a list of ``{"entity", "label", "score", "start", "end"}``: ``entity`` is
            ``text[start:end]`` (character offsets into the text), ``label`` the entity type
            (the label name without its ``B-``/``I-`` prefix; names from
            ``config.id2label``), ``score`` the mean score of its tokens (or words).

        Example:
            >>> from lucid.models import BERTConfig, BERTTokenizerFast
            >>> tok = BERTTokenizerFast(vocab={w: i for i, w in enumerate(
            ...     ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "ada", "wrote"])})
            >>> cfg = BERTConfig.tiny(vocab_size=7, id2label={0: "O", 1: "B-PER", 2: "I-PER"})
            >>> found = BERTForTokenClassification(cfg, num_labels=3).predict_entities_from_text(
            ...     tok, ["ada wrote", "ada"], batch_size=1)
            >>> len(found), all(e["entity"] in ("ada", "wrote", "ada wrote") for e in found[0])
            (2, True)
        """
        if aggregation not in _AGGREGATIONS:
            raise ValueError(f"aggregation must be one of {list(_AGGREGATIONS)}, got {aggregation!r}")
        texts = _batching.EncodedTexts(self, tokenizer, text, None, device, max_length)
        names = label_names(self.config, self.num_labels)

        def step(rows):
            probs = F.softmax(self.forward(**texts.inputs(rows)), axis=-1).numpy()
            return [self._entities(texts.texts_a[i], texts.encodings[i], p, names, aggregation)
                    for i, p in zip(rows, probs)]

        found = texts.run(step, batch_size=batch_size, progress=progress)
        return found[0] if isinstance(text, str) else found

    @staticmethod
    def _entities(text, enc, probs, names, aggregation):
        """The entities of one text from its encoding and its positions' ``probs`` (rows)."""
        keep = [i for i, special in enumerate(enc.special_tokens_mask) if not special]
        offsets = [enc.offsets[i] for i in keep]
        if aggregation == "simple":
            units = list(zip(probs[keep], offsets))
        else:
            units = word_scores(probs[keep], [enc.word_ids[i] for i in keep], offsets, aggregation)
        best = [int(u.argmax()) for u, _ in units]
        return group_entities(text, [names[k] for k in best], [float(u[k]) for (u, _), k in zip(units, best)],
                              [span for _, span in units])
