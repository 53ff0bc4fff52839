"""lucid.save / lucid.load over safetensors: round trips, atomic writes, no unpickling, files
truncated or corrupt (these from the former file-reliability suite), tensors saved from each
device of the ``device`` fixture."""

import os
import pickle

import numpy as np
import pytest
from file_faults import CUTS, JUNK, WriteFailure, evil_bytes, fail_on_write, no_temp_files, truncations

import lucid
import lucid.nn as nn
from lucid import serialization


def test_tensor_round_trip(tmp_path):
    path = tmp_path / "t.safetensors"
    t = lucid.tensor(np.arange(6, dtype=np.float16).reshape(2, 3))
    lucid.save(t, path)
    back = lucid.load(path)
    assert isinstance(back, lucid.Tensor) and back.dtype == np.float16 and back.device == "cpu"
    np.testing.assert_array_equal(back.numpy(), t.numpy())
    lucid.save(t, str(path))  # str paths too, overwriting
    assert lucid.load(str(path)).shape == (2, 3)


def test_state_dict_round_trip_all_dtypes(tmp_path):
    path = tmp_path / "sd.safetensors"
    state = {
        "w": lucid.random.randn(3, 2),
        "b": lucid.zeros(2, dtype=lucid.Float64),
        "ids": lucid.tensor([1, 2, 3]),
        "i32": lucid.tensor([1], dtype=lucid.Int32),
        "mask": lucid.tensor([True, False]),
        "scalar": lucid.tensor(2.5),
        "view": lucid.random.randn(4, 3).T,  # non-contiguous
        "raw": np.ones(2, dtype=np.int8),  # arrays are accepted too
    }
    lucid.save(state, path)
    back = lucid.load(path)
    assert list(back) == list(state)  # the dict's order survives (safetensors sorts keys)
    for k, v in state.items():
        arr = v.numpy() if isinstance(v, lucid.Tensor) else v
        assert back[k].dtype == arr.dtype and back[k].shape == arr.shape, k
        np.testing.assert_array_equal(back[k].numpy(), arr)


def test_module_like_object_saves_its_state_dict(tmp_path):
    class Holder:
        def state_dict(self):
            return {"weight": lucid.ones(2, 2)}

    path = tmp_path / "m.safetensors"
    lucid.save(Holder(), path)
    assert lucid.load(path)["weight"].tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_loads_foreign_safetensors_file(tmp_path):
    from safetensors.numpy import save_file

    path = tmp_path / "hf.safetensors"
    save_file({"bert.embeddings.weight": np.ones((2, 2), dtype=np.float32)}, str(path))
    assert lucid.load(path)["bert.embeddings.weight"].shape == (2, 2)


def test_save_rejects_other_objects(tmp_path):
    with pytest.raises(TypeError, match="list"):
        lucid.save([lucid.ones(1)], tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="'w'.*str"):
        lucid.save({"w": "text"}, tmp_path / "x.safetensors")
    assert not os.listdir(tmp_path)


def test_save_into_missing_folder_names_it(tmp_path):
    target = tmp_path / "nope" / "x.safetensors"
    with pytest.raises(FileNotFoundError, match="nope"):
        lucid.save(lucid.ones(1), target)


def _leftovers(folder, keep):
    return sorted(set(os.listdir(folder)) - {keep})


