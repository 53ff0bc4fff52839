"""Task models: ``BERTForMaskedLM`` and ``BERTForSequenceClassification``.

Besides ``forward`` (logits), each model has the helpers its documentation page lists:
losses, predictions, accuracy, and ``*_from_text`` variants that tokenize a string or a
batch of strings first. Attribute names follow Hugging Face (``bert``, ``cls``,
``classifier``), so ``state_dict()`` keys equal a Hugging Face checkpoint's.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np

from ... import _backend, nn
from ..._function import no_grad
from ..._tensor import Tensor
from ...nn import functional as F
from ...random import generator
from .checkpoint import PretrainedMixin
from .config import BERTConfig
from .heads import BERTClassificationHead, BERTOnlyMLMHead
from .modeling import BERT

__all__ = ["BERTForMaskedLM", "BERTForSequenceClassification"]

IGNORE_INDEX = -100


# ---- shared helpers --------------------------------------------------------------------------
@contextlib.contextmanager
def _eval_mode(model):
    """Run a prediction with dropout off and no graph, then restore every submodule's mode."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with no_grad():
            yield
    finally:
        for m, mode in modes:
            m.training = mode


def resolve_device(model, device) -> str:
    """The device a ``*_from_text`` call runs on: the model's when ``device`` is None.

    A ``device`` other than the model's moves the model there first (in place, with a
    warning naming both devices), so ``model.get_loss_from_text(..., device="gpu")`` runs
    as the documentation shows it even on a freshly built (CPU) model.

    Raises:
        RuntimeError: ``device="gpu"`` where CuPy or a CUDA GPU is missing.
        ValueError: an unknown device name.
    """
    model_device = model.device
    if device is None:
        return model_device
    device = _backend.check_device(device)
    if device == "gpu":
        _backend.get_xp("gpu")  # explains a missing CuPy / CUDA device
    if device != model_device:
        warnings.warn(
            f"device={device!r} was requested but the model is on {model_device!r}: moving the model to "
            f"{device!r} (optimizers made before keep their state on {model_device!r}; call "
            f"model.to({device!r}) first to avoid this)",
            stacklevel=3,
        )
        model.to(device)
    return device


def _batch_texts(text_a, text_b):
    """``(texts_a, texts_b or None)`` as lists of strings of one length."""
    if isinstance(text_a, str):
        if text_b is not None and not isinstance(text_b, str):
            raise ValueError(f"text_a is one string, so text_b must be one string or None, got {type(text_b).__name__}")
        return [text_a], None if text_b is None else [text_b]
    if not isinstance(text_a, (list, tuple)) or not all(isinstance(t, str) for t in text_a):
        raise TypeError(f"text_a must be a string or a list of strings, got {type(text_a).__name__}")
    if len(text_a) == 0:
        raise ValueError("text_a is an empty list: give at least one text")
    if text_b is None:
        return list(text_a), None
    if isinstance(text_b, str) or not isinstance(text_b, (list, tuple)) or len(text_b) != len(text_a):
        got = "a string" if isinstance(text_b, str) else f"{type(text_b).__name__} of length {len(text_b) if hasattr(text_b, '__len__') else '?'}"
        raise ValueError(f"text_b must be a list of {len(text_a)} strings to pair with text_a, got {got}")
    if not all(isinstance(t, str) for t in text_b):
        raise TypeError("text_b must hold strings only")
    return list(text_a), list(text_b)


def encode_texts(tokenizer, text_a, text_b=None, max_length=None, device="cpu", special_tokens_mask=False) -> dict:
    """Tokenize one text or a batch (optionally paired) into right-padded int64 id tensors
    ``(batch, seq)`` on ``device``: ``input_ids``, ``token_type_ids``, ``attention_mask``
    (and ``special_tokens_mask`` when asked), each encoding truncated (longest text of a pair
    first) to ``max_length`` tokens."""
    texts_a, texts_b = _batch_texts(text_a, text_b)
    kwargs = {"return_special_tokens_mask": True} if special_tokens_mask else {}
    enc = tokenizer.batch_encode(
        texts_a, text_pairs=texts_b, add_special_tokens=True, padding=True, max_length=max_length,
        truncation=True, return_tensor=True, device=device, **kwargs,
    )
    keys = ("input_ids", "token_type_ids", "attention_mask") + (("special_tokens_mask",) if special_tokens_mask else ())
    return {k: enc[k] for k in keys}


