"""``save_pretrained(folder, tokenizer=...)`` writes weights, config and tokenizer files as one
save: at every moment the folder holds the complete old checkpoint or the complete new one.
Checked by failing each file-system step of a save in turn (renames, links, folder creation,
writes, the directory swap), by killing a saving process at random points and loading what is
left, and with the swap unavailable (the file-by-file fallback). Also: files and folders get
the process's umask, other files of the folder survive a save."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest
from file_faults import WriteFailure, fail_on_write, folder_bytes

import lucid
from lucid import serialization
from lucid.models import BERTConfig, BERTForSequenceClassification, BERTTokenizerFast

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(lucid.__file__)))


def _checkpoint(mark, ffn=16):
    """A model whose weights all equal ``mark``, its config naming ``mark`` (as a label), and a
    tokenizer whose vocabulary holds ``tok<mark>``."""
    cfg = BERTConfig(vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=ffn, max_position_embeddings=8)
    model = BERTForSequenceClassification(cfg, num_labels=2)
    for p in model.parameters():
        p.data[...] = mark
    model.config.extra["id2label"] = {"0": f"mark{mark}", "1": "other"}
    tok = BERTTokenizerFast(vocab={t: i for i, t in enumerate(SPECIALS + [f"tok{mark}"])})
    return model, tok


def _marks(folder):
    """The marks of the weights, the config and the tokenizer found in ``folder``."""
    model = BERTForSequenceClassification.from_pretrained(folder, num_labels=2)
    weights = {float(v) for p in model.parameters() for v in np.unique(p.numpy())}
    label = model.config.extra["id2label"]["0"]
    tok = BERTTokenizerFast.from_pretrained(folder).convert_ids_to_tokens([5])[0]
    return weights, label, tok


def _saved_bytes(tmp_path, mark, ffn, name):
    model, tok = _checkpoint(mark, ffn)
    folder = tmp_path / name
    model.save_pretrained(folder, tokenizer=tok)
    (folder / "notes.txt").write_bytes(b"the user's own file")
    return folder_bytes(folder)


@pytest.fixture
def old_and_new(tmp_path):
    """A folder holding checkpoint 1 (and a file of the user's), checkpoint 2 to save over it,
    and the exact bytes each leaves in a folder."""
    old = _saved_bytes(tmp_path, 1.0, 16, "ref-old")
    new = _saved_bytes(tmp_path, 2.0, 24, "ref-new")
    folder = tmp_path / "ckpt"
    folder.mkdir()
    for name, data in old.items():
        (folder / name).write_bytes(data)
    return folder, old, new, _checkpoint(2.0, 24)


def _is_old_or_new(folder, old, new):
    now = folder_bytes(folder)
    assert now in (old, new), f"a mix of the two checkpoints: {sorted(now)}"
    assert [n for n in os.listdir(folder.parent) if ".saving-" in n] == []  # no staging folder left
    return now == new


STEPS = [(os, "replace"), (os, "rename"), (os, "link"), (os, "mkdir"), (os, "fsync"), (serialization, "exchange")]


def _counting(monkeypatch, fail_at):
    """Count (and with ``fail_at = (index, n)`` fail the n-th call of) every step of STEPS."""
    calls = {}
    for k, (module, name) in enumerate(STEPS):
        real = getattr(module, name)

        def wrapper(*args, _real=real, _k=k, _name=name, **kwargs):
            calls[_k] = calls.get(_k, 0) + 1
            if fail_at == (_k, calls[_k]):
                raise OSError(5, f"simulated failure of {_name}")
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)
    return calls


def test_failing_each_step_in_turn_leaves_old_or_new(old_and_new, monkeypatch):
    folder, old, new, (model, tok) = old_and_new
    with monkeypatch.context() as m:
        calls = _counting(m, None)
        model.save_pretrained(folder, tokenizer=tok)
    counts = dict(calls)
    assert _is_old_or_new(folder, old, new)
    assert counts.get(5) == 1 and counts.get(0, 0) >= 6  # one swap; each staged file is renamed in
    outcomes = []
    for k, n in sorted(counts.items()):
        for i in range(1, n + 1):
            for name, data in old.items():  # start again from the old checkpoint
                (folder / name).write_bytes(data)
            with monkeypatch.context() as m:
                _counting(m, (k, i))
                try:
                    model.save_pretrained(folder, tokenizer=tok)
                    raised = False
                except OSError as err:
                    assert "simulated" in str(err)
                    raised = True
            is_new = _is_old_or_new(folder, old, new)
            assert is_new or raised, f"no error, yet the old checkpoint is still there ({STEPS[k][1]} #{i})"
            outcomes.append(is_new)
            assert _marks(folder) == (({2.0}, "mark2.0", "tok2.0") if is_new else ({1.0}, "mark1.0", "tok1.0"))
    assert False in outcomes and len(outcomes) == sum(counts.values())


@pytest.mark.parametrize("which", [1, 2, 3, 4, 5, 6])
def test_failing_each_write_in_turn_leaves_the_old_checkpoint(which, old_and_new, monkeypatch):
    folder, old, new, (model, tok) = old_and_new
    fail_on_write(monkeypatch, which)  # weights, config, then the four tokenizer files
    with pytest.raises(WriteFailure):
        model.save_pretrained(folder, tokenizer=tok)
    monkeypatch.undo()
    assert not _is_old_or_new(folder, old, new)


def test_second_rename_failing_never_pairs_new_weights_with_the_old_config(old_and_new, monkeypatch):
    """Issue 15: with the files renamed one by one, a failing second rename left the new weights
    beside the old config, and the folder still loaded."""
    folder, old, new, (model, tok) = old_and_new
    def no_swap(a, b):
        raise OSError(38, "no atomic directory exchange here (simulated)")

    monkeypatch.setattr(serialization, "exchange", no_swap)
    for n in range(1, 8):  # the fallback: each rename into the folder in turn
        for name, data in old.items():
            (folder / name).write_bytes(data)
        with monkeypatch.context() as m:
            calls = {"n": 0}
            real = os.replace

            def replace(src, dst, _n=n):
                if os.path.dirname(os.path.abspath(dst)) == str(folder):
                    calls["n"] += 1
                    if calls["n"] == _n:
                        raise OSError(5, "simulated failure of a rename")
                return real(src, dst)

            m.setattr(os, "replace", replace)
            try:
                model.save_pretrained(folder, tokenizer=tok)
            except OSError:
                pass
        _is_old_or_new(folder, old, new)
    model.save_pretrained(folder, tokenizer=tok)  # and without a failure, the fallback saves
    assert _is_old_or_new(folder, old, new)


_CHILD = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, {root!r})
    sys.path.insert(0, {tests!r})
    from test_checkpoint_atomic_save import _checkpoint
    real = os.replace
    def slow_replace(src, dst):  # a wider window between two renames, so kills land in it
        time.sleep(0.002)
        return real(src, dst)
    os.replace = slow_replace
    folder = sys.argv[1]
    models = [_checkpoint(float(m)) for m in (1, 2)]
    models[0][0].save_pretrained(folder, tokenizer=models[0][1])
    print("ready", flush=True)
    i = 0
    while True:
        i += 1
        model, tok = models[i % 2]
        model.save_pretrained(folder, tokenizer=tok)
""")


