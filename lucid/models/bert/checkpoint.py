"""Reading and writing BERT checkpoints in the Hugging Face folder layout.

A model folder holds ``config.json`` and ``model.safetensors`` (or shards listed in
``model.safetensors.index.json``). Lucid's modules carry the Hugging Face names, so the
rename table is short: the optional ``bert.`` prefix, legacy ``LayerNorm.gamma/beta``,
the ``cls.predictions.decoder.bias`` alias of ``cls.predictions.bias``, and the
``position_ids``/``token_type_ids`` buffers that older checkpoints store but nothing reads.
Pickled ``pytorch_model.bin`` files are never opened.
"""

from __future__ import annotations

import json
import os
import warnings

from .config import BERTConfig
from .hub import resolve_folder

__all__ = [
    "CONFIG_NAME", "WEIGHTS_NAME", "WEIGHTS_INDEX_NAME", "check_model_folder", "read_config", "read_weights",
    "normalize_key", "load_into", "save_folder", "label_names", "set_label_names", "PretrainedMixin",
]

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
WEIGHTS_INDEX_NAME = "model.safetensors.index.json"
_PICKLE_NAMES = ("pytorch_model.bin", "pytorch_model.bin.index.json", "tf_model.h5", "flax_model.msgpack")
# Buffers some checkpoints store; lucid rebuilds them, so they are neither loaded nor reported.
_IGNORED_SUFFIXES = ("embeddings.position_ids", "embeddings.token_type_ids")
_PREFIX = "bert."


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


def read_weights(folder) -> dict:
    """All arrays of ``folder``'s safetensors weights (one file or an indexed set of shards).

    Raises:
        FileNotFoundError: the folder or its safetensors weights are missing; when only a
            pickled ``pytorch_model.bin`` is there, the message says that lucid reads
            safetensors only and how to convert.
    """
    from ...serialization import load_arrays

    folder = _check_folder(folder)
    single = os.path.join(folder, WEIGHTS_NAME)
    index = os.path.join(folder, WEIGHTS_INDEX_NAME)
    if os.path.isfile(single):
        return load_arrays(single)[0]
    if os.path.isfile(index):
        arrays = {}
        for shard in _shard_names(index):
            arrays.update(load_arrays(os.path.join(folder, shard))[0])
        return arrays
    found = [n for n in _PICKLE_NAMES if os.path.isfile(os.path.join(folder, n))]
    if found:
        raise FileNotFoundError(
            f"model folder {folder!r} has {found[0]} but no {WEIGHTS_NAME}: lucid reads only safetensors "
            "weights (it never unpickles files). Convert once with transformers: "
            "AutoModel.from_pretrained(folder).save_pretrained(folder, safe_serialization=True)"
        )
    raise FileNotFoundError(f"model folder {folder!r} has no {WEIGHTS_NAME}")


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


def normalize_key(key: str) -> str:
    """A checkpoint key under today's Hugging Face names (``gamma``/``beta`` become
    ``weight``/``bias`` on LayerNorms).

    Example:
        >>> normalize_key("bert.embeddings.LayerNorm.gamma")
        'bert.embeddings.LayerNorm.weight'
    """
    if key.endswith(".gamma"):
        return key[: -len("gamma")] + "weight"
    if key.endswith(".beta"):
        return key[: -len("beta")] + "bias"
    return key


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