def _as_label_tensor(labels, device, name="labels"):
    if isinstance(labels, Tensor):
        _backend.check_on(device, labels, name)
        return labels
    arr = np.asarray(labels)
    if arr.dtype.kind == "f":
        arr = arr.astype(np.float32)
    elif arr.dtype.kind in "iub":
        arr = arr.astype(np.int64)
    else:
        raise TypeError(f"{name} must be ints, floats or a tensor, got {type(labels).__name__}")
    return Tensor(arr, device=device)


class _TaskModel(PretrainedMixin, nn.Module):
    """What both task models share: the backbone's device and dtype, and input checks."""

    @property
    def device(self) -> str:
        """The device of the model's parameters (``"cpu"`` or ``"gpu"``)."""
        return self.bert.device

    @property
    def dtype(self):
        """The floating dtype of the model's parameters."""
        return self.bert.dtype

    def _max_length(self, max_length):
        """``max_length`` of a ``*_from_text`` call; None means the longest the model takes."""
        return self.config.max_position_embeddings if max_length is None else max_length

    def _backbone(self, input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds):
        return self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                         position_ids=position_ids, inputs_embeds=inputs_embeds)


# ---- masked language modelling ---------------------------------------------------------------
class BERTForMaskedLM(_TaskModel):
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
        super().__init__()
        if not isinstance(config, BERTConfig):
            raise TypeError(f"config must be a BERTConfig, got {type(config).__name__}")
        self.config = config
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

    def _labelled_logits(self, labels, input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds):
        """Logits ``(n, vocab)`` and targets ``(n,)`` at the labelled positions only: the
        vocabulary projection, the costliest matmul, runs on ~15% of the tokens."""
        sequence_output, _ = self._backbone(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        b, s, h = sequence_output.shape
        labels = _as_label_tensor(labels, self.device)
        if labels.dtype.kind not in "iu":
            raise TypeError(f"labels must be integer token ids (-100 = ignore), got dtype {labels.dtype}")
        if labels.shape != (b, s):
            raise ValueError(f"labels of shape {labels.shape} do not match the input's shape {(b, s)}")
        xp = labels.xp
        flat = labels.data.reshape(-1)
        bad = (flat != IGNORE_INDEX) & ((flat < 0) | (flat >= self.config.vocab_size))
        if bool(bad.any()):
            raise ValueError(
                f"labels must be token ids in [0, {self.config.vocab_size}) or {IGNORE_INDEX}, got "
                f"{int(flat[bad][0])}"
            )
        positions = xp.nonzero(flat != IGNORE_INDEX)[0]
        if positions.size == 0:
            positions = xp.zeros(1, dtype=positions.dtype)  # one ignored target: loss 0, zero grads
        hidden = sequence_output.reshape(b * s, h)[Tensor._wrap(positions)]
        logits = self.cls(hidden)
        return logits, Tensor._wrap(flat[positions])

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
        with _eval_mode(self):
            logits = self.forward(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
            return logits.argmax(axis=-1)

    def get_accuracy(self, labels, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                     inputs_embeds=None) -> float:
        """Fraction of labelled positions (label not ``-100``) whose argmax prediction equals
        the label; 0.0 when nothing is labelled. Runs in eval mode without a graph."""
        with _eval_mode(self):
            logits, targets = self._labelled_logits(labels, input_ids, attention_mask, token_type_ids,
                                                    position_ids, inputs_embeds)
            t = targets.data
            keep = t != IGNORE_INDEX
            n = int(keep.sum())
            if n == 0:
                return 0.0
            hits = (logits.data.argmax(axis=-1) == t) & keep
            return float(int(hits.sum()) / n)

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
        if isinstance(mlm_probability, bool) or not isinstance(mlm_probability, (int, float)) or not (
                0.0 <= mlm_probability <= 1.0):
            raise ValueError(f"mlm_probability must be a probability in [0, 1], got {mlm_probability!r}")
        ids = input_ids if isinstance(input_ids, Tensor) else Tensor(np.asarray(input_ids), device=self.device)
        if ids.dtype.kind not in "iu":
            raise TypeError(f"input_ids must be integer token ids, got dtype {ids.dtype}")
        if ids.ndim != 2:
            raise ValueError(f"input_ids must be 2-D (batch, sequence), got shape {ids.shape}")
        BERT._check_ids(ids, "input_ids", self.config.vocab_size, "vocab_size")
        xp, device = ids.xp, ids.device
        data = ids.data.astype(xp.int64, copy=False)
        cfg = self.config
        if mask_token_id is None:
            mask_token_id = cfg.special_token_id("mask_token_id")
        if not 0 <= int(mask_token_id) < cfg.vocab_size:
            raise ValueError(f"mask_token_id {mask_token_id} is outside the vocabulary [0, {cfg.vocab_size})")

        def as_array(m, name):
            arr = m.data if isinstance(m, Tensor) else xp.asarray(np.asarray(m))
            if tuple(arr.shape) != tuple(data.shape):
                raise ValueError(f"{name} of shape {tuple(arr.shape)} does not match input_ids' shape {ids.shape}")
            return arr.astype(bool)

        if special_tokens_mask is not None:
            special = as_array(special_tokens_mask, "special_tokens_mask")
        else:
            if special_token_ids is None:
                special_token_ids = [cfg.special_token_id(n) for n in ("cls_token_id", "sep_token_id", "pad_token_id")]
                special_token_ids.append(int(mask_token_id))
            special = xp.isin(data, xp.asarray(list(special_token_ids), dtype=xp.int64))
        candidate = ~special
        if attention_mask is not None:
            candidate &= as_array(attention_mask, "attention_mask")
        gen = generator(device)
        selected = candidate & (gen.random(data.shape) < mlm_probability)
        labels = xp.full(data.shape, IGNORE_INDEX, dtype=xp.int64)
        labels[selected] = data[selected]
        action = gen.random(data.shape)
        to_mask = selected & (action < 0.8)
        to_random = selected & (action >= 0.8) & (action < 0.9)
        random_ids = gen.integers(0, cfg.vocab_size, size=data.shape)
        masked = data.copy()
        masked[to_mask] = int(mask_token_id)
        masked[to_random] = random_ids[to_random]
        return Tensor._wrap(masked), Tensor._wrap(labels)

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
        device = resolve_device(self, device)
        enc = encode_texts(tokenizer, text_a, text_b, self._max_length(max_length), device,
                           special_tokens_mask=True)
        masked, labels = self.create_masked_lm_inputs(
            enc["input_ids"], mlm_probability=mlm_probability, special_tokens_mask=enc["special_tokens_mask"],
            attention_mask=enc["attention_mask"], mask_token_id=tokenizer.mask_token_id,
        )
        return self.get_loss(labels=labels, input_ids=masked, attention_mask=enc["attention_mask"],
                             token_type_ids=enc["token_type_ids"])

    def predict_token_ids_from_text(self, tokenizer, text_a, text_b=None, device=None, max_length=None):
        """Tokenize (``[MASK]`` in the text stays one mask token) and return the argmax token
        id at every position, ``(batch, seq)`` int64 (padding positions included).

        Args:
            tokenizer, text_a, text_b, device, max_length: as in :meth:`get_loss_from_text`.
        """
        device = resolve_device(self, device)
        enc = encode_texts(tokenizer, text_a, text_b, self._max_length(max_length), device)
        return self.predict_token_ids(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                                      token_type_ids=enc["token_type_ids"])


# ---- sequence classification -----------------------------------------------------------------
class BERTForSequenceClassification(_TaskModel):
    """BERT with a classifier on the pooled ``[CLS]`` features.

    Args:
        config: the :class:`BERTConfig`; it must keep ``add_pooling_layer=True``.
        num_labels: number of classes (default 2). With ``num_labels=1`` the loss is the mean
            squared error (regression); floating ``(batch, num_labels)`` labels give the
            multi-label binary cross-entropy; integer labels the cross-entropy (as Hugging Face
            chooses).

    Example:
        >>> import lucid
        >>> from lucid.models import BERTConfig, BERTForSequenceClassification
        >>> cfg = BERTConfig(vocab_size=120, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
        ...                  intermediate_size=32, max_position_embeddings=32)
        >>> model = BERTForSequenceClassification(cfg, num_labels=3)
        >>> input_ids = lucid.tensor([[101, 7, 8, 102], [101, 9, 102, 0]])
        >>> attention_mask = lucid.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
        >>> model(input_ids=input_ids, attention_mask=attention_mask).shape
        (2, 3)
        >>> model.get_loss(labels=lucid.tensor([0, 2]), input_ids=input_ids, attention_mask=attention_mask).shape
        ()
    """

    _hf_architecture = "BertForSequenceClassification"

    def __init__(self, config: BERTConfig, num_labels: int = 2):
        super().__init__()
        if not isinstance(config, BERTConfig):
            raise TypeError(f"config must be a BERTConfig, got {type(config).__name__}")
        if isinstance(num_labels, bool) or not isinstance(num_labels, (int, np.integer)) or num_labels < 1:
            raise ValueError(f"num_labels must be an int >= 1, got {num_labels!r}")
        if not config.add_pooling_layer:
            raise ValueError("BERTForSequenceClassification classifies the pooled [CLS] features: "
                             "config.add_pooling_layer must be True, got False")
        self.config = config
        self.num_labels = int(num_labels)
        self.bert = BERT(config, add_pooling_layer=True)
        self.classifier = BERTClassificationHead(config, self.num_labels)

    @classmethod
    def _from_checkpoint_config(cls, config, arrays, num_labels=None):
        if num_labels is None:
            id2label = config.extra.get("id2label")
            if isinstance(id2label, dict) and id2label:
                num_labels = len(id2label)
            elif "classifier.weight" in arrays:
                num_labels = int(arrays["classifier.weight"].shape[0])
            else:
                num_labels = 2
        return cls(config, num_labels=num_labels)

    def _config_extra(self) -> dict:
        id2label = self.config.extra.get("id2label")
        if not (isinstance(id2label, dict) and len(id2label) == self.num_labels):
            id2label = {str(i): f"LABEL_{i}" for i in range(self.num_labels)}
        return {"id2label": id2label, "label2id": {v: int(k) for k, v in id2label.items()}}

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None):
        """Class logits of shape ``(batch, num_labels)``; arguments as in :meth:`BERT.forward`."""
        _, pooled = self._backbone(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        return self.classifier(pooled)

    def _labels(self, labels, batch):
        labels = _as_label_tensor(labels, self.device)
        if labels.ndim == 0:
            labels = labels.reshape(1)
        if labels.shape[0] != batch:
            raise ValueError(f"got {labels.shape[0]} labels for a batch of {batch}")
        return labels

    def get_loss(self, labels, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                 inputs_embeds=None):
        """The classification loss (a scalar tensor): cross-entropy for integer class labels
        ``(batch,)``, mean squared error when ``num_labels == 1``, binary cross-entropy with
        logits for floating multi-label targets ``(batch, num_labels)``.

        Args:
            labels: an int, a list or a tensor, one entry per example.
            input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds: as in
                :meth:`forward`.
        """
        logits = self.forward(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        labels = self._labels(labels, logits.shape[0])
        problem = self.config.extra.get("problem_type")
        if problem is None:  # Hugging Face's rule
            if self.num_labels == 1:
                problem = "regression"
            elif labels.dtype.kind in "iu":
                problem = "single_label_classification"
            else:
                problem = "multi_label_classification"
        if problem == "regression":
            y = labels.astype(logits.dtype)
            diff = logits.reshape(-1) - y.reshape(-1) if self.num_labels == 1 else logits - y
            return (diff * diff).mean()
        if problem == "multi_label_classification":
            if labels.shape != logits.shape:
                raise ValueError(f"multi-label targets must have shape {logits.shape}, got {labels.shape}")
            y = labels.astype(logits.dtype)
            # max(x, 0) - x*y + log(1 + exp(-|x|)): stable for large |x|
            return (F.relu(logits) - logits * y + (1.0 + (-logits.abs()).exp()).log()).mean()
        if problem != "single_label_classification":
            raise ValueError(f"unknown problem_type {problem!r} in the config")
        self._check_class_labels(labels)
        return F.cross_entropy(logits, labels)

    def _check_class_labels(self, labels):
        if labels.dtype.kind not in "iu":
            raise TypeError(f"class labels must be integers, got dtype {labels.dtype}")
        if labels.ndim != 1:
            raise ValueError(f"class labels must have shape (batch,), got {labels.shape}")
        bad = (labels.data < 0) | (labels.data >= self.num_labels)
        if bool(bad.any()):
            raise ValueError(f"class labels must be in [0, {self.num_labels}), got {int(labels.data[bad][0])}")

    def predict_labels(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                       inputs_embeds=None):
        """The argmax class per example, ``(batch,)`` int64 (eval mode, no graph)."""
        with _eval_mode(self):
            return self.forward(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds).argmax(axis=-1)

    def predict_proba(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                      inputs_embeds=None):
        """Softmax class probabilities, ``(batch, num_labels)`` (eval mode, no graph)."""
        with _eval_mode(self):
            return F.softmax(self.forward(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds),
                             axis=-1)

    def get_accuracy(self, labels, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                     inputs_embeds=None) -> float:
        """Fraction of examples whose predicted class equals ``labels`` (a Python float)."""
        pred = self.predict_labels(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        labels = self._labels(labels, pred.shape[0])
        if labels.dtype.kind in "iu":
            self._check_class_labels(labels)
        return float((pred.data == labels.data.reshape(-1)).mean())

    def get_loss_from_text(self, tokenizer, text_a, text_b=None, labels=None, device=None, max_length=None):
        """Tokenize (padding the batch) and return :meth:`get_loss`.

        Args:
            tokenizer: a :class:`BERTTokenizerFast`.
            text_a: one string or a list of strings.
            text_b: second segment(s): a string, or a list as long as ``text_a``.
            labels: an int (one text), a list of ints or a tensor (required).
            device: where to run; default the model's device. Another device moves the model there
                (with a warning). ``"gpu"`` needs CuPy and a CUDA GPU.
            max_length: truncate each (pair) encoding to this many tokens (default
                ``config.max_position_embeddings``, the longest input the model takes).
        """
        if labels is None:
            raise ValueError("get_loss_from_text needs labels (an int, a list of ints or a tensor)")
        device = resolve_device(self, device)
        enc = encode_texts(tokenizer, text_a, text_b, self._max_length(max_length), device)
        return self.get_loss(labels=labels, **enc)

    def predict_labels_from_text(self, tokenizer, text_a, text_b=None, device=None, max_length=None):
        """Tokenize and return :meth:`predict_labels`, ``(batch,)`` int64."""
        device = resolve_device(self, device)
        return self.predict_labels(**encode_texts(tokenizer, text_a, text_b, self._max_length(max_length), device))

    def predict_proba_from_text(self, tokenizer, text_a, text_b=None, device=None, max_length=None):
        """Tokenize and return :meth:`predict_proba`, ``(batch, num_labels)``."""
        device = resolve_device(self, device)
        return self.predict_proba(**encode_texts(tokenizer, text_a, text_b, self._max_length(max_length), device))