def test_killing_a_saving_process_leaves_a_loadable_checkpoint(tmp_path):
    rng = np.random.default_rng(15)
    tests = os.path.dirname(os.path.abspath(__file__))
    script = _CHILD.format(root=ROOT, tests=tests)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.path.dirname(tests), os.path.dirname(
        os.path.dirname(tests))]))
    for run in range(5):
        folder = tmp_path / f"ckpt{run}"
        proc = subprocess.Popen([sys.executable, "-c", script, str(folder)], stdout=subprocess.PIPE, env=env)
        watchdog = threading.Timer(60, proc.kill)  # bounded in time even if the child hangs
        watchdog.start()
        try:
            assert proc.stdout.readline().strip() == b"ready"
            time.sleep(float(rng.uniform(0.05, 0.4)))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            watchdog.cancel()
        weights, label, tok = _marks(folder)  # loads, and all three files come from one save
        assert len(weights) == 1, weights
        (mark,) = weights
        assert label == f"mark{mark}" and tok == f"tok{mark}", (weights, label, tok)


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_saved_folder_and_files_follow_the_umask(umask, tmp_path):
    model, tok = _checkpoint(1.0)
    old = os.umask(umask)
    try:
        model.save_pretrained(tmp_path / "new", tokenizer=tok)
        (tmp_path / "kept").mkdir(mode=0o750)
        model.save_pretrained(tmp_path / "kept")
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "new").st_mode & 0o777 == 0o777 & ~umask
    assert os.stat(tmp_path / "kept").st_mode & 0o777 == 0o750 & ~umask  # an existing folder keeps its mode
    for folder in ("new", "kept"):
        for name in os.listdir(tmp_path / folder):
            assert os.stat(tmp_path / folder / name).st_mode & 0o777 == 0o666 & ~umask, (folder, name)


def test_save_keeps_other_files_links_and_subfolders(tmp_path):
    model, tok = _checkpoint(1.0)
    folder = tmp_path / "ckpt"
    model.save_pretrained(folder, tokenizer=tok)
    (folder / "runs").mkdir()
    (folder / "runs" / "log.txt").write_text("epoch 1")
    (folder / "README.md").write_text("mine")
    os.symlink("README.md", folder / "link.md")
    link = tmp_path / "latest"
    os.symlink(folder, link)
    model2, tok2 = _checkpoint(2.0)
    model2.save_pretrained(link)  # through a symbolic link: the link stays, its target is saved
    assert os.path.islink(link) and (folder / "runs" / "log.txt").read_text() == "epoch 1"
    assert (folder / "README.md").read_text() == "mine" and os.readlink(folder / "link.md") == "README.md"
    assert _marks(folder) == ({2.0}, "mark2.0", "tok1.0")  # the model saved alone leaves the tokenizer


def test_save_from_inside_the_folder_uses_the_fallback(tmp_path, monkeypatch):
    model, tok = _checkpoint(1.0)
    folder = tmp_path / "ckpt"
    model.save_pretrained(folder, tokenizer=tok)
    monkeypatch.chdir(folder)  # swapping the folder would leave the process in a deleted one
    model2, tok2 = _checkpoint(2.0)
    model2.save_pretrained(".", tokenizer=tok2)
    assert os.getcwd() == str(folder) and os.path.exists("config.json")
    assert _marks(folder) == ({2.0}, "mark2.0", "tok2.0")


def test_saving_over_a_file_names_it(tmp_path):
    model, _ = _checkpoint(1.0)
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError, match="file"):
        model.save_pretrained(tmp_path / "file")
