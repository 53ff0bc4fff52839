"""``BERTForMaskedLM``: the backbone and the masked-language-modelling head.

Attribute names follow Hugging Face (``bert``, ``cls``), so ``state_dict()`` keys equal a
Hugging Face checkpoint's. Besides ``forward`` (vocabulary logits) the model has the
helpers its documentation page lists: masking, loss, predictions, accuracy, and
``*_from_text`` variants that tokenize a string or a batch of strings first.
"""

from __future__ import annotations

from ... import _backend
from ..._tensor import Tensor
from ...nn import functional as F
from ...ops.creation import zeros
from ...ops.shape import concatenate
from ._batching import EncodedTexts
from ._task import (IGNORE_INDEX, TaskModel, accuracy, as_label_tensor, eval_mode, first_out_of_range, mask_array,
                    mask_tokens)
from .config import BERTConfig
from .fill_mask import fill_mask
from .heads import BERTOnlyMLMHead
from .modeling import BERT

__all__ = ["BERTForMaskedLM"]


class BERTForMaskedLM(TaskModel):
    """BERT with the masked-language-modelling head: scores over the vocabulary per position.

    Args:
        config: the :class:`BERTConfig`. The backbone is built without a pooler (the head
            reads every position; a checkpoint's pooler weights are ignored, with a warning),
            and with ``config.tie_word_embedding`` the decoder reuses the word-embedding matrix.

    Masking (:meth:`create_masked_lm_inputs`) needs the ids of ``[MASK]``, ``[CLS]``,
    ``[SEP]`` and ``[PAD]``: they come from the arguments, else from ``config.mask_token_id``,
    ``cls_token_id``, ``sep_token_id`` and ``pad_token_id``, else the bert-base-uncased ids
    103, 101, 102 and 0. The ``*_from_text`` methods take them from the tokenizer. Unlike the
    original Lucid, which skipped only padding, special tokens are never selected.

    Example:
        >>> import lucid
        >>> from lucid.models import BERTConfig, BERTForMaskedLM
        >>> cfg = BERTConfig(vocab_size=120, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
        ...                  intermediate_size=32, max_position_embeddings=32)
        >>> model = BERTForMaskedLM(cfg)
        >>> input_ids = lucid.tensor([[101, 7, 8, 9, 10, 11, 102]])
        >>> model(input_ids=input_ids).shape
        (1, 7, 120)
        >>> masked, labels = model.create_masked_lm_inputs(input_ids, mlm_probability=0.5)
        >>> loss = model.get_loss(labels, masked)
        >>> loss.shape, model.get_loss(labels, masked, reduction=None).shape
        ((), (7,))
    """

    _hf_architecture = "BertForMaskedLM"
    # transformers 5 keeps decoder.bias apart from predictions.bias when embeddings are untied
    _saved_aliases = ("cls.predictions.decoder.bias",)

    def __init__(self, config: BERTConfig):
        super().__init__(config)
        self.bert = BERT(config, add_pooling_layer=False)
        self.cls = BERTOnlyMLMHead(config, self.bert.embeddings.word_embeddings.weight)

    def _lm_head(self):
        return self.cls.predictions

    def _tied_names(self) -> dict:
        tied = {"cls.predictions.decoder.bias": "cls.predictions.bias"}
        if self.cls.predictions.decoder.weight is self.bert.embeddings.word_embeddings.weight:
            tied["cls.predictions.decoder.weight"] = "bert.embeddings.word_embeddings.weight"
        return tied

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None):
        """Vocabulary logits of shape ``(batch, seq, vocab_size)``.

        Args:
            input_ids: ``(batch, seq)`` token ids (or give ``inputs_embeds``).
            attention_mask: 1 for real tokens, 0 for padding (2-D), or a 3-D/4-D mask.
            token_type_ids: segment ids (default all 0).
            position_ids: positions (default ``0..seq-1``).
            inputs_embeds: ``(batch, seq, hidden)`` word embeddings instead of ``input_ids``.
        """
        return self._token_outputs(self.cls, input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)

    def _check_labels(self, labels, shape, ignore_index):
        """The token-id ``labels`` (``(batch, seq)``, or flat ``(batch*seq,)`` as the original took
        them) as a flat tensor on the model's device, checked against the input's ``shape``
        and the vocabulary."""
        labels = as_label_tensor(labels, self.device)
        if labels.dtype.kind not in "iu":
            raise TypeError(f"labels must be integer token ids ({ignore_index} = ignore), got dtype {labels.dtype}")
        if labels.shape not in (shape, (shape[0] * shape[1],)):
            raise ValueError(f"labels of shape {labels.shape} do not match the input's shape {shape}")
        bad = first_out_of_range(labels.data, self.config.vocab_size, ignore_index)
        if bad is not None:
            raise ValueError(f"labels must be token ids in [0, {self.config.vocab_size}) or {ignore_index}, got {bad}")
        return labels.reshape(-1)

    def _labelled_logits(self, labels, ignore_index, input_ids, attention_mask, token_type_ids, position_ids,
                         inputs_embeds):
        """Logits ``(n, vocab)``, targets ``(n,)`` and flat positions ``(n,)`` of the labelled
        positions, and the number of positions ``batch*seq``. Only labelled positions: the
        vocabulary projection, the costliest matmul, runs on ~15% of the tokens. With nothing
        labelled, position 0 (ignored) stands in (loss 0, zero gradients)."""
        sequence_output, _ = self._backbone(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        b, s, h = sequence_output.shape
        flat = self._check_labels(labels, (b, s), ignore_index).data
        xp = _backend.xp_of(flat)
        positions = xp.nonzero(flat != ignore_index)[0]
        if positions.size == 0:
            positions = xp.zeros(1, dtype=positions.dtype)
        hidden = sequence_output.reshape(b * s, h)[Tensor._wrap(positions)]
        return self.cls(hidden), Tensor._wrap(flat[positions]), positions, b * s

    def get_loss(self, labels, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                 inputs_embeds=None, *, ignore_index=IGNORE_INDEX, reduction="mean"):
        """The cross-entropy over the positions whose label is not ``ignore_index``.

        Args:
            labels: ``(batch, seq)`` (or flat ``(batch*seq,)``) original token ids at masked
                positions, ``ignore_index`` elsewhere (as :meth:`create_masked_lm_inputs`
                returns them).
            input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds: as in
                :meth:`forward`.
            ignore_index: the label of positions no loss counts.
            reduction: ``"mean"`` (a scalar; 0 when nothing is labelled), ``"sum"``, or ``None``:
                the per-position losses, a ``(batch*seq,)`` vector with 0 at ignored positions.
        """
        logits, targets, positions, n = self._labelled_logits(labels, ignore_index, input_ids, attention_mask,
                                                              token_type_ids, position_ids, inputs_embeds)
        loss = F.cross_entropy(logits, targets, ignore_index=ignore_index, reduction=reduction)
        if loss.ndim == 0:
            return loss
        # per position: the labelled losses put back in place, through an index (differentiable),
        # slot 0 being a zero for every ignored position
        xp = _backend.xp_of(positions)
        slot = xp.zeros(n, dtype=xp.int64)
        slot[positions] = xp.arange(1, positions.size + 1)
        return concatenate([zeros(1, dtype=loss.dtype, device=loss.device), loss])[Tensor._wrap(slot)]

    def predict_token_ids(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                          inputs_embeds=None):
        """The most likely token id at every position, ``(batch, seq)`` int64. Runs in eval
        mode without a graph (the model's mode is restored afterwards)."""
        with eval_mode(self):
            logits = self.forward(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
            return logits.argmax(axis=-1)

    def get_accuracy(self, labels, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                     inputs_embeds=None, *, ignore_index=IGNORE_INDEX):
        """Fraction of labelled positions (label not ``ignore_index``) whose argmax prediction
        equals the label, a 0-d float32 Tensor (0.0 when nothing is labelled). Runs in eval
        mode without a graph."""
        with eval_mode(self):
            logits, targets, _, _ = self._labelled_logits(labels, ignore_index, input_ids, attention_mask,
                                                       token_type_ids, position_ids, inputs_embeds)
            t = targets.data
            return accuracy(logits.data.argmax(axis=-1), t, keep=t != ignore_index)

    def create_masked_lm_inputs(self, input_ids, attention_mask=None, special_tokens_mask=None, *,
                                mask_token_id=None, mlm_probability=0.15, mask_replace_prob=0.8,
                                random_replace_prob=0.1, ignore_index=IGNORE_INDEX, special_token_ids=None):
        """Mask a batch for masked-LM training, BERT's way.

        Each position that is neither a special token nor padding is selected with
        probability ``mlm_probability``. A selected token becomes ``[MASK]`` with probability
        ``mask_replace_prob``, a uniformly random token id with ``random_replace_prob``, and
        stays unchanged otherwise (80/10/10 by default). Labels hold the original id at
        selected positions and ``ignore_index`` everywhere else. Randomness comes from
        ``lucid.random`` (reproducible after ``lucid.random.seed``).

        Args:
            input_ids: ``(batch, seq)`` integer tensor (or array/list).
            attention_mask: ``(batch, seq)``; positions where it is 0 are never selected.
            special_tokens_mask: ``(batch, seq)``, nonzero where a special token sits. When
                omitted, positions holding ``special_token_ids`` (default: the
                ``[CLS]``/``[SEP]``/``[PAD]``/``[MASK]`` ids, see the class notes) are special.
            mask_token_id: the ``[MASK]`` id (default from the config, else 103).
            mlm_probability, mask_replace_prob, random_replace_prob: the probabilities above,
                each in ``[0, 1]``; the last two add up to at most 1.
            ignore_index: the label of unselected positions.
            special_token_ids: (a lucid addition) ids never selected when
                ``special_tokens_mask`` is omitted.

        Returns:
            ``(masked_input_ids, labels)``, both int64 ``(batch, seq)`` on ``input_ids``'s device.
        """
        ids = input_ids if isinstance(input_ids, Tensor) else Tensor(input_ids, device=self.device)
        if ids.dtype.kind not in "iu":
            raise TypeError(f"input_ids must be integer token ids, got dtype {ids.dtype}")
        if ids.ndim != 2:
            raise ValueError(f"input_ids must be 2-D (batch, sequence), got shape {ids.shape}")
        BERT._check_ids(ids, "input_ids", self.config.vocab_size, "vocab_size")
        xp = ids.xp
        data = ids.data.astype(xp.int64, copy=False)
        cfg = self.config
        mask_token_id = self._mask_token_id(mask_token_id)

        def as_array(m, name):
            arr = m.data if isinstance(m, Tensor) else xp.asarray(mask_array(m, name))
            if tuple(arr.shape) != tuple(data.shape):
                raise ValueError(f"{name} of shape {tuple(arr.shape)} does not match input_ids' shape {ids.shape}")
            return arr.astype(bool)

        if special_tokens_mask is not None:
            special = as_array(special_tokens_mask, "special_tokens_mask")
        else:
            if special_token_ids is None:
                special_token_ids = [cfg.special_token_id(n) for n in ("cls_token_id", "sep_token_id", "pad_token_id")]
                special_token_ids.append(mask_token_id)
            special = xp.isin(data, xp.asarray(list(special_token_ids), dtype=xp.int64))
        candidate = ~special
        if attention_mask is not None:
            candidate &= as_array(attention_mask, "attention_mask")
        masked, labels = mask_tokens(data, candidate, mlm_probability, mask_token_id, cfg.vocab_size,
                                     mask_replace_prob, random_replace_prob, ignore_index)
        return Tensor._wrap(masked), Tensor._wrap(labels)

    def _mask_token_id(self, mask_token_id) -> int:
        """The ``[MASK]`` id (the config's when None), checked against the vocabulary."""
        if mask_token_id is None:
            mask_token_id = self.config.special_token_id("mask_token_id")
        if not 0 <= int(mask_token_id) < self.config.vocab_size:
            raise ValueError(f"mask_token_id {mask_token_id} is outside the vocabulary [0, {self.config.vocab_size})")
        return int(mask_token_id)

    def get_loss_from_text(self, tokenizer, text_a, text_b=None, *, device=None, mask_token_id=None,
                           mlm_probability=0.15, mask_replace_prob=0.8, random_replace_prob=0.1,
                           ignore_index=IGNORE_INDEX, reduction="mean", max_length=None):
        """Tokenize, mask as :meth:`create_masked_lm_inputs` does (special tokens and padding are
        never masked) and return :meth:`get_loss`.

        Args:
            tokenizer: a :class:`BERTTokenizerFast` (its special-token marks are used).
            text_a: one string or a list of strings.
            text_b: the second segment(s): a string, or a list as long as ``text_a``.
            device: where to run; default the model's device. Another device moves the model there
                (with a warning). ``"gpu"`` needs CuPy and a CUDA GPU.
            mask_token_id: the ``[MASK]`` id; default the tokenizer's.
            mlm_probability, mask_replace_prob, random_replace_prob, ignore_index: as in
                :meth:`create_masked_lm_inputs`.
            reduction: as in :meth:`get_loss`.
            max_length: truncate each (pair) encoding to this many tokens (default
                ``config.max_position_embeddings``, the longest input the model takes).

        The texts run as one batch: a loss's graph spans every text until ``backward`` (see
        :ref:`batched-text-inference`).
        """
        enc = self._encode(tokenizer, text_a, text_b, device, max_length, special_tokens_mask=True)
        # The tokenizer's ids are checked once, by the backbone inside get_loss; masking needs
        # only its probabilities and the [MASK] id checked.
        candidate = ~enc["special_tokens_mask"].data.astype(bool) & enc["attention_mask"].data.astype(bool)
        mask_id = self._mask_token_id(tokenizer.mask_token_id if mask_token_id is None else mask_token_id)
        masked, labels = mask_tokens(enc["input_ids"].data, candidate, mlm_probability, mask_id,
                                     self.config.vocab_size, mask_replace_prob, random_replace_prob, ignore_index)
        return self.get_loss(Tensor._wrap(labels), Tensor._wrap(masked), enc["attention_mask"], enc["token_type_ids"],
                             ignore_index=ignore_index, reduction=reduction)

    def predict_token_ids_from_text(self, tokenizer, text_a, text_b=None, *, device=None, max_length=None,
                                    batch_size=32, progress=False):
        """Tokenize (``[MASK]`` in the text stays one mask token) and return the argmax token
        id at every position, ``(batch, seq)`` int64: ``seq`` is the longest encoding of the
        texts, and the positions past a text's encoding hold ``tokenizer.pad_token_id`` (what
        the input holds there).

        Arguments as in :meth:`get_loss_from_text`; ``batch_size`` texts run per forward pass,
        longest first, and ``progress=True`` draws a bar (see :ref:`batched-text-inference`).

        Example:
            >>> from lucid.models import BERTConfig, BERTTokenizerFast
            >>> mlm = BERTForMaskedLM(BERTConfig.tiny(vocab_size=5))
            >>> ids = mlm.predict_token_ids_from_text(BERTTokenizerFast(), ["[UNK] [MASK] [UNK]", "[UNK]"], batch_size=1)
            >>> ids.shape, ids[1, 3:].tolist()
            ((2, 5), [0, 0])
        """
        texts = EncodedTexts(self, tokenizer, text_a, text_b, device, max_length)
        return texts.run(lambda rows: self.predict_token_ids(**texts.inputs(rows)), batch_size=batch_size,
                         progress=progress, pad=tokenizer.pad_token_id)

    def fill_mask_from_text(self, tokenizer, text, *, top_k=5, device=None, max_length=None, batch_size=32,
                            progress=False):
        """The ``top_k`` most likely tokens for each ``[MASK]`` of ``text``, as Hugging Face's
        fill-mask pipeline gives them: per mask a list of ``{"token", "token_id", "score",
        "sequence"}`` (``token`` the decoded token, ``score`` its softmax probability,
        ``sequence`` the text with that mask filled), best first. A text with one mask gives
        that list; with several, a list of them (one per mask, in order). A list of texts
        gives a list of results, one per text (also for a list of one, unlike the pipeline),
        run ``batch_size`` texts per forward pass (longest first; ``progress=True`` shows a
        bar on standard error).

        Raises:
            ValueError: a text without the tokenizer's mask token, or ``top_k`` < 1.

        Example:
            >>> from lucid.models import BERTConfig, BERTTokenizerFast
            >>> tok = BERTTokenizerFast(vocab={w: i for i, w in enumerate(
            ...     ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "good", "movie"])})
            >>> model = BERTForMaskedLM(BERTConfig(vocab_size=8, hidden_size=8, num_hidden_layers=1,
            ...                                    num_attention_heads=2, intermediate_size=16))
            >>> [len(masks) for masks in model.fill_mask_from_text(tok, "[MASK] good [MASK]", top_k=3)]
            [3, 3]
        """
        return fill_mask(self, tokenizer, text, top_k=top_k, device=device, max_length=max_length,
                         batch_size=batch_size, progress=progress)
