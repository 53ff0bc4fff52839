"""Collators for tokenized text, in the shape of Hugging Face's ``transformers`` collators.

Each is a callable that takes a list of features (dicts such as the tokenizer's
``encode_plus`` gives: ``input_ids`` and optional ``token_type_ids``, ``attention_mask``,
``special_tokens_mask``, labels) and returns one batch: a dict of int64 tensors padded on the
right to the batch's longest sequence, as ``transformers`` pads them (``input_ids`` with the
tokenizer's ``[PAD]`` id, ``token_type_ids`` and ``attention_mask`` with 0,
``special_tokens_mask`` with 1; ``attention_mask`` is made when missing). Any other key is
stacked as it is, floats as float32. Pass one as a :class:`~lucid.data.DataLoader`'s
``collate_fn``.

The tokenizer is only asked for ``pad_token_id`` (and, for masking, ``mask_token_id``,
``get_special_tokens_mask`` and ``len()``), so any BERT-style tokenizer serves. The tensors
are made on ``device`` (keyword-only, lucid's addition).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .. import _backend, ops
from .._tensor import Tensor
from .masking import check_masking_probabilities, mask_tokens

__all__ = ["DataCollatorForLanguageModeling", "DataCollatorForTokenClassification", "DataCollatorWithPadding"]

#: What each padded key is padded with (``input_ids``: the tokenizer's pad id), as in ``transformers``.
PAD_VALUES = {"token_type_ids": 0, "attention_mask": 0, "special_tokens_mask": 1}
_PADDINGS = (True, False, "longest", "max_length", "do_not_pad")


def _row(value, key, k):
    """One feature's sequence as a 1-D int64 array."""
    arr = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iub"):
        raise ValueError(f"feature {k}: {key!r} must be a 1-D sequence of ints, got {arr.dtype} of shape {arr.shape}")
    return arr.astype(np.int64, copy=False)


def _stack(values, key):
    """A non-sequence key (labels, ...) of every feature as one array or tensor; floats become float32."""
    if isinstance(values[0], Tensor):
        return ops.stack(list(values), axis=0)
    if isinstance(values[0], str):
        return list(values)
    try:
        arr = np.asarray(values)
    except ValueError:
        arr = np.asarray(values, dtype=object)
    if arr.dtype == object:
        raise ValueError(f"{key!r} holds values of different lengths; pad them (token labels: "
                         "DataCollatorForTokenClassification)")
    return arr.astype(np.float32) if arr.dtype.kind == "f" else arr


