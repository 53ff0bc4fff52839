"""``BERTForMaskedLM``: the backbone and the masked-language-modelling head.

Attribute names follow Hugging Face (``bert``, ``cls``), so ``state_dict()`` keys equal a
Hugging Face checkpoint's. Besides ``forward`` (vocabulary logits) the model has the
helpers its documentation page lists: masking, loss, predictions, accuracy, and
``*_from_text`` variants that tokenize a string or a batch of strings first.
"""

from __future__ import annotations

from ..._tensor import Tensor
from ...nn import functional as F
from ._task import IGNORE_INDEX, TaskModel, accuracy, as_label_tensor, eval_mode, first_out_of_range, mask_tokens
from .config import BERTConfig
from .heads import BERTOnlyMLMHead
from .modeling import BERT

__all__ = ["BERTForMaskedLM"]


def _check_probability(p):
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"mlm_probability must be a probability in [0, 1], got {p!r}")


class BERTForMaskedLM(TaskModel):
    """BERT with the masked-language-modelling head: scores over the vocabulary per position.

    Args:
        config: the :class:`BERTConfig`. The backbone is built without a pooler (the head
            reads every position), and with ``config.tie_word_embedding`` the decoder reuses
            the word-embedding matrix.

    Masking (:meth:`create_masked_lm_inputs`) needs the ids of ``[MASK]``, ``[CLS]``,
    ``[SEP]`` and ``[PAD]``: they come from the arguments, else from ``config.mask_token_id``,
    ``cls_token_id``, ``sep_token_id`` and ``pad_token_id``, else the bert-base-uncased ids
    103, 101, 102 and 0. The ``*_from_text`` methods take them from the tokenizer.

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
        >>> loss = model.get_loss(labels=labels, input_ids=masked)
        >>> loss.shape
        ()
    """

    _hf_architecture = "BertForMaskedLM"
    # transformers 5 keeps decoder.bias apart from predictions.bias when embeddings are untied
    _saved_aliases = ("cls.predictions.decoder.bias",)

    def __init__(self, config: BERTConfig):
        super().__init__(config)
        self.bert = BERT(config, add_pooling_layer=False)
        self.cls = BERTOnlyMLMHead(config, self.bert.embeddings.word_embeddings.weight)

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
        sequence_output, _ = self._backbone(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        return self.cls(sequence_output)

    def _check_labels(self, labels, shape):
        """The token-id ``labels`` as a tensor on the model's device, checked against the
        input's ``(batch, seq)`` ``shape`` and the vocabulary."""
        labels = as_label_tensor(labels, self.device)
        if labels.dtype.kind not in "iu":
            raise TypeError(f"labels must be integer token ids ({IGNORE_INDEX} = ignore), got dtype {labels.dtype}")
        if labels.shape != shape:
            raise ValueError(f"labels of shape {labels.shape} do not match the input's shape {shape}")
        bad = first_out_of_range(labels.data, self.config.vocab_size, IGNORE_INDEX)
        if bad is not None:
            raise ValueError(f"labels must be token ids in [0, {self.config.vocab_size}) or {IGNORE_INDEX}, got {bad}")
        return labels

    def _labelled_logits(self, labels, input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds):
        """Logits ``(n, vocab)`` and targets ``(n,)`` at the labelled positions only: the
        vocabulary projection, the costliest matmul, runs on ~15% of the tokens. With nothing
        labelled, one ignored position stands in (loss 0, zero gradients)."""
        sequence_output, _ = self._backbone(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        b, s, h = sequence_output.shape
        labels = self._check_labels(labels, (b, s))
        flat, xp = labels.data.reshape(-1), labels.xp
        positions = xp.nonzero(flat != IGNORE_INDEX)[0]
        if positions.size == 0:
            positions = xp.zeros(1, dtype=positions.dtype)
        hidden = sequence_output.reshape(b * s, h)[Tensor._wrap(positions)]
        return self.cls(hidden), Tensor._wrap(flat[positions])

    def get_loss(self, labels, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                 inputs_embeds=None):
        """Mean cross-entropy over the positions whose label is not ``-100`` (a scalar tensor;
        0 when every label is ``-100``).

        Args:
            labels: ``(batch, seq)`` original token ids at masked positions, ``-100`` elsewhere
                (as :meth:`create_masked_lm_inputs` returns them).
            input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds: as in
                :meth:`forward`.
        """
        logits, targets = self._labelled_logits(labels, input_ids, attention_mask, token_type_ids, position_ids,
                                                inputs_embeds)
        return F.cross_entropy(logits, targets, ignore_index=IGNORE_INDEX)

    def predict_token_ids(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                          inputs_embeds=None):
        """The most likely token id at every position, ``(batch, seq)`` int64. Runs in eval
        mode without a graph (the model's mode is restored afterwards)."""
        with eval_mode(self):
            logits = self.forward(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
            return logits.argmax(axis=-1)

    def get_accuracy(self, labels, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                     inputs_embeds=None) -> float:
        """Fraction of labelled positions (label not ``-100``) whose argmax prediction equals
        the label; 0.0 when nothing is labelled. Runs in eval mode without a graph."""
        with eval_mode(self):
            logits, targets = self._labelled_logits(labels, input_ids, attention_mask, token_type_ids,
                                                    position_ids, inputs_embeds)
            t = targets.data
            return accuracy(logits.data.argmax(axis=-1), t, keep=t != IGNORE_INDEX)

    def create_masked_lm_inputs(self, input_ids, mlm_probability=0.15, special_tokens_mask=None,
                                attention_mask=None, mask_token_id=None, special_token_ids=None):
        """Mask a batch for masked-LM training, BERT's way.

        Each position that is neither a special token nor padding is selected with
        probability ``mlm_probability``. A selected token becomes ``[MASK]`` with probability
        0.8, a uniformly random token id with 0.1, and stays unchanged with 0.1. Labels hold
        the original id at selected positions and ``-100`` everywhere else. Randomness comes
        from ``lucid.random`` (reproducible after ``lucid.random.seed``).

        Args:
            input_ids: ``(batch, seq)`` integer tensor (or array/list).
            mlm_probability: selection probability in ``[0, 1]``.
            special_tokens_mask: ``(batch, seq)``, nonzero where a special token sits. When
                omitted, positions holding ``special_token_ids`` (default: the
                ``[CLS]``/``[SEP]``/``[PAD]``/``[MASK]`` ids, see the class notes) are special.
            attention_mask: ``(batch, seq)``; positions where it is 0 are never selected.
            mask_token_id: the ``[MASK]`` id (default from the config, else 103).
            special_token_ids: ids never selected when ``special_tokens_mask`` is omitted.

        Returns:
            ``(masked_input_ids, labels)``, both int64 ``(batch, seq)`` on ``input_ids``'s device.
        """
        _check_probability(mlm_probability)
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
            arr = m.data if isinstance(m, Tensor) else Tensor(m, device=ids.device).data
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
        masked, labels = mask_tokens(data, candidate, mlm_probability, mask_token_id, cfg.vocab_size)
        return Tensor._wrap(masked), Tensor._wrap(labels)

    def _mask_token_id(self, mask_token_id) -> int:
        """The ``[MASK]`` id (the config's when None), checked against the vocabulary."""
        if mask_token_id is None:
            mask_token_id = self.config.special_token_id("mask_token_id")
        if not 0 <= int(mask_token_id) < self.config.vocab_size:
            raise ValueError(f"mask_token_id {mask_token_id} is outside the vocabulary [0, {self.config.vocab_size})")
        return int(mask_token_id)

    def get_loss_from_text(self, tokenizer, text_a, text_b=None, device=None, max_length=None,
                           mlm_probability=0.15):
        """Tokenize, mask with :meth:`create_masked_lm_inputs` (special tokens and padding are
        never masked) and return the masked-LM loss.

        Args:
            tokenizer: a :class:`BERTTokenizerFast` (its ``[MASK]`` and special ids are used).
            text_a: one string or a list of strings.
            text_b: the second segment(s): a string, or a list as long as ``text_a``.
            device: where to run; default the model's device. Another device moves the model there
                (with a warning). ``"gpu"`` needs CuPy and a CUDA GPU.
            max_length: truncate each (pair) encoding to this many tokens (default
                ``config.max_position_embeddings``, the longest input the model takes).
            mlm_probability: fraction of tokens selected for masking.
        """
        enc = self._encode(tokenizer, text_a, text_b, device, max_length, special_tokens_mask=True)
        # The tokenizer's ids are checked once, by the backbone inside get_loss; masking needs
        # only the probability and the [MASK] id checked.
        _check_probability(mlm_probability)
        candidate = ~enc["special_tokens_mask"].data.astype(bool) & enc["attention_mask"].data.astype(bool)
        masked, labels = mask_tokens(enc["input_ids"].data, candidate, mlm_probability,
                                     self._mask_token_id(tokenizer.mask_token_id), self.config.vocab_size)
        return self.get_loss(labels=Tensor._wrap(labels), input_ids=Tensor._wrap(masked),
                             attention_mask=enc["attention_mask"], token_type_ids=enc["token_type_ids"])

    def predict_token_ids_from_text(self, tokenizer, text_a, text_b=None, device=None, max_length=None):
        """Tokenize (``[MASK]`` in the text stays one mask token) and return the argmax token
        id at every position, ``(batch, seq)`` int64 (padding positions included).

        Args:
            tokenizer, text_a, text_b, device, max_length: as in :meth:`get_loss_from_text`.
        """
        enc = self._encode(tokenizer, text_a, text_b, device, max_length)
        return self.predict_token_ids(**enc)

