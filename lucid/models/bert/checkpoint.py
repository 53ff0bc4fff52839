"""Reading and writing BERT checkpoints: Hugging Face folders, and state dicts saved by the
original Lucid.

A model folder holds ``config.json`` and ``model.safetensors`` (or shards listed in
``model.safetensors.index.json``). Lucid's modules carry the Hugging Face names, so the
rename table (:func:`normalize_key`, :func:`plan_load`) is short and the same for the
backbone and every head:

* the optional ``bert.`` prefix (a backbone checkpoint into a task model, or the reverse);
* LayerNorm spellings: legacy ``gamma``/``beta``, and the original Lucid's lower-case
  ``layernorm`` anywhere in a key;
* ``cls.predictions.decoder.bias``, the alias of ``cls.predictions.bias`` (the original
  Lucid stores only the former);
* copies that carry nothing and are dropped silently: the ``position_ids`` /
  ``token_type_ids`` buffers when they hold the defaults lucid rebuilds (``0..n-1``, zeros),
  and the original Lucid's ``bert.output_embeddings.*``, a second copy of the LM decoder;
* weights a model knows it does not use (pooler weights on a model without a pooler, as the
  original Lucid saved them for every task; buffers or output embeddings holding anything
  else): ignored and named in a warning, never a strict-loading error.

Pickled ``pytorch_model.bin`` files are never opened.
"""

from __future__ import annotations

import json
import os
import types
import warnings

import numpy as np

from ... import _backend, nn
from ..._tensor import Tensor, mark_modified
from .config import BERTConfig
from .hub import resolve_folder

__all__ = [
    "CONFIG_NAME", "WEIGHTS_NAME", "WEIGHTS_INDEX_NAME", "check_model_folder", "read_config", "read_weights",
    "read_weights_from", "normalize_key", "plan_load", "load_into", "save_folder", "label_names",
    "set_label_names", "PretrainedMixin",
]

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
WEIGHTS_INDEX_NAME = "model.safetensors.index.json"
_PICKLE_NAMES = ("pytorch_model.bin", "pytorch_model.bin.index.json", "tf_model.h5", "flax_model.msgpack")
# Buffers some checkpoints store (older transformers, the original Lucid); lucid rebuilds them.
_BUFFER_SUFFIXES = ("embeddings.position_ids", "embeddings.token_type_ids")
_PREFIX = "bert."
# The original Lucid's backbone held its task's LM decoder a second time, under this name.
_OUTPUT_EMBEDDINGS = "bert.output_embeddings."
_DECODER = "cls.predictions.decoder."


def _check_folder(folder) -> str:
    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"no model folder at {folder!r}")
    return folder


def check_model_folder(folder) -> str:
    """``folder`` as a string once it is a folder holding ``config.json``; otherwise an error
    naming the path. A command line checks this before reading anything else, so a wrong
    path is the first thing reported.

    Raises:
        FileNotFoundError: nothing exists at ``folder``, or it has no ``config.json``.
        NotADirectoryError: ``folder`` is a file.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> BERTConfig(vocab_size=50).save_pretrained(folder)
        >>> check_model_folder(folder) == folder
        True
    """
    folder = os.fspath(folder)
    if not os.path.exists(folder):
        raise FileNotFoundError(f"no model folder at {folder!r}")
    if not os.path.isdir(folder):
        raise NotADirectoryError(f"{folder!r} is a file, expected a model folder "
                                 f"({CONFIG_NAME}, {WEIGHTS_NAME}, vocab.txt)")
    if not os.path.isfile(os.path.join(folder, CONFIG_NAME)):
        raise FileNotFoundError(f"model folder {folder!r} has no {CONFIG_NAME}")
    return folder


def read_config(folder) -> BERTConfig:
    """The :class:`BERTConfig` in ``folder/config.json``."""
    return BERTConfig.from_pretrained(folder)


