"""What every BERT task model shares, so that each task class is one module of its own.

* :class:`SharedMethods`: the methods the backbone and every task model have (the original
  Lucid's embedding accessors and ``tie_weights``);
* :class:`TaskModel`: the base class (config check, the backbone call, device and dtype,
  and :meth:`TaskModel._encode`, the text path every ``*_from_text`` method takes);
* text encoding: :func:`batch_texts`, :func:`encode_texts`;
* the device policy of the text helpers: :func:`resolve_device`;
* masks given as lists: :func:`mask_array`;
* labels: :func:`as_label_tensor`, :func:`batch_labels`, :func:`first_out_of_range`;
* losses, metrics and masking: :func:`reduce_losses`, :func:`accuracy`, :func:`mask_tokens`,
  :func:`eval_mode`.

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
from ...data import warn_if_truncated
from ...data.masking import mask_tokens
from ...random import generator
from .checkpoint import PretrainedMixin
from .config import BERTConfig

__all__ = [
    "IGNORE_INDEX", "SharedMethods", "TaskModel", "accuracy", "as_label_tensor", "batch_labels", "batch_texts",
    "encode_texts", "eval_mode", "first_out_of_range", "mask_array", "mask_tokens", "reduce_losses",
    "resolve_device",
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
    first) to ``max_length`` tokens, with one :class:`~lucid.data.TruncationWarning` per call
    when any text lost tokens.

    Example:
        >>> from lucid.models import BERTTokenizerFast
        >>> tok = BERTTokenizerFast(vocab={w: i for i, w in enumerate(
        ...     ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "movie"])})
        >>> enc = encode_texts(tok, ["a movie", "a"])
        >>> enc["input_ids"].tolist(), enc["attention_mask"].tolist()
        ([[2, 5, 6, 3], [2, 5, 3, 0]], [[1, 1, 1, 1], [1, 1, 1, 0]])
    """
    texts_a, texts_b = batch_texts(text_a, text_b)
    enc = tokenizer.batch_encode_plus(texts_a, texts_b, padding=True, max_length=max_length, truncation=True,
                                      return_tensor=True, device=device)
    limit = tokenizer.model_max_length if max_length is None else max_length
    if enc["input_ids"].shape[1] >= limit:  # only a batch as wide as the limit can hold a cut text
        warn_if_truncated(tokenizer, texts_a, texts_b, enc["attention_mask"].numpy().sum(axis=1), limit)
    if not special_tokens_mask:
        del enc["special_tokens_mask"]
    return enc


# ---- masks -----------------------------------------------------------------------------------
def mask_array(mask, name):
    """A mask given as nested lists or an array, as a NumPy/CuPy array of numbers or bools.

    Raises:
        TypeError: naming ``name`` and the first entry that is not a number, such as a None
            (NumPy would make an object array whose None reads as False: masked).

    Example:
        >>> mask_array([[1, 0]], "attention_mask").tolist()
        [[1, 0]]
    """
    arr = mask if _backend.is_array(mask) else np.asarray(mask)
    if arr.dtype.kind not in "biuf":
        bad = next((v for v in arr.reshape(-1) if not isinstance(v, (bool, int, float, np.number))), arr.dtype)
        raise TypeError(f"{name} must hold numbers (1 keep, 0 mask), got {bad!r}")
    return arr


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


def batch_labels(labels, batch, device, broadcast=False):
    """Per-example labels (an int, a list or a tensor) as a tensor on ``device`` whose first
    dimension is ``batch``. One int is a batch of one, or with ``broadcast`` the label of every
    example (what a ``*_from_text`` method's ``labels=0`` default means for a list of texts).

    Example:
        >>> batch_labels(1, 1, "cpu").tolist(), batch_labels(1, 3, "cpu", broadcast=True).tolist()
        ([1], [1, 1, 1])
    """
    if broadcast and isinstance(labels, (int, np.integer)) and not isinstance(labels, (bool, np.bool_)):
        labels = [int(labels)] * batch
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


# ---- losses, metrics and masking ---------------------------------------------------------------
def reduce_losses(losses, reduction):
    """Per-example losses ``(batch,)`` reduced as ``reduction`` says: ``"mean"``, ``"sum"`` or
    ``None`` (the vector itself; ``"none"`` too, as :func:`lucid.nn.functional.cross_entropy`
    takes it).

    Example:
        >>> import lucid
        >>> reduce_losses(lucid.tensor([1.0, 3.0]), "mean").item(), reduce_losses(lucid.tensor([1.0, 3.0]), None).shape
        (2.0, (2,))
    """
    if reduction is None or reduction == "none":
        return losses
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    raise ValueError(f"reduction must be 'mean', 'sum' or None, got {reduction!r}")


def accuracy(predicted, target, keep=None) -> Tensor:
    """The fraction of ``predicted == target`` (arrays) as a 0-d float32 Tensor on their device
    (the original Lucid's return type: ``acc.item()`` and ``float(acc)`` both work), over the
    positions where ``keep`` is True when given (0.0 when it keeps none).

    Example:
        >>> import numpy as np
        >>> acc = accuracy(np.array([1, 2, 3, 4]), np.array([1, 0, 3, 4]))
        >>> acc.shape, acc.dtype, acc.item()
        ((), dtype('float32'), 0.75)
        >>> float(accuracy(np.array([1, 2]), np.array([1, 0]), keep=np.array([True, False])))
        1.0
    """
    xp = _backend.xp_of(predicted)
    hits = predicted == target
    if keep is not None:
        n = int(keep.sum())
        value = int((hits & keep).sum()) / n if n else 0.0
    else:
        value = int(hits.sum()) / hits.size if hits.size else 0.0
    return Tensor._wrap(xp.asarray(value, dtype=xp.float32))


