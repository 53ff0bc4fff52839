"""Saving and loading tensors and state dicts as ``.safetensors`` (never pickle)."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import secrets
import shutil
import sys

import numpy as np

from . import _backend
from ._tensor import Tensor

_SINGLE = "__tensor__"


def _write_temp(path: str, data: bytes) -> str:
    """``data`` in a new fsynced temporary file beside ``path``; returns its name. The file is
    created with the process's umask (as ``open`` would), not owner-only as ``mkstemp`` makes it."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot save to {path!r}: folder {folder!r} does not exist")
    while True:
        tmp = os.path.join(folder, f".tmp-{secrets.token_hex(6)}-{os.path.basename(path)}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
            break
        except FileExistsError:
            continue
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


def _fsync_dir(folder) -> None:
    """Make renames in ``folder`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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


def _replace_all(moves) -> None:
    """Rename each ``(source, target)`` over its target; when one rename fails, the targets
    renamed so far get their previous files back (kept as hard links until the end)."""
    done = []  # (target, backup of its previous file or None)
    try:
        for src, dst in moves:
            backup = None
            if os.path.lexists(dst):
                backup = os.path.join(os.path.dirname(dst), f".tmp-{secrets.token_hex(6)}-old")
                try:
                    os.link(dst, backup)
                except OSError:  # no hard links here: this target cannot be rolled back
                    backup = None
            try:
                os.replace(src, dst)
            except BaseException:
                if backup is not None:
                    os.remove(backup)
                raise
            done.append((dst, backup))
    except BaseException:
        for dst, backup in reversed(done):
            try:
                if backup is None:
                    os.remove(dst)
                else:
                    os.replace(backup, dst)
            except OSError:
                pass
        raise
    finally:
        for _, backup in done:
            if backup is not None and os.path.lexists(backup):
                os.remove(backup)
    for folder in {os.path.dirname(dst) for _, dst in moves}:
        _fsync_dir(folder)


def atomic_write_files(files: dict) -> None:
    """Write several files (path -> bytes) as one save: every file is written to a
    temporary file first and only when all of them are on disk are they renamed over
    their targets; when a rename fails, the files renamed before it are put back. A failure
    leaves every previous file as it was (and no temporary file behind). (A crash between
    two renames can still leave a mix; :func:`staged_folder` guards a whole folder.)

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
        _replace_all(temps)
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.remove(tmp)


_RENAME_EXCHANGE = 2  # renameat2 flag (Linux >= 3.15)
_AT_FDCWD = -100


def exchange(a, b) -> None:
    """Swap the names of directories ``a`` and ``b`` in one step (Linux ``renameat2`` with
    ``RENAME_EXCHANGE``): at every moment each name holds one complete directory. ``OSError``
    where the system or file system cannot (then :func:`staged_folder` renames file by file).

    Example:
        >>> import tempfile, os
        >>> a, b = tempfile.mkdtemp(), tempfile.mkdtemp()
        >>> open(os.path.join(a, "x"), "w").close()
        >>> try:
        ...     exchange(a, b)
        ... except OSError:  # not Linux: what the swap does, in three renames
        ...     os.rename(a, a + "~"); os.rename(b, a); os.rename(a + "~", b)
        >>> os.listdir(a), os.listdir(b)
        ([], ['x'])
    """
    libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        raise OSError(errno.ENOSYS, "no atomic directory exchange on this system", a)
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), a, None, b)


def _new_dir(parent, prefix, mode=0o777) -> str:
    while True:
        path = os.path.join(parent, f"{prefix}{secrets.token_hex(6)}")
        try:
            os.mkdir(path, mode)  # the umask applies, as to any new folder
            return path
        except FileExistsError:
            continue


