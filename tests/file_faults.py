"""Faults the file-reliability tests inject, shared by tests/test_serialization.py and the BERT
and tokenizer reliability files: a write that fails half way (as a full disk does), truncated
copies of a safetensors file and bytes that are none, and a pickle whose loading would run code.
(tests/ is on sys.path: pytest puts the folder of tests/conftest.py there.)"""

import os
import pickle


class WriteFailure(OSError):
    """The simulated full disk raised by :func:`fail_on_write`."""


def fail_on_write(monkeypatch, which):
    """Make the ``which``-th file opened through ``os.fdopen`` (1-based) fail half way through:
    half its bytes reach the disk, then the write raises as a full disk would."""
    real_fdopen = os.fdopen
    count = {"n": 0}

    class HalfWriter:
        def __init__(self, f):
            self.f = f

        def write(self, data):
            self.f.write(data[: len(data) // 2])
            raise WriteFailure(28, "No space left on device (simulated)")

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    def fdopen(fd, *args, **kwargs):
        f = real_fdopen(fd, *args, **kwargs)
        count["n"] += 1
        return HalfWriter(f) if count["n"] == which else f

    monkeypatch.setattr(os, "fdopen", fdopen)
    return count


def folder_bytes(folder):
    """Every file of ``folder`` by name: its bytes."""
    return {n: open(os.path.join(folder, n), "rb").read() for n in sorted(os.listdir(folder))}


def no_temp_files(folder):
    """Whether ``folder`` holds no temporary file of an atomic save."""
    return [n for n in os.listdir(folder) if n.startswith(".tmp-")] == []


CUTS = ["len", "header", "data", "empty"]  # the keys of truncations()
# bytes that are no safetensors file: zeros, text, a header length past the end, a JSON list header
JUNK = [b"\x00" * 64, b"GARBAGE!" * 8, b"{}" + b"x" * 30, (10 ** 12).to_bytes(8, "little") + b"{}",
        (2).to_bytes(8, "little") + b"[]"]


def truncations(data):
    """Safetensors bytes cut inside the 8-byte length, inside the JSON header and inside the
    tensor data, and no bytes at all."""
    header = int.from_bytes(data[:8], "little")
    return {"len": data[:5], "header": data[: 8 + header // 2], "data": data[:-7], "empty": b""}


class Payload:
    """Unpickling this creates ``marker``: proof that a loader executed code from the file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def evil_bytes(marker):
    """A pickle that creates the file ``marker`` when loaded (test_serialization checks it does)."""
    return pickle.dumps({"weight": Payload(marker)})
