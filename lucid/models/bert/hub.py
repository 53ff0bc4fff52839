"""Downloading model folders from the Hugging Face Hub, through ``huggingface_hub``.

Only the files lucid reads are fetched: ``config.json``, the safetensors weights (one file,
or the index and the shards it names), the tokenizer files, and a sentence-transformers
folder's module descriptions; for a tokenizer alone (``tokenizer_only=True``, what
``BERTTokenizerFast.from_pretrained`` asks for), the tokenizer files only. Pickled weights
are never downloaded. Files land in ``huggingface_hub``'s own cache
(``~/.cache/huggingface/hub``, or ``HF_HUB_CACHE`` / ``HF_HOME``, or ``cache_dir=``), shared
with ``transformers``; a file is moved into place only once it is complete, so an
interrupted download leaves nothing half-written.

``HF_ENDPOINT`` and ``HF_HUB_OFFLINE`` are read when a download starts (``huggingface_hub``
reads them once, at import). Offline, the cached snapshot of the revision is used, or an
error says that it is not in the cache.
"""

from __future__ import annotations

import json
import os
import re

__all__ = ["download", "is_repo_id", "resolve_folder"]

_REPO_ID = re.compile(r"^(?:[A-Za-z0-9][\w.-]*/)?[A-Za-z0-9][\w.-]*$")
_TOKENIZER_FILES = ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")
_SENTENCE_FILES = ("modules.json", "sentence_bert_config.json")
_MODULE_CONFIG = re.compile(r"^\d+_\w+/(?:config|sentence_bert_config)\.json$")  # e.g. 1_Pooling/config.json
_PICKLES = ("pytorch_model.bin", "pytorch_model.bin.index.json", "tf_model.h5", "flax_model.msgpack")


def is_repo_id(name) -> bool:
    """Whether ``name`` is spelled like a Hub repository id (``"name"`` or ``"org/name"``).

    Example:
        >>> is_repo_id("google-bert/bert-base-uncased"), is_repo_id("./models/bert"), is_repo_id("a/b/c")
        (True, False, False)
    """
    return isinstance(name, str) and bool(_REPO_ID.match(name)) and ".." not in name


def _offline() -> bool:
    from huggingface_hub import constants

    value = os.environ.get("HF_HUB_OFFLINE", "")
    return bool(constants.HF_HUB_OFFLINE) or value.strip().upper() in ("1", "ON", "YES", "TRUE")


def _endpoint() -> str | None:
    return os.environ.get("HF_ENDPOINT") or None


def _wanted(files) -> list[str]:
    """The files of a repository lucid reads, weights first; ``files`` is its file list."""
    files = set(files)
    if "model.safetensors" in files:
        weights = ["model.safetensors"]
    elif "model.safetensors.index.json" in files:
        weights = ["model.safetensors.index.json"]  # the shards it names follow once it is read
    else:
        weights = []
    extra = [f for f in sorted(files) if f in _TOKENIZER_FILES or f in _SENTENCE_FILES or _MODULE_CONFIG.match(f)]
    return weights + ["config.json"] + extra


def _select(files, where, tokenizer_only) -> list[str]:
    """The files of a repository (its file list ``files``) that lucid fetches, top-level first;
    a ``FileNotFoundError`` naming ``where`` when one lucid needs is not there."""
    if tokenizer_only:
        wanted = [f for f in _TOKENIZER_FILES if f in files]
        if not any(f in wanted for f in _TOKENIZER_FILES[:2]):
            raise FileNotFoundError(f"{where} has no vocab.txt or tokenizer.json: no tokenizer lucid can read")
        return wanted
    if "config.json" not in files:
        raise FileNotFoundError(f"{where} has no config.json: it is not a model folder lucid can read")
    wanted = _wanted(files)
    if not wanted[0].startswith("model.safetensors"):
        pickled = [f for f in _PICKLES if f in files]
        detail = f" (only {pickled[0]}; lucid never unpickles files)" if pickled else ""
        raise FileNotFoundError(f"{where} publishes no safetensors weights{detail}")
    return wanted


def _shards(index_path: str) -> list[str]:
    """The shard file names a safetensors index lists. Only plain file names are fetched; a
    malformed index is left for the checkpoint reader to report."""
    try:
        with open(index_path, encoding="utf-8") as f:
            names = set(json.load(f)["weight_map"].values())
    except (ValueError, KeyError, TypeError, AttributeError):
        return []
    return sorted(n for n in names if isinstance(n, str) and n and os.path.basename(n) == n and n != "..")


def _where(repo_id, revision) -> str:
    return f"Hub repository {repo_id!r} (revision {revision!r})"