def _mirror(src, dst) -> None:
    """Fill the new folder ``dst`` with ``src``'s entries: files as hard links (copies where
    links fail), folders recreated with their mode, symbolic links recreated."""
    for entry in os.scandir(src):
        target = os.path.join(dst, entry.name)
        if entry.is_symlink():
            os.symlink(os.readlink(entry.path), target)
        elif entry.is_dir():
            os.mkdir(target)
            shutil.copymode(entry.path, target)
            _mirror(entry.path, target)
        elif entry.is_file():
            try:
                os.link(entry.path, target)
            except OSError:
                shutil.copy2(entry.path, target)


def _holds_cwd(folder) -> bool:
    cwd = os.path.realpath(os.getcwd())
    return cwd == folder or cwd.startswith(folder.rstrip(os.sep) + os.sep)


@contextlib.contextmanager
def staged_folder(folder):
    """Write a folder as one save: yields a staging folder that holds the folder's current
    entries (files hard-linked, not copied), where the caller writes its new files (each as a
    new file: never write into an existing one, which the old folder shares). On success the
    staging folder takes the folder's place in one rename (``exchange``), so at every moment,
    even when the process is killed, the folder holds either all the old files or all the new
    ones; on an error nothing changes. A new folder appears complete, in one rename.

    The new folder gets the old one's permission bits (a new one: the umask's). Where the
    directories cannot be swapped (not Linux, a file system without the operation, a mount
    point, the current directory inside the folder, a parent folder that is not writable),
    the new files are renamed in one by one: an error still puts the old files back, a crash
    in that short window can leave a mix. A crash after the swap may leave a hidden
    ``.NAME.saving-*`` folder with the old files beside the folder.

    Example:
        >>> import tempfile, os
        >>> folder = os.path.join(tempfile.mkdtemp(), "ckpt")
        >>> with staged_folder(folder) as stage:
        ...     atomic_write_files({os.path.join(stage, "a.txt"): b"new"})
        >>> os.listdir(folder)
        ['a.txt']
    """
    real = os.path.realpath(os.fspath(folder))
    exists = os.path.isdir(real)
    if not exists and os.path.lexists(real):
        raise FileExistsError(f"cannot save into {os.fspath(folder)!r}: it is a file, not a folder")
    parent, name = os.path.split(real)
    os.makedirs(parent, exist_ok=True)
    swap = exists and not _holds_cwd(real)
    try:
        stage = _new_dir(parent, f".{name}.saving-")
    except OSError:
        if not exists:
            raise
        stage, swap = _new_dir(real, ".tmp-saving-"), False  # staged inside; renamed in file by file
    try:
        if swap:
            shutil.copymode(real, stage)
            _mirror(real, stage)
        yield stage
        _fsync_dir(stage)
        if not exists:
            os.rename(stage, real)
            _fsync_dir(parent)
            return
        if swap:
            try:
                exchange(stage, real)
            except OSError:
                pass  # the slower way below
            else:
                _fsync_dir(parent)
                shutil.rmtree(stage, ignore_errors=True)  # now the old folder
                return
        moves = []
        for entry in os.scandir(stage):
            target = os.path.join(real, entry.name)
            if entry.is_dir(follow_symlinks=False):
                if not os.path.lexists(target):
                    moves.append((entry.path, target))
            elif not (os.path.lexists(target) and os.path.samefile(entry.path, target)):
                moves.append((entry.path, target))
        _replace_all(moves)
    finally:
        if os.path.lexists(stage):
            shutil.rmtree(stage, ignore_errors=True)


# dtypes a lucid tensor holds, which safetensors stores
_SAVABLE = {np.dtype(t) for t in ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                                   "uint64", "float16", "float32", "float64")}


def _check_key(key):
    if not isinstance(key, str):
        raise TypeError(f"cannot save key {key!r}: safetensors keys must be strings, got {type(key).__name__}")


def _to_host(value, key):
    _check_key(key)
    if isinstance(value, Tensor):
        value = value.data
    if _backend.is_array(value):
        if value.dtype not in _SAVABLE:
            raise TypeError(f"cannot save {key!r}: dtype {value.dtype} is not one lucid stores (bool, integers, "
                            "float16/32/64)")
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