def read_weights(folder, lazy: bool = False) -> dict:
    """All arrays of ``folder``'s safetensors weights (one file or an indexed set of shards).

    With ``lazy=True`` a value may be a handle with the tensor's ``shape`` and ``dtype`` that
    reads it from the file only when converted (``np.asarray``), so that loading a model holds
    one checkpoint tensor at a time beside the parameters instead of the whole checkpoint.

    Raises:
        FileNotFoundError: the folder or its safetensors weights are missing; when only a
            pickled ``pytorch_model.bin`` is there, the message says that lucid reads
            safetensors only and how to convert.
    """
    from ...serialization import load_arrays

    folder = _check_folder(folder)
    single = os.path.join(folder, WEIGHTS_NAME)
    index = os.path.join(folder, WEIGHTS_INDEX_NAME)
    read = _read_lazily if lazy else (lambda path: load_arrays(path)[0])
    if os.path.isfile(single):
        return read(single)
    if os.path.isfile(index):
        arrays = {}
        for shard in _shard_names(index):
            arrays.update(read(os.path.join(folder, shard)))
        return arrays
    found = [n for n in _PICKLE_NAMES if os.path.isfile(os.path.join(folder, n))]
    if found:
        raise FileNotFoundError(
            f"model folder {folder!r} has {found[0]} but no {WEIGHTS_NAME}: lucid reads only safetensors "
            "weights (it never unpickles files). Convert once with transformers: "
            "AutoModel.from_pretrained(folder).save_pretrained(folder, safe_serialization=True)"
        )
    raise FileNotFoundError(f"model folder {folder!r} has no {WEIGHTS_NAME}")


class _Stored:
    """A tensor of a safetensors file, read when converted with ``np.asarray``."""

    __slots__ = ("path", "key", "shape", "dtype")

    def __init__(self, path, key, shape, dtype):
        self.path, self.key, self.shape, self.dtype = path, key, tuple(shape), dtype

    def __array__(self, dtype=None, copy=None):
        from safetensors import safe_open

        with safe_open(self.path, framework="numpy") as f:
            arr = f.get_tensor(self.key)
        return arr if dtype is None else arr.astype(dtype, copy=False)


# safetensors dtype names NumPy reads as they are (bfloat16 goes through load_arrays' widening)
_PLAIN = {"BOOL": "bool", "U8": "uint8", "I8": "int8", "U16": "uint16", "I16": "int16", "U32": "uint32",
          "I32": "int32", "U64": "uint64", "I64": "int64", "F16": "float16", "F32": "float32", "F64": "float64"}


def _read_lazily(path) -> dict:
    """``path``'s tensors as :class:`_Stored` handles; a file that is not plainly readable (bad
    header, bfloat16, a dtype lucid cannot hold) goes through ``load_arrays``, which widens or
    raises as it always does."""
    from safetensors import safe_open

    from ...serialization import load_arrays

    try:
        with safe_open(path, framework="numpy") as f:
            slices = {k: f.get_slice(k) for k in f.keys()}
            kinds = {k: s.get_dtype() for k, s in slices.items()}
            if all(kind in _PLAIN for kind in kinds.values()):
                return {k: _Stored(path, k, s.get_shape(), np.dtype(_PLAIN[kinds[k]])) for k, s in slices.items()}
    except Exception:  # load_arrays below raises the error a user sees
        pass
    return load_arrays(path)[0]


def _shard_names(index: str) -> list:
    """The shard file names an index lists; each must be a plain file name in the folder."""
    try:
        with open(index, encoding="utf-8") as f:
            weight_map = json.load(f).get("weight_map")
    except (ValueError, AttributeError) as err:  # bad JSON or UTF-8, or not a JSON object
        raise ValueError(f"{index!r} is not a valid safetensors index (a JSON object with 'weight_map'): "
                         f"{err}") from err
    if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
        raise ValueError(f"{index!r} has no 'weight_map' of weight name -> shard file name")
    shards = sorted(set(weight_map.values()))
    for shard in shards:
        if os.path.basename(shard) != shard or shard in ("", ".", ".."):
            raise ValueError(f"{index!r} names shard {shard!r} outside the model folder; only file names are read")
    return shards