def load_into(model, arrays: dict, source: str = "checkpoint", warn: bool = True):
    """Copy checkpoint ``arrays`` into ``model``'s parameters, matching Hugging Face names.

    Parameters the checkpoint lacks keep their fresh initialisation and, like checkpoint
    keys the model does not use, are listed in one ``warnings.warn``.

    Returns:
        ``(missing, unexpected)``: sorted lists of model and checkpoint names.

    Raises:
        ValueError: naming the key and both shapes when a checkpoint array does not fit.
    """
    state = model.state_dict()
    tied = model._tied_names() if hasattr(model, "_tied_names") else {}
    expected = {k for k in state if k not in tied}
    arrays = {normalize_key(k): v for k, v in arrays.items()}
    # The decoder's bias is the one every transformers version applies (older checkpoints hold
    # only it; transformers 5 with untied embeddings keeps a separate, unused predictions.bias).
    for k in list(arrays):
        if k.endswith("cls.predictions.decoder.bias"):
            arrays[k[: -len("decoder.bias")] + "bias"] = arrays[k]
    loaded, unexpected = set(), []
    for key, arr in arrays.items():
        if key.endswith(_IGNORED_SUFFIXES):
            continue
        name = _match(key, expected, tied)
        if name is None:
            unexpected.append(key)
            continue
        if name in tied:
            continue  # a shared parameter, loaded under its own name
        param = _resolve(model, name)
        if tuple(arr.shape) != tuple(param.shape):
            raise ValueError(
                f"{source}: shape mismatch for {key!r}: the checkpoint has {tuple(arr.shape)}, "
                f"the model expects {tuple(param.shape)}"
            )
        # in place, so the parameter keeps its array, dtype and device
        param.data[...] = param.xp.asarray(arr)
        loaded.add(name)
    missing = sorted(expected - loaded)
    unexpected = sorted(unexpected)
    if warn and (missing or unexpected):
        parts = []
        if missing:
            parts.append(f"weights not in the checkpoint, newly initialised: {missing}")
        if unexpected:
            parts.append(f"checkpoint weights the model does not use: {unexpected}")
        warnings.warn(f"{type(model).__name__} from {source}: " + "; ".join(parts), stacklevel=3)
    return missing, unexpected


def save_folder(model, folder, architecture: str, config_extra: dict | None = None) -> None:
    """Write ``config.json`` (with ``architectures``) and ``model.safetensors`` under
    Hugging Face names, as one atomic save (a failure leaves the previous files intact)."""
    from ...serialization import atomic_write_files, safetensors_bytes

    folder = os.fspath(folder)
    os.makedirs(folder, exist_ok=True)
    tied = model._tied_names() if hasattr(model, "_tied_names") else {}
    keep = set(getattr(model, "_saved_aliases", ()))
    arrays = {k: v for k, v in model.state_dict().items()
              if (k not in tied or k in keep) and not k.endswith(_IGNORED_SUFFIXES)}
    more = {"architectures": [architecture]}
    more.update(config_extra or {})
    # Both files are staged before either replaces its old version: a failed save never leaves
    # new weights beside an old config (or the reverse).
    atomic_write_files({
        os.path.join(folder, WEIGHTS_NAME): safetensors_bytes(arrays, metadata={"format": "pt"}),
        os.path.join(folder, CONFIG_NAME): model.config._json_bytes(**more),
    })


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


class PretrainedMixin:
    """``from_pretrained``/``save_pretrained`` for lucid's BERT models.

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
    def from_pretrained(cls, folder, device="cpu", *, revision=None, cache_dir=None, **kwargs):
        """Load a model folder: Hugging Face's (``config.json`` + ``model.safetensors``, with
        or without the ``bert.`` key prefix, legacy ``gamma``/``beta`` names) or one that
        ``save_pretrained`` wrote. Weights the checkpoint lacks (a new head) keep their fresh
        initialisation and are listed in a warning, as are checkpoint keys the model does not
        use. The model comes back in eval mode (dropout off), on ``device``.

        ``folder`` may also be a Hub repository id (``"org/name"``, when no such local path
        exists) or a :mod:`lucid.weights` entry: the files lucid reads are downloaded at
        ``revision`` into the Hugging Face cache (or ``cache_dir``) first, see
        :func:`lucid.models.bert.hub.download`.

        Raises:
            FileNotFoundError: naming the folder when it, its ``config.json`` or its
                safetensors weights are missing (a ``pytorch_model.bin``-only folder gets a
                message saying that only safetensors is read).
            ValueError: naming the key and both shapes when a weight does not fit the config.
        """
        folder = resolve_folder(folder, revision=revision, cache_dir=cache_dir)
        config = read_config(folder)
        arrays = read_weights(folder)
        model = cls._from_checkpoint_config(config, arrays, **kwargs)
        missing, unexpected = load_into(model, arrays, source=repr(os.fspath(folder)))
        # as transformers' output_loading_info: what a caller checks before trusting a head
        model.loading_info = {"missing_keys": missing, "unexpected_keys": unexpected}
        if device != "cpu":
            model.to(device)
        return model.eval()

    def save_pretrained(self, folder) -> None:
        """Write ``folder/config.json`` (with ``architectures``) and ``folder/model.safetensors``
        under Hugging Face names, so lucid and ``transformers`` both load it; tied weights are
        stored once. The save is atomic: a failure part way leaves the previous files intact."""
        save_folder(self, folder, self._hf_architecture, self._config_extra())