def test_failed_save_mid_write_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "w.safetensors"
    lucid.save({"w": lucid.ones(3)}, path)
    before = path.read_bytes()
    fail_on_write(monkeypatch, 1)  # half the bytes land, then the disk "fills up"
    with pytest.raises(OSError, match="No space"):
        lucid.save({"w": lucid.zeros(100)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert lucid.load(path)["w"].tolist() == [1.0, 1.0, 1.0]
    assert _leftovers(tmp_path, "w.safetensors") == []  # the temporary file is cleaned up


def test_failed_rename_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "w.safetensors"
    lucid.save(lucid.ones(2), path)
    before = path.read_bytes()

    def fail(src, dst):
        raise PermissionError(f"cannot replace {dst}")

    monkeypatch.setattr(serialization.os, "replace", fail)
    with pytest.raises(PermissionError):
        lucid.save(lucid.zeros(5), path)
    monkeypatch.undo()
    assert path.read_bytes() == before and _leftovers(tmp_path, "w.safetensors") == []


def test_failed_serialisation_never_touches_the_target(tmp_path):
    path = tmp_path / "w.safetensors"
    lucid.save(lucid.ones(2), path)
    before = path.read_bytes()
    with pytest.raises(TypeError):
        lucid.save({"a": lucid.ones(1), "b": object()}, path)
    assert path.read_bytes() == before


def test_load_never_unpickles(tmp_path):
    path = tmp_path / "evil.safetensors"
    with open(path, "wb") as f:
        pickle.dump({"w": np.ones(2)}, f)
    with pytest.raises(ValueError, match="evil.safetensors"):
        lucid.load(path)
    pt = tmp_path / "model.pt"
    pt.write_bytes(pickle.dumps([1, 2, 3]))
    with pytest.raises(ValueError, match="model.pt"):
        lucid.load(pt)


def test_truncated_and_corrupt_files_name_the_file(tmp_path):
    good = tmp_path / "good.safetensors"
    lucid.save({"w": lucid.ones(64)}, good)
    data = good.read_bytes()
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(data[: len(data) - 10])
    with pytest.raises(ValueError, match="cut.safetensors"):
        lucid.load(cut)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x00\x01garbage")
    with pytest.raises(ValueError, match="junk.safetensors"):
        lucid.load(junk)
    empty = tmp_path / "empty.safetensors"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.safetensors"):
        lucid.load(empty)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.safetensors"):
        lucid.load(tmp_path / "absent.safetensors")


def test_load_to_unknown_device(tmp_path):
    path = tmp_path / "t.safetensors"
    lucid.save(lucid.ones(1), path)
    with pytest.raises(ValueError, match="tpu"):
        lucid.load(path, device="tpu")


def test_save_arrays_and_metadata(tmp_path):
    path = tmp_path / "a.safetensors"
    serialization.save_arrays({"x": np.arange(3)}, path, {"format": "np"})
    arrays, meta = serialization.load_arrays(path)
    assert arrays["x"].tolist() == [0, 1, 2] and meta["format"] == "np"


def test_atomic_write_bytes(tmp_path):
    path = tmp_path / "f.bin"
    serialization.atomic_write_bytes(path, b"abc")
    serialization.atomic_write_bytes(path, b"de")
    assert path.read_bytes() == b"de" and os.listdir(tmp_path) == ["f.bin"]


# ---- from the file-reliability suite ------------------------------------------------------------
def test_lucid_load_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.safetensors"):
        lucid.load(tmp_path / "absent.safetensors")
    with pytest.raises(FileNotFoundError, match="no-folder"):
        lucid.save(lucid.ones(2), tmp_path / "no-folder" / "w.safetensors")


@pytest.mark.parametrize("cut", CUTS)
def test_truncated_safetensors_names_the_file(cut, tmp_path):
    small = tmp_path / "w.safetensors"
    lucid.save({"w": lucid.ones(3, 4)}, small)
    small.write_bytes(truncations(small.read_bytes())[cut])
    with pytest.raises(ValueError, match=r"w\.safetensors.*not a valid safetensors file"):
        lucid.load(small)


@pytest.mark.parametrize("junk", JUNK)
def test_corrupt_safetensors_names_the_file(junk, tmp_path):
    (tmp_path / "junk.safetensors").write_bytes(junk)
    with pytest.raises(ValueError, match=r"junk\.safetensors"):
        lucid.load(tmp_path / "junk.safetensors")


def test_lucid_save_failing_part_way_keeps_previous_file(monkeypatch, tmp_path):
    path = tmp_path / "state.safetensors"
    lucid.save({"w": lucid.ones(4, 4)}, path)
    before = path.read_bytes()
    fail_on_write(monkeypatch, 1)
    with pytest.raises(WriteFailure):
        lucid.save({"w": lucid.zeros(64, 64), "b": lucid.zeros(3)}, path)
    monkeypatch.undo()
    fail_on_write(monkeypatch, 1)
    with pytest.raises(WriteFailure):
        lucid.save(nn.Sequential(nn.Embedding(30, 8), nn.Linear(8, 8), nn.LayerNorm(8)), path)  # a Module's state
    monkeypatch.undo()
    assert path.read_bytes() == before and no_temp_files(tmp_path)
    np.testing.assert_array_equal(lucid.load(path)["w"].numpy(), np.ones((4, 4), np.float32))


def test_failed_rename_keeps_previous_file_and_removes_temp(monkeypatch, tmp_path):
    path = tmp_path / "t.safetensors"
    lucid.save(lucid.ones(2), path)
    before = path.read_bytes()

    def replace(src, dst):
        raise PermissionError(13, "Permission denied (simulated)", str(dst))

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(PermissionError):
        lucid.save(lucid.zeros(2), path)
    monkeypatch.undo()
    assert path.read_bytes() == before and no_temp_files(tmp_path)


def test_the_payload_really_runs_when_unpickled(tmp_path):
    # guards the no-code-execution tests here and in the BERT and tokenizer reliability files:
    # their payload is live, so "no marker" means "not executed"
    marker = tmp_path / "proof"
    pickle.loads(evil_bytes(marker))
    assert marker.exists()


def test_pickle_named_safetensors_is_rejected_without_running(tmp_path):
    marker = tmp_path / "pwned"
    (tmp_path / "evil.safetensors").write_bytes(evil_bytes(marker))
    with pytest.raises(ValueError, match=r"evil\.safetensors.*not a valid safetensors file"):
        lucid.load(tmp_path / "evil.safetensors")
    assert not marker.exists()


def test_device_tensors_are_copied_to_host(tmp_path, device):
    # (one test for the two GPU ones this replaces: test_serialization's and test_core_gpu's)
    path = tmp_path / "g.safetensors"
    t = lucid.random.randn(3, 2, device=device)
    lucid.save({"t": t, "s": t.sum()}, path)
    back = lucid.load(path)
    assert back["t"].device == "cpu" and back["s"].shape == ()
    np.testing.assert_array_equal(back["t"].numpy(), t.numpy())
    assert lucid.load(path, device=device)["t"].device == device
    lucid.save(t, path)
    assert lucid.load(path).device == "cpu"


# ---- dtypes and keys (issue 15) -------------------------------------------------------------
def test_bfloat16_file_loads_widened_to_float32(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    w = torch.tensor([[1.5, -2.25, 3.0e38], [1e-30, 0.0, -0.0]], dtype=torch.bfloat16)
    save_file({"w": w, "b": torch.ones(2)}, str(tmp_path / "bf16.safetensors"))
    back = lucid.load(tmp_path / "bf16.safetensors")
    assert back["w"].dtype == np.float32 and back["w"].shape == (2, 3) and back["b"].tolist() == [1.0, 1.0]
    np.testing.assert_array_equal(back["w"].numpy(), w.float().numpy())  # exact: bf16 is float32's top half
    arrays, _ = serialization.load_arrays(tmp_path / "bf16.safetensors")
    assert arrays["w"].dtype == np.float32


@pytest.mark.parametrize("kind", ["complex64", "float8_e4m3fn"])
def test_unsupported_dtype_in_a_file_names_key_and_dtype(kind, tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    save_file({"z": torch.zeros(2, dtype=getattr(torch, kind))}, str(tmp_path / "z.safetensors"))
    with pytest.raises(ValueError, match=r"z\.safetensors.*'z' has dtype (C64|F8_E4M3)") as info:
        lucid.load(tmp_path / "z.safetensors")
    assert "corrupt" not in str(info.value)


def test_saving_an_unsupported_dtype_names_key_and_dtype(tmp_path):
    for dtype in (np.complex64, np.complex128):
        with pytest.raises(TypeError, match=rf"'z'.*{np.dtype(dtype).name}"):
            lucid.save({"w": lucid.ones(1), "z": np.ones(2, dtype=dtype)}, tmp_path / "x.safetensors")
    assert not os.listdir(tmp_path)


def test_non_string_key_is_named(tmp_path):
    with pytest.raises(TypeError, match=r"key 7.*int"):
        lucid.save({7: lucid.ones(1)}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match=r"key \('a', 1\).*tuple"):
        serialization.save_arrays({("a", 1): np.ones(1)}, tmp_path / "x.safetensors")
    assert not os.listdir(tmp_path)


def test_loaded_tensors_are_the_read_arrays_and_writable(tmp_path):
    lucid.save({"w": lucid.ones(3)}, tmp_path / "w.safetensors")
    w = lucid.load(tmp_path / "w.safetensors")["w"]
    assert w.data.flags.writeable
    w += 1  # loaded tensors are ordinary tensors
    assert w.tolist() == [2.0, 2.0, 2.0]


# ---- file modes ---------------------------------------------------------------------------------
@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_saved_files_follow_the_umask(umask, tmp_path):
    old = os.umask(umask)
    try:
        lucid.save(lucid.ones(2), tmp_path / "t.safetensors")
        serialization.atomic_write_files({tmp_path / "a.txt": b"1", tmp_path / "b.txt": b"2"})
    finally:
        os.umask(old)
    for name in ("t.safetensors", "a.txt", "b.txt"):
        assert os.stat(tmp_path / name).st_mode & 0o777 == 0o666 & ~umask, name


# ---- several files as one save ------------------------------------------------------------------
def _fail_nth(monkeypatch, module, name, n):
    """Make the ``n``-th call (1-based) of ``module.name`` raise OSError; returns the call counter."""
    real = getattr(module, name)
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise OSError(5, f"simulated failure of {name}")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


@pytest.mark.parametrize("n", [1, 2, 3])
def test_failed_rename_among_several_files_restores_the_ones_renamed(n, monkeypatch, tmp_path):
    files = {tmp_path / f"{k}.txt": b"old" + bytes([k]) for k in range(3)}
    serialization.atomic_write_files(files)
    _fail_nth(monkeypatch, os, "replace", n)
    with pytest.raises(OSError, match="simulated"):
        serialization.atomic_write_files({p: b"new" for p in files})
    monkeypatch.undo()
    assert {p: p.read_bytes() for p in files} == files and no_temp_files(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["0.txt", "1.txt", "2.txt"]