def read_weights_from(weights) -> tuple[dict, str]:
    """``(arrays, source)``: the arrays of a model folder (see :func:`read_weights`) or of one
    ``.safetensors`` file, and how a message names it.

    Raises:
        TypeError: ``weights`` is not a path.
        FileNotFoundError: nothing is at the path, or a folder has no safetensors weights.
        ValueError: a file that is not a valid safetensors file.

    Example:
        >>> import numpy as np, os, tempfile
        >>> from lucid.serialization import save_arrays
        >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> save_arrays({"classifier.bias": np.zeros(2, np.float32)}, path)
        >>> sorted(read_weights_from(path)[0])
        ['classifier.bias']
    """
    from ...serialization import load_arrays

    if not isinstance(weights, (str, os.PathLike)):
        raise TypeError(f"weights must be a model folder or a .safetensors file, got {type(weights).__name__}")
    path = os.fspath(weights)
    if os.path.isdir(path):
        return read_weights(path), repr(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no model folder or .safetensors file at {path!r}")
    return load_arrays(path)[0], repr(path)


def normalize_key(key: str) -> str:
    """A checkpoint key under today's Hugging Face names: the original Lucid's lower-case
    ``layernorm`` is ``LayerNorm``, and legacy ``gamma``/``beta`` are ``weight``/``bias``.

    Example:
        >>> normalize_key("bert.embeddings.LayerNorm.gamma")
        'bert.embeddings.LayerNorm.weight'
        >>> normalize_key("bert.encoder.layer.0.output.layernorm.weight")
        'bert.encoder.layer.0.output.LayerNorm.weight'
    """
    parts = ["LayerNorm" if p == "layernorm" else p for p in key.split(".")]
    parts[-1] = {"gamma": "weight", "beta": "bias"}.get(parts[-1], parts[-1])
    return ".".join(parts)


def _resolve(model, name):
    """The Parameter/Buffer object at dotted ``name`` (ModuleList entries by number)."""
    obj = model
    for part in name.split("."):
        obj = obj[int(part)] if part.isdigit() and not hasattr(obj, part) else getattr(obj, part)
    return obj


def _match(key, expected, tied):
    """The model name a checkpoint key loads into, or None."""
    for cand in (key, key[len(_PREFIX):] if key.startswith(_PREFIX) else None, _PREFIX + key):
        if cand is not None and (cand in expected or cand in tied):
            return cand
    return None


def _holds_defaults(key, arr) -> bool:
    """Whether buffer ``arr`` holds what lucid rebuilds: positions ``0..n-1``, token types 0."""
    arr = np.asarray(arr)
    if key.endswith("position_ids"):
        return bool((arr == np.arange(arr.shape[-1] if arr.ndim else 1)).all())
    return not bool(arr.any())


def _unused(key, arr, arrays, has_pooler):
    """``"drop"`` for a key that carries nothing (a copy, default buffers), ``"ignore"`` for
    one the model knows it does not use, None for the others (loaded, or unexpected)."""
    if key.endswith(_BUFFER_SUFFIXES):
        return "drop" if _holds_defaults(key, arr) else "ignore"
    if key.startswith(_OUTPUT_EMBEDDINGS):
        twin = arrays.get(_DECODER + key[len(_OUTPUT_EMBEDDINGS):])
        return "drop" if twin is not None and np.array_equal(np.asarray(twin), np.asarray(arr)) else "ignore"
    if not has_pooler and key.startswith(("pooler.", _PREFIX + "pooler.")):
        return "ignore"
    return None


def plan_load(model, arrays: dict):
    """What loading checkpoint ``arrays`` into ``model`` means, by the rename table above.

    Returns:
        ``(values, missing, unexpected, ignored)``: ``values`` maps the model's parameter
        names (aliases of a tied parameter left out) to arrays; ``missing`` lists the model's
        names the checkpoint lacks; ``unexpected`` maps checkpoint keys (renamed) that match
        nothing to their arrays; ``ignored`` lists the keys the model knows it does not use.

    Example:
        >>> import numpy as np
        >>> from lucid.models import BERTConfig, BERTForSequenceClassification
        >>> model = BERTForSequenceClassification(BERTConfig(vocab_size=20, hidden_size=8, num_hidden_layers=1,
        ...                                                  num_attention_heads=2, intermediate_size=16))
        >>> values, missing, unexpected, ignored = plan_load(model, {
        ...     "bert.embeddings.layernorm.weight": np.ones(8), "bert.embeddings.position_ids": np.arange(512)[None],
        ...     "qa_outputs.bias": np.zeros(2)})
        >>> list(values), list(unexpected), ignored, len(missing)
        (['bert.embeddings.LayerNorm.weight'], ['qa_outputs.bias'], [], 24)
    """
    state = model.state_dict()
    tied = model._tied_names() if hasattr(model, "_tied_names") else {}
    expected = {k for k in state if k not in tied}
    has_pooler = any(".pooler." in "." + k for k in state)
    arrays = {normalize_key(k): v for k, v in arrays.items()}
    # The decoder's bias is the one every transformers version applies (older checkpoints and the
    # original Lucid hold only it; transformers 5 with untied embeddings keeps a separate, unused
    # predictions.bias).
    for k in list(arrays):
        if k.endswith("cls.predictions.decoder.bias"):
            arrays[k[: -len("decoder.bias")] + "bias"] = arrays[k]
    values, unexpected, ignored = {}, {}, []
    for key, arr in arrays.items():
        verdict = _unused(key, arr, arrays, has_pooler)
        if verdict is not None:
            if verdict == "ignore":
                ignored.append(key)
            continue
        name = _match(key, expected, tied)
        if name is None:
            unexpected[key] = arr
        elif name not in tied:  # a shared parameter is loaded under its own name
            values[name] = arr
    return values, sorted(expected - set(values)), dict(sorted(unexpected.items())), sorted(ignored)


def load_into(model, arrays: dict, source: str = "checkpoint", warn: bool = True):
    """Copy checkpoint ``arrays`` into ``model``'s parameters through :func:`plan_load`.

    Parameters the checkpoint lacks keep their fresh initialisation and, like checkpoint
    keys the model does not use, are listed in one ``warnings.warn``.

    Returns:
        ``(missing, unexpected)``: sorted lists of model and checkpoint names (``unexpected``
        includes the ignored keys).

    Raises:
        ValueError: naming the key and both shapes when a checkpoint array does not fit.
    """
    values, missing, unexpected, ignored = plan_load(model, arrays)
    params = {name: _resolve(model, name) for name in values}
    for name, arr in values.items():
        if tuple(arr.shape) != tuple(params[name].shape):
            raise ValueError(
                f"{source}: shape mismatch for {name!r}: the checkpoint has {tuple(arr.shape)}, "
                f"the model expects {tuple(params[name].shape)}"
            )
    for name, arr in values.items():
        param = params[name]
        if isinstance(arr, _Stored):
            arr = np.asarray(arr)  # read now: one checkpoint tensor in memory at a time
        param.data[...] = param.xp.asarray(arr)  # in place, so the parameter keeps its array, dtype and device
        mark_modified(param)  # a graph that saved the old values must not run backward with these
    unused = sorted([*unexpected, *ignored])
    if warn and (missing or unused):
        parts = []
        if missing:
            parts.append(f"weights not in the checkpoint, newly initialised: {missing}")
        if unused:
            parts.append(f"checkpoint weights the model does not use: {unused}")
        warnings.warn(f"{type(model).__name__} from {source}: " + "; ".join(parts), stacklevel=3)
    return missing, unused


def save_folder(model, folder, architecture: str, config_extra: dict | None = None, tokenizer=None) -> None:
    """Write ``config.json`` (with ``architectures``) and ``model.safetensors`` under Hugging Face
    names, and ``tokenizer``'s files when one is given, as one save of the whole folder
    (:func:`lucid.serialization.staged_folder`): at every moment, a crash included, the folder
    holds the complete previous checkpoint or the complete new one."""
    from ...serialization import atomic_write_files, safetensors_bytes, staged_folder

    tied = model._tied_names() if hasattr(model, "_tied_names") else {}
    keep = set(getattr(model, "_saved_aliases", ()))
    arrays = {k: v for k, v in model.state_dict().items()
              if (k not in tied or k in keep) and not k.endswith(_BUFFER_SUFFIXES)}
    more = {"architectures": [architecture]}
    more.update(config_extra or {})
    files = {WEIGHTS_NAME: safetensors_bytes(arrays, metadata={"format": "pt"}),
             CONFIG_NAME: model.config._json_bytes(**more)}
    with staged_folder(folder) as stage:
        atomic_write_files({os.path.join(stage, name): data for name, data in files.items()})
        if tokenizer is not None:
            tokenizer.save_pretrained(stage)


def label_names(config: BERTConfig, num_labels: int) -> list[str]:
    """The class names of a ``num_labels``-way classifier in id order: the config's
    ``id2label`` when it names exactly those ids, else ``LABEL_0``, ``LABEL_1``, ... (the
    names Hugging Face gives classes it knows nothing about).

    Example:
        >>> cfg = BERTConfig(id2label={1: "positive", 0: "negative"})
        >>> label_names(cfg, 2), label_names(cfg, 3)
        (['negative', 'positive'], ['LABEL_0', 'LABEL_1', 'LABEL_2'])
    """
    if config.id2label is not None and sorted(config.id2label) == list(range(num_labels)):
        return [config.id2label[i] for i in range(num_labels)]
    return [f"LABEL_{i}" for i in range(num_labels)]


def set_label_names(config: BERTConfig, names) -> None:
    """Record class names (in id order) as the config's ``id2label``/``label2id``, so the
    next ``save_pretrained`` writes them into ``config.json``.

    Example:
        >>> cfg = BERTConfig()
        >>> set_label_names(cfg, ["negative", "positive"])
        >>> cfg.id2label, cfg.label2id
        ({0: 'negative', 1: 'positive'}, {'negative': 0, 'positive': 1})
    """
    names = [str(n) for n in names]
    if len(set(names)) != len(names):
        raise ValueError(f"label names must be distinct, got {names}")
    config.id2label = dict(enumerate(names))
    config.label2id = {n: i for i, n in enumerate(names)}


class ClassOrInstanceMethod:
    """A method with two forms: called on the class it runs ``on_class(cls, ...)``, called on an
    instance ``on_instance(self, ...)``. ``from_pretrained`` is one: the class form builds a
    model (Hugging Face's way), the instance form loads weights into a built one (the original
    Lucid's). Documentation tools see the class form, whose docstring covers both.

    Example:
        >>> class Thing:
        ...     def _make(cls, n):
        ...         return [cls.__name__] * n
        ...     def _fill(self, n):
        ...         return n
        ...     both = ClassOrInstanceMethod(_make, _fill)
        >>> Thing.both(2), Thing().both(5)
        (['Thing', 'Thing'], 5)
    """

    def __init__(self, on_class, on_instance):
        self.on_class, self.on_instance = on_class, on_instance
        self.__doc__ = on_class.__doc__

    def __get__(self, obj, owner=None):
        if obj is None:
            return types.MethodType(self.on_class, owner)
        return types.MethodType(self.on_instance, obj)


def _build_pretrained(cls, name_or_path, *, device="cpu", revision=None, cache_dir=None, **kwargs):
    """Build a model from a folder: ``Cls.from_pretrained(name_or_path, *, device="cpu", ...)``,
    or, on a model, load weights into it: ``model.from_pretrained(weights, strict=True)``.

    **On the class** (Hugging Face's way): ``name_or_path`` is a model folder, Hugging Face's
    (``config.json`` + ``model.safetensors``, with or without the ``bert.`` key prefix, legacy
    ``gamma``/``beta`` names), one that ``save_pretrained`` wrote, or one holding a state dict
    saved by the original Lucid (its key names are renamed, see :mod:`.checkpoint`). Weights
    the checkpoint lacks (a new head) keep their fresh initialisation and are listed in a
    warning, as are checkpoint keys the model does not use. The model comes back in eval mode
    (dropout off), on ``device``, which is checked first: ``device="gpu"`` without a GPU fails
    before anything is read. Other keywords go to the constructor (``num_labels=``).
    ``name_or_path`` may also be a Hub repository id (``"org/name"``, when no such local path
    exists) or a :mod:`lucid.weights` entry: the files lucid reads are downloaded at
    ``revision`` into the Hugging Face cache (or ``cache_dir``) first, see
    :func:`lucid.models.bert.hub.download`. What loading left out is in
    ``model.loading_info`` (``missing_keys``, ``unexpected_keys``), as transformers'
    ``output_loading_info`` gives it. Each checkpoint tensor is read from the file when it is
    copied into its parameter, so loading holds the model and one checkpoint tensor, never a
    second copy of the whole checkpoint.

    **On a model** (the original Lucid's way): ``weights`` is a model folder or a
    ``.safetensors`` file (or a :mod:`lucid.weights` entry or Hub repository id, downloaded
    first), its keys in Hugging Face's, lucid's or the original Lucid's names.
    They are loaded in place through :meth:`load_state_dict` (``strict=True``: a missing or
    unexpected weight is a ``RuntimeError``) and the model is returned, in the mode and on the
    device it had.

    Raises:
        FileNotFoundError: naming the path when it, its ``config.json`` or its safetensors
            weights are missing (a ``pytorch_model.bin``-only folder gets a message saying that
            only safetensors is read).
        ValueError: naming the key and both shapes when a weight does not fit the config.
        RuntimeError: ``device="gpu"`` without CuPy or a CUDA GPU.

    Example:
        >>> import tempfile
        >>> from lucid.models import BERTConfig, BERTForSequenceClassification
        >>> cfg = BERTConfig(vocab_size=20, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
        ...                  intermediate_size=16)
        >>> folder = tempfile.mkdtemp()
        >>> BERTForSequenceClassification(cfg, num_labels=3).save_pretrained(folder)
        >>> BERTForSequenceClassification.from_pretrained(folder).num_labels
        3
        >>> model = BERTForSequenceClassification(cfg, num_labels=3)
        >>> model.from_pretrained(folder) is model
        True
    """
    _backend.get_xp(device)  # the device first: a missing GPU is said before the weights are read
    folder = resolve_folder(name_or_path, revision=revision, cache_dir=cache_dir)
    config = read_config(folder)
    arrays = read_weights(folder, lazy=True)  # each tensor read when it is copied into its parameter
    model = cls._from_checkpoint_config(config, arrays, **{**cls._folder_kwargs(folder), **kwargs})
    missing, unexpected = load_into(model, arrays, source=repr(os.fspath(folder)))
    model.loading_info = {"missing_keys": missing, "unexpected_keys": unexpected}
    if device != "cpu":
        model.to(device)
    return model.eval()


def _load_pretrained(self, weights, strict=True):
    arrays, source = read_weights_from(resolve_folder(weights))
    _load_state(self, arrays, strict, f"{type(self).__name__}.from_pretrained({source})")
    return self


def _load_state(model, state_dict, strict, source):
    """:meth:`lucid.nn.Module.load_state_dict` of ``model`` after :func:`plan_load`; the keys it
    ignores are named in a warning from ``source``, shown at the caller's caller."""
    if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
        raise TypeError(f"expected a dict-like state_dict, got {type(state_dict).__name__}")
    arrays = {k: state_dict[k].data if isinstance(state_dict[k], Tensor) else state_dict[k] for k in state_dict}
    values, _, unexpected, ignored = plan_load(model, arrays)
    full = {**values, **unexpected}
    for alias, owner in model._tied_names().items():
        if owner in values:
            full[alias] = values[owner]
    result = nn.Module.load_state_dict(model, full, strict)
    if ignored:
        warnings.warn(f"{source}: checkpoint weights the model does not use, ignored: {ignored}", stacklevel=3)
    return result


class PretrainedMixin:
    """``from_pretrained``/``save_pretrained``/``load_state_dict`` for lucid's BERT models.

    A model class names its Hugging Face architecture (``_hf_architecture``), may list
    parameter names that alias another parameter (``_tied_names``: alias -> owner) and may
    add keys to the saved config (``_config_extra``). ``_from_checkpoint_config`` builds the
    empty model before the weights are copied in.
    """

    _hf_architecture = None
    _saved_aliases = ()  # aliases written anyway, for readers that do not tie them

    def _tied_names(self) -> dict:
        return {}

    def _config_extra(self) -> dict:
        return {}

    @classmethod
    def _from_checkpoint_config(cls, config, arrays, **kwargs):
        return cls(config, **kwargs)

    @classmethod
    def _folder_kwargs(cls, folder) -> dict:
        """Constructor keywords a model folder's own files set (the caller's win)."""
        return {}

    from_pretrained = ClassOrInstanceMethod(_build_pretrained, _load_pretrained)

    def load_state_dict(self, state_dict, strict=True):
        """:meth:`lucid.nn.Module.load_state_dict` through the checkpoint rename table: a state
        dict in Hugging Face's names, lucid's, or the original Lucid's (lower-case
        ``layernorm``, ``bert.output_embeddings.*``, no ``cls.predictions.bias``, stored
        buffers) loads. Keys the model knows it does not use (a pooler on a pooler-less model,
        say) are named in a warning and do not fail ``strict``; aliases of a tied weight may
        be given or left out.

        Returns:
            ``IncompatibleKeys(missing_keys, unexpected_keys)`` in the model's names.

        Example:
            >>> from lucid.models import BERTConfig, BERTForMaskedLM
            >>> cfg = BERTConfig(vocab_size=20, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
            ...                  intermediate_size=16)
            >>> a, b = BERTForMaskedLM(cfg), BERTForMaskedLM(cfg)
            >>> state = {k.replace("LayerNorm", "layernorm"): v for k, v in a.state_dict().items()}
            >>> b.load_state_dict(state)
            <All keys matched successfully>
        """
        return _load_state(self, state_dict, strict, f"{type(self).__name__}.load_state_dict")

    def save_pretrained(self, folder, *, tokenizer=None) -> None:
        """Write ``folder/config.json`` (with ``architectures``) and ``folder/model.safetensors``
        under Hugging Face names, so lucid and ``transformers`` both load it; tied weights are
        stored once. ``tokenizer`` (keyword-only) writes its files into the same save.

        The save is atomic for the whole folder: until it completes the folder holds the
        previous files, then all the new ones, even if the process is killed part way (the
        folder is swapped for a new one holding its other files too; see
        :func:`lucid.serialization.staged_folder`). Files get the process's umask.

        Example:
            >>> import os, tempfile
            >>> from lucid.models import BERTConfig, BERTForMaskedLM, BERTTokenizerFast
            >>> model = BERTForMaskedLM(BERTConfig.tiny(vocab_size=10))
            >>> folder = os.path.join(tempfile.mkdtemp(), "mlm")
            >>> model.save_pretrained(folder, tokenizer=BERTTokenizerFast())
            >>> sorted(os.listdir(folder))[:3]
            ['config.json', 'model.safetensors', 'special_tokens_map.json']
        """
        save_folder(self, folder, self._hf_architecture, self._config_extra(), tokenizer=tokenizer)