def _bfloat16_as_float32(path, key, f) -> np.ndarray:
    """Tensor ``key`` of the bfloat16 safetensors file ``path`` (header already checked by
    ``safe_open`` as ``f``), widened exactly to float32: a bfloat16 is the top half of one."""
    with open(path, "rb") as raw:
        n = int.from_bytes(raw.read(8), "little")
        begin, end = json.loads(raw.read(n))[key]["data_offsets"]
        raw.seek(8 + n + begin)
        half = np.frombuffer(raw.read(end - begin), dtype="<u2")
    return (half.astype(np.uint32) << 16).view(np.float32).reshape(f.get_slice(key).get_shape())


def load_arrays(path) -> tuple[dict, dict]:
    """Read a safetensors file into a dict of NumPy arrays plus its metadata; bfloat16
    tensors (NumPy has no bfloat16) are widened to float32, exactly.

    Raises FileNotFoundError for a missing file and ValueError naming the file when it
    is truncated or not a safetensors file (a pickle, say: it is never unpickled), or
    naming the key and dtype of a tensor lucid cannot hold (complex, 8-bit floats).

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
            kinds = {k: f.get_slice(k).get_dtype() for k in f.keys()}
            for k, kind in kinds.items():
                if kind not in _READABLE:
                    raise _Unreadable(f"{path!r}: tensor {k!r} has dtype {kind}, which lucid cannot hold "
                                      "(it reads bool, integers, float16/32/64 and bfloat16)")
            arrays = {k: _bfloat16_as_float32(path, k, f) if kind == "BF16" else f.get_tensor(k)
                      for k, kind in kinds.items()}
    except _Unreadable as err:
        raise ValueError(str(err)) from None
    except Exception as err:  # safetensors raises its own error types for bad headers and sizes
        raise ValueError(f"{path!r} is not a valid safetensors file (truncated or corrupt?): {err}") from err
    return arrays, meta


class _Unreadable(Exception):
    """A valid file holding a dtype lucid has no tensor for."""


_READABLE = {"BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64", "F16", "F32", "F64", "BF16"}


def save(obj, path) -> None:
    """Save a Tensor, a dict of Tensors (a ``state_dict``) or a Module's state to ``path``.

    GPU tensors are copied to the host. The write is atomic, and the file gets the process's
    umask. Keys must be strings and dtypes bool, integer or float16/32/64 (a ``TypeError``
    names the key otherwise).

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
    for key in obj:
        _check_key(key)
    # safetensors lists keys sorted; remember the dict's own order (as torch.save keeps it)
    save_arrays(obj, path, {"lucid": "state_dict", "lucid_keys": json.dumps(list(obj))})


def load(path, device="cpu"):
    """Load what :func:`save` wrote: a Tensor, or a dict of name -> Tensor, on ``device``.

    Any safetensors file (a Hugging Face ``model.safetensors``, say) loads as a dict;
    bfloat16 tensors come back as float32 (exactly: lucid has no bfloat16). Nothing is ever
    unpickled: a pickle or corrupt file raises ``ValueError`` naming it.

    Example:
        >>> import lucid, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "t.safetensors")
        >>> lucid.save(lucid.tensor([1, 2]), path)
        >>> lucid.load(path).tolist()
        [1, 2]
    """
    arrays, meta = load_arrays(path)
    device = _backend.check_device(device)

    def tensor(arr):  # the freshly read array itself on the CPU (nothing else holds it)
        return Tensor._wrap(_backend.to_device(arr, device))

    if meta.get("lucid") == "tensor" and set(arrays) == {_SINGLE}:
        return tensor(arrays[_SINGLE])
    order = list(arrays)
    if "lucid_keys" in meta:
        try:
            saved = json.loads(meta["lucid_keys"])
        except ValueError:
            saved = None
        if isinstance(saved, list) and sorted(saved) == sorted(order):
            order = saved
    return {k: tensor(arrays[k]) for k in order}
