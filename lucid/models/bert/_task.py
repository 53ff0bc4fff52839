"""What every BERT task model shares, so that each task class is one module of its own.

* :class:`TaskModel`: the base class (config check, the backbone call, device and dtype,
  and :meth:`TaskModel._encode`, the text path every ``*_from_text`` method takes);
* text encoding: :func:`batch_texts`, :func:`encode_texts`;
* the device policy of the text helpers: :func:`resolve_device`;
* labels: :func:`as_label_tensor`, :func:`batch_labels`, :func:`first_out_of_range`;
* metrics and masking: :func:`accuracy`, :func:`mask_tokens`, :func:`eval_mode`.

Who checks what: the backbone (:class:`~lucid.models.BERT`) checks ids, masks, lengths and
their devices; a task class checks its labels (through the helpers here); this module
checks the texts and the device name. A task class does not repeat a backbone check, and
the backbone does not see labels. (The ops below, ``F.cross_entropy`` and the others, keep
their own argument checks: they are public functions too.)
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np

from ... import _backend, nn
from ..._function import no_grad
from ..._tensor import Tensor
from ...random import generator
from .checkpoint import PretrainedMixin
from .config import BERTConfig

__all__ = [
    "IGNORE_INDEX", "TaskModel", "accuracy", "as_label_tensor", "batch_labels", "batch_texts", "encode_texts",
    "eval_mode", "first_out_of_range", "mask_tokens", "resolve_device",
]

#: The label of a position that no loss or metric counts (Hugging Face's and PyTorch's value).
IGNORE_INDEX = -100


# ---- modes and devices -----------------------------------------------------------------------
@contextlib.contextmanager
def eval_mode(model):
    """Run a prediction with dropout off and no graph, then restore every submodule's mode
    (a partly frozen model keeps its mix of train and eval submodules).

    Example:
        >>> import lucid.nn as nn
        >>> net = nn.Sequential(nn.Dropout(0.5))
        >>> with eval_mode(net):
        ...     net.training
        False
        >>> net.training
        True
    """
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

    Example:
        >>> from lucid.models import BERTConfig, BERTForMaskedLM
        >>> model = BERTForMaskedLM(BERTConfig(vocab_size=20, hidden_size=8, num_hidden_layers=1,
        ...                                    num_attention_heads=2, intermediate_size=16))
        >>> resolve_device(model, None), resolve_device(model, "cpu")
        ('cpu', 'cpu')
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
            stacklevel=4,  # the caller of the *_from_text method
        )
        model.to(device)
    return device


# ---- texts -----------------------------------------------------------------------------------
def batch_texts(text_a, text_b=None):
    """``(texts_a, texts_b or None)`` as lists of strings of one length: one text, or a batch
    of texts optionally paired with a batch of second segments.

    Raises:
        TypeError: ``text_a`` is neither a string nor a list of strings (or ``text_b`` holds
            something other than strings).
        ValueError: an empty batch, or a ``text_b`` that does not pair up with ``text_a``.

    Example:
        >>> batch_texts("a movie", "a review")
        (['a movie'], ['a review'])
        >>> batch_texts(["one", "two"])
        (['one', 'two'], None)
    """
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
        size = len(text_b) if hasattr(text_b, "__len__") else "?"
        got = "a string" if isinstance(text_b, str) else f"{type(text_b).__name__} of length {size}"
        raise ValueError(f"text_b must be a list of {len(text_a)} strings to pair with text_a, got {got}")
    if not all(isinstance(t, str) for t in text_b):
        raise TypeError("text_b must hold strings only")
    return list(text_a), list(text_b)


def encode_texts(tokenizer, text_a, text_b=None, max_length=None, device="cpu", special_tokens_mask=False) -> dict:
    """Tokenize one text or a batch (optionally paired) into right-padded int64 id tensors
    ``(batch, seq)`` on ``device``: ``input_ids``, ``token_type_ids``, ``attention_mask``
    (and ``special_tokens_mask`` when asked), each encoding truncated (longest text of a pair
    first) to ``max_length`` tokens.

    Example:
        >>> from lucid.models import BERTTokenizerFast
        >>> tok = BERTTokenizerFast(vocab={w: i for i, w in enumerate(
        ...     ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "movie"])})
        >>> enc = encode_texts(tok, ["a movie", "a"])
        >>> enc["input_ids"].tolist(), enc["attention_mask"].tolist()
        ([[2, 5, 6, 3], [2, 5, 3, 0]], [[1, 1, 1, 1], [1, 1, 1, 0]])
    """
    texts_a, texts_b = batch_texts(text_a, text_b)
    kwargs = {"return_special_tokens_mask": True} if special_tokens_mask else {}
    enc = tokenizer.batch_encode(
        texts_a, text_pairs=texts_b, add_special_tokens=True, padding=True, max_length=max_length,
        truncation=True, return_tensor=True, device=device, **kwargs,
    )
    keys = ("input_ids", "token_type_ids", "attention_mask") + (("special_tokens_mask",) if special_tokens_mask else ())
    return {k: enc[k] for k in keys}


# ---- labels ----------------------------------------------------------------------------------
def as_label_tensor(labels, device, name="labels"):
    """``labels`` as a tensor on ``device``: a tensor must already be there (the error names
    both devices); ints, floats and nested lists become int64 / float32 tensors.

    Example:
        >>> as_label_tensor([1, 0], "cpu").dtype, as_label_tensor([0.5], "cpu").dtype
        (dtype('int64'), dtype('float32'))
    """
    if isinstance(labels, Tensor):
        _backend.check_on(device, labels, name)
        return labels
    arr = labels if _backend.is_array(labels) else np.asarray(labels)  # a CuPy array stays on its device
    if arr.dtype.kind == "f":
        arr = arr.astype(np.float32)
    elif arr.dtype.kind in "iub":
        arr = arr.astype(np.int64)
    else:
        raise TypeError(f"{name} must be ints, floats or a tensor, got {type(labels).__name__}")
    return Tensor(arr, device=device)


def batch_labels(labels, batch, device):
    """Per-example labels (an int, a list or a tensor) as a tensor on ``device`` whose first
    dimension is ``batch`` (one int is a batch of one).

    Example:
        >>> batch_labels(1, 1, "cpu").tolist()
        [1]
    """
    labels = as_label_tensor(labels, device)
    if labels.ndim == 0:
        labels = labels.reshape(1)
    if labels.shape[0] != batch:
        raise ValueError(f"got {labels.shape[0]} labels for a batch of {batch}")
    return labels


def first_out_of_range(data, bound, ignore_index=None):
    """The first value of integer array ``data`` outside ``[0, bound)`` (``ignore_index``
    excepted) as a Python int, or None when every value is in range.

    Example:
        >>> import numpy as np
        >>> first_out_of_range(np.array([0, -100, 7, 3]), 5, ignore_index=-100)
        7
    """
    bad = (data < 0) | (data >= bound)
    if ignore_index is not None:
        bad &= data != ignore_index
    return int(data[bad].reshape(-1)[0]) if bool(bad.any()) else None


# ---- metrics and masking ---------------------------------------------------------------------
def accuracy(predicted, target, keep=None) -> float:
    """The fraction of ``predicted == target`` (arrays), over the positions where ``keep`` is
    True when given (0.0 when it keeps none).

    Example:
        >>> import numpy as np
        >>> accuracy(np.array([1, 2, 3]), np.array([1, 0, 3]))
        0.6666666666666666
        >>> accuracy(np.array([1, 2]), np.array([1, 0]), keep=np.array([True, False]))
        1.0
    """
    hits = predicted == target
    if keep is None:
        return float(hits.mean())
    n = int(keep.sum())
    return float(int((hits & keep).sum()) / n) if n else 0.0


def mask_tokens(ids, candidate, mlm_probability, mask_token_id, vocab_size):
    """BERT's masking of the int64 id array ``ids`` (NumPy or CuPy): each position where the
    bool array ``candidate`` is True is selected with probability ``mlm_probability``; a
    selected token becomes ``mask_token_id`` with probability 0.8, a uniformly random id in
    ``[0, vocab_size)`` with 0.1, and stays with 0.1. Randomness comes from
    :func:`lucid.random.generator` of the arrays' device.

    Returns:
        ``(masked_ids, labels)`` arrays: labels hold the original id at selected positions
        and :data:`IGNORE_INDEX` elsewhere.

    Example:
        >>> import numpy as np
        >>> masked, labels = mask_tokens(np.array([[5, 6, 7]]), np.array([[False, True, True]]), 1.0, 4, 10)
        >>> labels.tolist()
        [[-100, 6, 7]]
    """
    xp = _backend.xp_of(ids)
    gen = generator(_backend.device_of(ids))
    selected = candidate & (gen.random(ids.shape) < mlm_probability)
    labels = xp.full(ids.shape, IGNORE_INDEX, dtype=xp.int64)
    labels[selected] = ids[selected]
    action = gen.random(ids.shape)
    to_mask = selected & (action < 0.8)
    to_random = selected & (action >= 0.8) & (action < 0.9)
    random_ids = gen.integers(0, vocab_size, size=ids.shape)
    masked = ids.copy()
    masked[to_mask] = int(mask_token_id)
    masked[to_random] = random_ids[to_random]
    return masked, labels


# ---- the base class --------------------------------------------------------------------------
class TaskModel(PretrainedMixin, nn.Module):
    """The base of the task models: a :class:`BERTConfig` and a backbone named ``bert``
    (Hugging Face's name), and the plumbing each ``*_from_text`` method shares.

    A subclass builds ``self.bert`` and its head in ``__init__`` after
    ``super().__init__(config)``, and names its Hugging Face architecture.

    Example:
        >>> from lucid.models import BERT, BERTConfig
        >>> class Encoder(TaskModel):
        ...     def __init__(self, config):
        ...         super().__init__(config)
        ...         self.bert = BERT(config, add_pooling_layer=False)
        >>> Encoder(BERTConfig(vocab_size=20, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
        ...                    intermediate_size=16)).device
        'cpu'
    """

    def __init__(self, config: BERTConfig):
        super().__init__()
        if not isinstance(config, BERTConfig):
            raise TypeError(f"config must be a BERTConfig, got {type(config).__name__}")
        self.config = config

    @property
    def device(self) -> str:
        """The device of the model's parameters (``"cpu"`` or ``"gpu"``)."""
        return self.bert.device

    @property
    def dtype(self):
        """The floating dtype of the model's parameters."""
        return self.bert.dtype

    def _backbone(self, input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds):
        """``(sequence_output, pooled_output)`` of the backbone, which checks every input."""
        return self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                         position_ids=position_ids, inputs_embeds=inputs_embeds)

    def _encode(self, tokenizer, text_a, text_b, device, max_length, special_tokens_mask=False) -> dict:
        """The id tensors of a ``*_from_text`` call, on the device :func:`resolve_device`
        picks; ``max_length`` None means the longest input the model takes."""
        device = resolve_device(self, device)
        if max_length is None:
            max_length = self.config.max_position_embeddings
        return encode_texts(tokenizer, text_a, text_b, max_length, device, special_tokens_mask=special_tokens_mask)