def _width(lengths, padding, max_length, pad_to_multiple_of, tokenizer):
    """The padded length of a batch whose sequences have ``lengths``."""
    longest = max(lengths)
    if padding in (False, "do_not_pad"):
        width = longest
    elif padding == "max_length":
        width = max_length if max_length is not None else tokenizer.model_max_length
        if longest > width:
            raise ValueError(f"a sequence of {longest} tokens is longer than max_length={width}: truncate it "
                             "when tokenizing")
    else:
        width = longest
    if pad_to_multiple_of and padding not in (False, "do_not_pad"):
        width = -(-width // pad_to_multiple_of) * pad_to_multiple_of
    return width


def pad_features(tokenizer, features, padding=True, max_length=None, pad_to_multiple_of=None) -> dict:
    """``features`` (a non-empty list of dicts holding ``input_ids``) padded into one batch of
    arrays, as ``transformers``' ``tokenizer.pad`` pads them; the other keys stacked.

    Raises:
        ValueError: no features, a feature without ``input_ids``, an unknown ``padding``, or
            sequences of different lengths with ``padding=False``.

    Example:
        >>> from types import SimpleNamespace
        >>> tok = SimpleNamespace(pad_token_id=0)
        >>> batch = pad_features(tok, [{"input_ids": [5, 6, 7], "label": 1}, {"input_ids": [5], "label": 0}])
        >>> batch["input_ids"].tolist(), batch["attention_mask"].tolist(), batch["label"].tolist()
        ([[5, 6, 7], [5, 0, 0]], [[1, 1, 1], [1, 0, 0]], [1, 0])
    """
    if padding not in _PADDINGS:
        raise ValueError(f"padding must be one of {_PADDINGS}, got {padding!r}")
    if not isinstance(features, (list, tuple)) or not features:
        raise ValueError(f"a collator needs a non-empty list of features, got {type(features).__name__}")
    for k, f in enumerate(features):
        if not isinstance(f, Mapping) or "input_ids" not in f:
            keys = sorted(f) if isinstance(f, Mapping) else type(f).__name__
            raise ValueError(f"feature {k} has no 'input_ids' (got {keys})")
    sequences = [key for key in ("input_ids", *PAD_VALUES) if key in features[0]]
    rows = {key: [_row(f[key], key, k) for k, f in enumerate(features)] for key in sequences}
    lengths = [len(r) for r in rows["input_ids"]]
    if "attention_mask" not in rows:
        rows["attention_mask"] = [np.ones(n, dtype=np.int64) for n in lengths]
    width = _width(lengths, padding, max_length, pad_to_multiple_of, tokenizer)
    if padding in (False, "do_not_pad") and min(lengths) != width:
        raise ValueError(f"sequences of {min(lengths)} to {width} tokens cannot form one batch with padding=False")
    batch = {}
    for key, seqs in rows.items():
        out = np.full((len(seqs), width), tokenizer.pad_token_id if key == "input_ids" else PAD_VALUES[key],
                      dtype=np.int64)
        for i, r in enumerate(seqs):
            out[i, :len(r)] = r
        batch[key] = out
    for key in features[0]:
        if key not in batch:
            batch[key] = _stack([f[key] for f in features], key)
    return batch


def _on(batch, device):
    """Every array of ``batch`` as a tensor on ``device`` (tensors moved, string lists kept)."""
    device = _backend.check_device(device)
    return {k: v.to(device) if isinstance(v, Tensor) else Tensor(v, device=device) if isinstance(v, np.ndarray)
            else v for k, v in batch.items()}


class DataCollatorWithPadding:
    """Pad a list of tokenized features into one batch (Hugging Face's ``DataCollatorWithPadding``).

    Args:
        tokenizer: gives ``pad_token_id`` (and ``model_max_length`` for ``padding="max_length"``).
        padding: ``True``/``"longest"`` (to the batch's longest), ``"max_length"`` (to
            ``max_length``), or ``False``/``"do_not_pad"`` (every sequence must have one length).
        max_length: the length ``padding="max_length"`` pads to.
        pad_to_multiple_of: round the padded length up to a multiple of this.

    A ``label`` or ``label_ids`` key comes back as ``labels`` (the models' keyword).

    Example:
        >>> from lucid.data import DataCollatorWithPadding
        >>> from lucid.models import BERTTokenizerFast
        >>> tok = BERTTokenizerFast(vocab={w: i for i, w in enumerate(
        ...     ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "good", "film"])})
        >>> features = [dict(tok.encode_plus("good film"), label=1), dict(tok.encode_plus("film"), label=0)]
        >>> batch = DataCollatorWithPadding(tok)(features)
        >>> batch["input_ids"].tolist(), batch["attention_mask"].tolist(), batch["labels"].tolist()
        ([[2, 5, 6, 3], [2, 6, 3, 0]], [[1, 1, 1, 1], [1, 1, 1, 0]], [1, 0])
    """

    def __init__(self, tokenizer, padding=True, max_length=None, pad_to_multiple_of=None, *, device="cpu"):
        self.tokenizer, self.padding, self.max_length = tokenizer, padding, max_length
        self.pad_to_multiple_of, self.device = pad_to_multiple_of, device

    def __call__(self, features) -> dict:
        batch = pad_features(self.tokenizer, features, self.padding, self.max_length, self.pad_to_multiple_of)
        for name in ("label", "label_ids"):
            if name in batch:
                batch["labels"] = batch.pop(name)
        return _on(batch, self.device)


class DataCollatorForTokenClassification:
    """Pad features and their per-token labels (Hugging Face's ``DataCollatorForTokenClassification``):
    the ``labels`` (or ``label``) lists are padded with ``label_pad_token_id`` (-100, which the
    losses ignore) to the padded length; the other arguments as :class:`DataCollatorWithPadding`.

    Example:
        >>> from lucid.data import DataCollatorForTokenClassification
        >>> from lucid.models import BERTTokenizerFast
        >>> tok = BERTTokenizerFast()
        >>> batch = DataCollatorForTokenClassification(tok)([
        ...     {"input_ids": [2, 4, 4, 3], "labels": [-100, 1, 2, -100]},
        ...     {"input_ids": [2, 4, 3], "labels": [-100, 0, -100]}])
        >>> batch["labels"].tolist()
        [[-100, 1, 2, -100], [-100, 0, -100, -100]]
    """

    def __init__(self, tokenizer, padding=True, max_length=None, pad_to_multiple_of=None, label_pad_token_id=-100,
                 *, device="cpu"):
        self.tokenizer, self.padding, self.max_length = tokenizer, padding, max_length
        self.pad_to_multiple_of, self.label_pad_token_id, self.device = pad_to_multiple_of, label_pad_token_id, device

    def __call__(self, features) -> dict:
        first = features[0] if features else None
        name = "label" if isinstance(first, Mapping) and "label" in first else "labels"
        has_labels = isinstance(first, Mapping) and name in first
        plain = [{k: v for k, v in f.items() if k != name} for f in features] if has_labels else features
        batch = pad_features(self.tokenizer, plain, self.padding, self.max_length, self.pad_to_multiple_of)
        if has_labels:
            width = batch["input_ids"].shape[1]
            labels = np.full((len(features), width), self.label_pad_token_id, dtype=np.int64)
            for i, f in enumerate(features):
                row = _row(f[name], name, i)
                if len(row) > width:
                    raise ValueError(f"feature {i} has {len(row)} labels for {width} tokens")
                labels[i, :len(row)] = row
            batch[name] = labels
        return _on(batch, self.device)


class DataCollatorForLanguageModeling:
    """Pad features and mask them for masked-LM training (Hugging Face's
    ``DataCollatorForLanguageModeling``), the masks drawn from :func:`lucid.random.generator`
    (so :func:`lucid.random.seed` reproduces them).

    Each real, non-special token is selected with probability ``mlm_probability``; a selected
    token becomes ``[MASK]`` with probability ``mask_replace_prob``, a uniformly random id with
    ``random_replace_prob``, and stays otherwise. ``labels`` hold the original id at selected
    positions and -100 elsewhere. Special tokens come from the feature's ``special_tokens_mask``
    when it has one, else from ``tokenizer.get_special_tokens_mask``; padding is never selected.
    With ``mlm=False`` nothing is masked and ``labels`` are the ids with padding at -100 (causal
    language modelling).

    Features may also be plain lists (or 1-D tensors) of ids; the batch then has an
    ``attention_mask`` too (which ``transformers`` leaves out there), so that the model does not
    attend to the padding.

    Raises:
        ValueError: a probability outside [0, 1], or ``mask_replace_prob + random_replace_prob > 1``.

    Example:
        >>> import lucid
        >>> from lucid.data import DataCollatorForLanguageModeling
        >>> from lucid.models import BERTTokenizerFast
        >>> tok = BERTTokenizerFast(vocab={w: i for i, w in enumerate(
        ...     ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c"])})
        >>> collate = DataCollatorForLanguageModeling(tok, mlm_probability=1.0, mask_replace_prob=1.0,
        ...                                           random_replace_prob=0.0)
        >>> batch = collate([tok.encode("a b c"), tok.encode("a")])
        >>> batch["input_ids"].tolist(), batch["labels"].tolist()
        ([[2, 4, 4, 4, 3], [2, 4, 3, 0, 0]], [[-100, 5, 6, 7, -100], [-100, 5, -100, -100, -100]])
    """

    def __init__(self, tokenizer, mlm=True, mlm_probability=0.15, mask_replace_prob=0.8, random_replace_prob=0.1,
                 pad_to_multiple_of=None, *, device="cpu"):
        check_masking_probabilities(mlm_probability, mask_replace_prob, random_replace_prob)
        if mlm and getattr(tokenizer, "mask_token_id", None) is None:
            raise ValueError("masked-LM collation needs a tokenizer with a mask token; pass mlm=False for causal LM")
        self.tokenizer, self.mlm, self.mlm_probability = tokenizer, bool(mlm), float(mlm_probability)
        self.mask_replace_prob, self.random_replace_prob = float(mask_replace_prob), float(random_replace_prob)
        self.pad_to_multiple_of, self.device = pad_to_multiple_of, device

    def __call__(self, examples) -> dict:
        features = [e if isinstance(e, Mapping) else {"input_ids": e} for e in examples]
        batch = pad_features(self.tokenizer, features, True, None, self.pad_to_multiple_of)
        ids, padded = batch["input_ids"], batch["attention_mask"] == 0
        special = batch.pop("special_tokens_mask", None)
        if not self.mlm:
            batch["labels"] = np.where(ids == self.tokenizer.pad_token_id, -100, ids)
            return _on(batch, self.device)
        if special is None:
            special = np.array([self.tokenizer.get_special_tokens_mask(row.tolist(), already_has_special_tokens=True)
                                for row in ids], dtype=np.int64).reshape(ids.shape)
        batch["input_ids"], batch["labels"] = mask_tokens(
            ids.astype(np.int64, copy=False), (special == 0) & ~padded, self.mlm_probability,
            self.tokenizer.mask_token_id, len(self.tokenizer), self.mask_replace_prob, self.random_replace_prob)
        return _on(batch, self.device)
