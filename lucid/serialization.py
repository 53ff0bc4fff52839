"""Saving and loading tensors and state dicts as ``.safetensors`` (never pickle)."""

from __future__ import annotations

import json
import os
import tempfile

import numpy as np

from . import _backend
from ._tensor import Tensor

_SINGLE = "__tensor__"


def _write_temp(path: str, data: bytes) -> str:
    """``data`` in a new fsynced temporary file beside ``path``; returns its name."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot save to {path!r}: folder {folder!r} does not exist")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        f = os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        os.remove(tmp)
        raise
    try:
        with f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        os.remove(tmp)
        raise
    return tmp


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``,
    so a failed write never destroys the previous file.

    Example:
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "f.bin")
        >>> atomic_write_bytes(path, b"abc")
        >>> open(path, "rb").read()
        b'abc'
    """
    atomic_write_files({path: data})


def atomic_write_files(files: dict) -> None:
    """Write several files (path -> bytes) as one save: every file is written to a
    temporary file first and only when all of them are on disk are they renamed over
    their targets. A failure while writing leaves every previous file as it was (and no
    temporary file behind).

    Example:
        >>> import tempfile, os
        >>> folder = tempfile.mkdtemp()
        >>> atomic_write_files({os.path.join(folder, "a"): b"1", os.path.join(folder, "b"): b"2"})
        >>> sorted(os.listdir(folder))
        ['a', 'b']
    """
    temps = []
    try:
        for path, data in files.items():
            temps.append((_write_temp(os.fspath(path), data), os.fspath(path)))
        while temps:
            tmp, path = temps[0]
            os.replace(tmp, path)
            temps.pop(0)
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.remove(tmp)


def _to_host(value, key):
    if isinstance(value, Tensor):
        value = value.data
    if _backend.is_array(value):
        arr = _backend.to_numpy(value)  # GPU arrays are copied to the host
        # C order for safetensors; not np.ascontiguousarray, which turns 0-d arrays into 1-d
        return arr if arr.flags.c_contiguous else arr.copy(order="C")
    raise TypeError(f"cannot save {key!r}: expected a Tensor or array, got {type(value).__name__}")


def save_arrays(arrays: dict, path, metadata: dict | None = None) -> None:
    """Write a dict of name -> array/Tensor to ``path`` atomically in safetensors format
    (GPU arrays are copied to the host; ``metadata`` is a dict of str -> str).

    Example:
        >>> import numpy as np, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "a.safetensors")
        >>> save_arrays({"x": np.arange(2)}, path, {"note": "demo"})
        >>> load_arrays(path)[0]["x"].tolist()
        [0, 1]
    """
    atomic_write_bytes(path, safetensors_bytes(arrays, metadata))


def safetensors_bytes(arrays: dict, metadata: dict | None = None) -> bytes:
    """The safetensors encoding of a dict of name -> array/Tensor (GPU arrays are copied
    to the host), for writing together with other files.

    Example:
        >>> import numpy as np
        >>> safetensors_bytes({"x": np.zeros(2)})[8:9]
        b'{'
    """
    from safetensors.numpy import save

    host = {k: _to_host(v, k) for k, v in arrays.items()}
    return save(host, metadata=metadata)


def load_arrays(path) -> tuple[dict, dict]:
    """Read a safetensors file into a dict of NumPy arrays plus its metadata.

    Raises FileNotFoundError for a missing file and ValueError naming the file when it
    is truncated or not a safetensors file (a pickle, say: it is never unpickled).

    Example:
        >>> import numpy as np, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "a.safetensors")
        >>> save_arrays({"x": np.ones(1)}, path)
        >>> load_arrays(path)[1]
        {}
    """
    from safetensors import safe_open

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such file: {path!r}")
    try:
        with safe_open(path, framework="numpy") as f:
            meta = f.metadata() or {}
            arrays = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as err:  # safetensors raises its own error types for bad headers and sizes
        raise ValueError(f"{path!r} is not a valid safetensors file (truncated or corrupt?): {err}") from err
    return arrays, meta


def save(obj, path) -> None:
    """Save a Tensor, a dict of Tensors (a ``state_dict``) or a Module's state to ``path``.

    GPU tensors are copied to the host. The write is atomic.

    Example:
        >>> import lucid, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> lucid.save({"w": lucid.ones(2)}, path)
        >>> lucid.load(path)["w"].tolist()
        [1.0, 1.0]
    """
    if isinstance(obj, Tensor):
        save_arrays({_SINGLE: obj}, path, {"lucid": "tensor"})
        return
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        raise TypeError(f"lucid.save takes a Tensor, a dict of Tensors or a Module, got {type(obj).__name__}")
    obj = dict(obj)
    # safetensors lists keys sorted; remember the dict's own order (as torch.save keeps it)
    save_arrays(obj, path, {"lucid": "state_dict", "lucid_keys": json.dumps(list(obj))})


def load(path, device="cpu"):
    """Load what :func:`save` wrote: a Tensor, or a dict of name -> Tensor, on ``device``.

    Any safetensors file (a Hugging Face ``model.safetensors``, say) loads as a dict.
    Nothing is ever unpickled: a pickle or corrupt file raises ``ValueError`` naming it.

    Example:
        >>> import lucid, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "t.safetensors")
        >>> lucid.save(lucid.tensor([1, 2]), path)
        >>> lucid.load(path).tolist()
        [1, 2]
    """
    arrays, meta = load_arrays(path)
    if meta.get("lucid") == "tensor" and set(arrays) == {_SINGLE}:
        return Tensor(arrays[_SINGLE], device=device)
    order = list(arrays)
    if "lucid_keys" in meta:
        try:
            saved = json.loads(meta["lucid_keys"])
        except ValueError:
            saved = None
        if isinstance(saved, list) and sorted(saved) == sorted(order):
            order = saved
    return {k: Tensor(arrays[k], device=device) for k in order}