def download(repo_id: str, *, revision: str | None = None, cache_dir=None, tokenizer_only=False) -> str:
    """Download the files lucid reads from Hub repository ``repo_id`` at ``revision`` (a
    branch, tag or commit hash; None: ``"main"``) and return the local snapshot folder.

    ``tokenizer_only=True`` fetches only the tokenizer files (``vocab.txt``,
    ``tokenizer.json``, ``tokenizer_config.json``, ``special_tokens_map.json``), no config
    and no weights. Files already in the cache are not fetched again. With
    ``HF_HUB_OFFLINE=1`` nothing is fetched: the cached snapshot is returned.

    Raises:
        FileNotFoundError: the repository or revision does not exist, it publishes no
            ``config.json`` or no safetensors weights (only pickled ones), or no
            ``vocab.txt``/``tokenizer.json`` (``tokenizer_only``), or (offline) it is not in
            the cache; the message names the repository and revision.
        ConnectionError: the Hub could not be reached or a file's download failed part way;
            the message names the repository and the file.

    Example:
        >>> download("no-such-org/no-such-model", revision="main")  # doctest: +SKIP
        Traceback (most recent call last):
        ...
        FileNotFoundError: Hub repository 'no-such-org/no-such-model' (revision 'main') does not exist ...
    """
    if not is_repo_id(repo_id):
        raise ValueError(f"{repo_id!r} is not a Hub repository id ('name' or 'org/name')")
    revision = revision or "main"
    if _offline():
        return _cached(repo_id, revision, cache_dir, _TOKENIZER_FILES[:2] if tokenizer_only else ("config.json",))
    from huggingface_hub import HfApi, hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

    where = _where(repo_id, revision)
    try:
        info = HfApi(endpoint=_endpoint()).model_info(repo_id, revision=revision)
    except RevisionNotFoundError as err:
        raise FileNotFoundError(f"{where}: no such revision") from err
    except RepositoryNotFoundError as err:
        raise FileNotFoundError(f"{where} does not exist (or is private; log in with `hf auth login`)") from err
    except Exception as err:  # network failures come in several types, from httpx and huggingface_hub
        raise ConnectionError(f"could not reach the Hub for {where}: {_reason(err)}") from err
    wanted = _select([s.rfilename for s in (info.siblings or [])], where, tokenizer_only)

    def fetch(name):
        try:
            return hf_hub_download(repo_id, name, revision=revision, cache_dir=cache_dir, endpoint=_endpoint())
        except EntryNotFoundError as err:
            raise FileNotFoundError(f"{where} lists {name!r} but serves no such file") from err
        except Exception as err:
            raise ConnectionError(f"downloading {name!r} from {where} failed: {_reason(err)}; nothing partial "
                                  "was kept, run again to retry") from err

    paths = [fetch(name) for name in wanted]
    folder = os.path.dirname(paths[0])  # the first file wanted sits at the top of the snapshot
    if wanted[0] == "model.safetensors.index.json":
        paths += [fetch(shard) for shard in _shards(paths[0])]
    if any(os.path.commonpath([p, folder]) != folder for p in paths):
        raise ConnectionError(f"{where} changed while downloading (files of two commits); run again")
    return folder


def _reason(err) -> str:
    text = str(err).strip()
    return (text.splitlines()[0] if text else "") or type(err).__name__


def _cached(repo_id, revision, cache_dir, probes) -> str:
    """The cached snapshot folder of ``repo_id`` at ``revision`` (offline mode): the folder of
    the first of the top-level files ``probes`` found in the cache."""
    from huggingface_hub import try_to_load_from_cache

    for name in probes:
        path = try_to_load_from_cache(repo_id, name, cache_dir=cache_dir, revision=revision)
        if isinstance(path, str):
            return os.path.dirname(path)
    raise FileNotFoundError(f"HF_HUB_OFFLINE is set and {_where(repo_id, revision)} is not in the cache "
                            f"({cache_dir or 'the default Hugging Face cache'}); download it once online")


def resolve_folder(name_or_path, *, revision=None, cache_dir=None, tokenizer_only=False) -> str:
    """The local folder (or file) ``from_pretrained`` reads: ``name_or_path`` itself when it
    exists on disk (or is not spelled like a repository id), else the snapshot
    :func:`download` fetches (``tokenizer_only``: its tokenizer files alone). A
    :mod:`lucid.weights` entry (anything with ``repo_id`` and ``revision``) downloads its
    repository at its pinned revision unless ``revision`` says otherwise.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> resolve_folder(folder) == folder
        True
    """
    if hasattr(name_or_path, "repo_id") and hasattr(name_or_path, "revision"):
        return download(name_or_path.repo_id, revision=revision or name_or_path.revision, cache_dir=cache_dir,
                        tokenizer_only=tokenizer_only)
    if not isinstance(name_or_path, (str, os.PathLike)):
        return name_or_path  # not a name: the reader says what it expected
    path = os.fspath(name_or_path)
    if os.path.exists(path) or not is_repo_id(path):
        return path
    return download(path, revision=revision, cache_dir=cache_dir, tokenizer_only=tokenizer_only)