# ---- the shared methods ----------------------------------------------------------------------
class SharedMethods:
    """The original Lucid's methods of the backbone and every task model: the input and output
    embeddings and ``tie_weights``.

    The input embeddings are the backbone's ``embeddings.word_embeddings``; the output
    embeddings are the vocabulary decoder of the model's language-model head
    (:meth:`_lm_head`; None without one, as on the backbone). With
    ``config.tie_word_embedding`` the decoder's weight is the word-embedding matrix itself.
    A subclass with an LM head returns it from :meth:`_lm_head`; a task model returns its
    backbone from :meth:`_bert`.

    Example:
        >>> from lucid.models import BERT, BERTConfig
        >>> bert = BERT(BERTConfig(vocab_size=20, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
        ...                        intermediate_size=16))
        >>> bert.get_input_embeddings().weight.shape, bert.get_output_embeddings()
        ((20, 8), None)
    """

    def _bert(self):
        """The backbone (a :class:`~lucid.models.BERT`): the model itself, or a task model's ``bert``."""
        return self

    def _lm_head(self):
        """The :class:`~lucid.models.BERTLMPredictionHead` whose decoder is the output embeddings, or None."""
        return None

    def get_input_embeddings(self):
        """The word-embedding layer (an :class:`lucid.nn.Embedding`, ``(vocab_size, hidden_size)``)."""
        return self._bert().embeddings.word_embeddings

    def set_input_embeddings(self, embedding) -> None:
        """Replace the word-embedding layer, then :meth:`tie_weights` (a tied LM decoder takes the
        new matrix).

        Raises:
            TypeError: ``embedding`` is not an :class:`lucid.nn.Embedding`.
            ValueError: its shape is not ``(config.vocab_size, config.hidden_size)``.
            RuntimeError: it is on another device than the model.
        """
        if not isinstance(embedding, nn.Embedding):
            raise TypeError(f"embedding must be a lucid.nn.Embedding, got {type(embedding).__name__}")
        cfg = self.config
        if tuple(embedding.weight.shape) != (cfg.vocab_size, cfg.hidden_size):
            raise ValueError(f"embedding of shape {tuple(embedding.weight.shape)} does not fit the model's "
                             f"(vocab_size, hidden_size) = {(cfg.vocab_size, cfg.hidden_size)}")
        _backend.check_on(self.get_input_embeddings().weight.device, embedding.weight, "embedding")
        self._bert().embeddings.word_embeddings = embedding
        self.tie_weights()

    def get_output_embeddings(self):
        """The LM head's vocabulary decoder (an :class:`lucid.nn.Linear`), or None without an LM head."""
        head = self._lm_head()
        return None if head is None else head.decoder

    def set_output_embeddings(self, linear) -> None:
        """Make ``linear`` the LM head's vocabulary decoder (its bias becomes the head's ``bias``),
        then :meth:`tie_weights`.

        Raises:
            TypeError: the model has no LM head (the backbone, a classifier), or ``linear`` is not
                an :class:`lucid.nn.Linear`.
            ValueError: ``linear`` does not map ``hidden_size`` to ``vocab_size`` with a bias.
        """
        head = self._lm_head()
        if head is None:
            raise TypeError(f"{type(self).__name__} has no LM head, so no output embeddings to set "
                            "(get_output_embeddings() is None)")
        head.set_decoder(linear)
        self.tie_weights()

    def tie_weights(self) -> None:
        """With ``config.tie_word_embedding``, make the LM decoder's weight the word-embedding
        matrix (one Parameter, trained by both uses); nothing to do without an LM head."""
        head = self._lm_head()
        if head is not None and self.config.tie_word_embedding:
            head.tie_to(self.get_input_embeddings().weight)


# ---- the base class --------------------------------------------------------------------------
class TaskModel(SharedMethods, PretrainedMixin, nn.Module):
    """The base of the task models: a :class:`BERTConfig` and a backbone named ``bert``
    (Hugging Face's name), the :class:`SharedMethods`, and the plumbing each ``*_from_text``
    method shares.

    A subclass builds ``self.bert`` and its head in ``__init__`` after
    ``super().__init__(config)``, names its Hugging Face architecture and, with a
    language-model head, returns it from ``_lm_head``.

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

    def _bert(self):
        return self.bert

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

    def _token_outputs(self, head, input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds):
        """``head`` on every real token's last hidden state, laid out ``(batch, seq, ...)``: with
        a packed batch (:attr:`BERT.packing`) the head skips the padding, whose outputs are zeros."""
        rows, packing = self.bert.hidden_rows(input_ids, attention_mask, token_type_ids, position_ids,
                                              inputs_embeds)
        out = head(rows)
        return out if packing is None else packing.unpack(out)

    def _encode(self, tokenizer, text_a, text_b, device, max_length, special_tokens_mask=False) -> dict:
        """The id tensors of a ``*_from_text`` call, on the device :func:`resolve_device`
        picks; ``max_length`` None means the longest input the model takes."""
        device = resolve_device(self, device)
        if max_length is None:
            max_length = self.config.max_position_embeddings
        return encode_texts(tokenizer, text_a, text_b, max_length, device, special_tokens_mask=special_tokens_mask)
