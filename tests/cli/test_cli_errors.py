"""A user's mistake (bad argument, missing or malformed file or folder) is one line,
``lucid-bert: error: ...``, exit status 2, no traceback; and the console script is declared."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("argv, words", [
    (["bogus"], ["invalid choice", "bogus"]),
    (["demo", "--device", "tpu"], ["--device", "tpu"]),
    (["demo", "--seed", "-3"], ["--seed", "-3"]),
    (["demo", "--epochs", "zero"], ["--epochs", "zero"]),
    (["classify"], ["required", "model"]),
    (["fill-mask", "x", "a [MASK]", "--top-k", "0"], ["--top-k", "0"]),
    (["finetune", "x", "y.csv", "--lr", "-1"], ["--lr", "-1"]),
    (["finetune", "x", "y.csv", "--warmup-ratio", "1.5"], ["--warmup-ratio", "1.5"]),
    (["classify", "no/such/folder", "hello"], ["no model folder", "no/such/folder"]),
])
def test_bad_arguments(argv, words, run, one_line_error):
    status, _, err = run(argv)
    one_line_error(status, err, *words)


def test_gpu_without_gpu_is_a_clear_error(run, one_line_error):
    import lucid

    if lucid.gpu_available():
        pytest.skip("a GPU is present")
    status, _, err = run(["demo", "--device", "gpu", "--quick"])
    one_line_error(status, err, "--device gpu", "CuPy", "CUDA")


def test_bad_files(demo_dir, tmp_path, run, one_line_error):
    demo_out, _ = demo_dir
    model = str(demo_out / "pretrained")
    clf = str(demo_out / "classifier")

    status, _, err = run(["finetune", model, str(tmp_path / "missing.csv")])
    one_line_error(status, err, "no such file", "missing.csv")

    weird = tmp_path / "train.xml"
    weird.write_text("<x/>")
    status, _, err = run(["finetune", model, str(weird)])
    one_line_error(status, err, "format", "train.xml", ".csv", ".jsonl")

    nolabel = tmp_path / "nolabel.csv"
    nolabel.write_text("text,score\ngood,1\n")
    status, _, err = run(["finetune", model, str(nolabel)])
    one_line_error(status, err, "nolabel.csv", "line 2", "'label'", "'score'")

    badjson = tmp_path / "bad.jsonl"
    badjson.write_text('{"text": "ok", "label": "a"}\n{"text": "broken", \n')
    status, _, err = run(["finetune", model, str(badjson)])
    one_line_error(status, err, "bad.jsonl", "line 2", "JSON")

    empty = tmp_path / "empty.csv"
    empty.write_text("")
    status, _, err = run(["finetune", model, str(empty)])
    one_line_error(status, err, "empty.csv", "empty")

    one_label = tmp_path / "one.csv"
    one_label.write_text("text,label\na,x\nb,x\nc,x\n")
    status, _, err = run(["finetune", model, str(one_label), "--eval-fraction", "0.3"])
    one_line_error(status, err, "single label", "'x'")

    train = tmp_path / "ok.csv"
    train.write_text("text,label\ngood,pos\nbad,neg\nfine,pos\nawful,neg\n")
    dev = tmp_path / "dev.csv"
    dev.write_text("text,label\nmeh,neutral\n")
    status, _, err = run(["finetune", model, str(train), "--eval-file", str(dev)])
    one_line_error(status, err, "'neutral'", "does not occur")

    status, _, err = run(["fill-mask", model, "no mask here"])
    one_line_error(status, err, "[MASK]", "no mask here")

    status, _, err = run(["classify", clf])
    one_line_error(status, err, "no texts")

    # a folder whose weights are missing
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((demo_out / "classifier" / "config.json").read_text())
    (broken / "vocab.txt").write_text((demo_out / "classifier" / "vocab.txt").read_text())
    status, _, err = run(["classify", str(broken), "hello"])
    one_line_error(status, err, "broken")

    # a file where a folder belongs
    status, _, err = run(["classify", str(train), "hello"])
    one_line_error(status, err, "ok.csv", "expected a model folder")

    # not UTF-8
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"text,label\n\xff\xfe,1\n")
    status, _, err = run(["finetune", model, str(binary)])
    one_line_error(status, err, "bin.csv", "UTF-8")


def test_console_script_is_declared():
    import tomllib

    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        meta = tomllib.load(f)
    assert meta["project"]["scripts"]["lucid-bert"] == "lucid.cli:main"


# ---- issue 15: no tracebacks, no refused texts, no broken pipes -------------------------------------------
def _env():
    return dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))


def test_a_tokenizer_larger_than_the_model_is_refused(demo_dir, tmp_path, run, one_line_error):
    import shutil

    from lucid.data import load_corpus, load_sentiment
    from lucid.models import BERTTokenizerFast

    demo_out, _ = demo_dir
    folder = tmp_path / "big"
    shutil.copytree(demo_out / "classifier", folder)
    model_vocab = json.loads((folder / "config.json").read_text())["vocab_size"]
    big = BERTTokenizerFast.train_from_iterator(load_corpus() + load_sentiment()[0], vocab_size=2000)
    assert big.vocab_size > model_vocab
    big.save_pretrained(str(folder))
    high = big.convert_ids_to_tokens([big.vocab_size - 1])[0].lstrip("#")  # a word whose id has no embedding
    for argv in (["classify", str(folder), high], ["fill-mask", str(folder), f"{high} [MASK]"]):
        status, _, err = run(argv)
        one_line_error(status, err, str(folder), f"ids up to {big.vocab_size - 1}", f"vocab_size {model_vocab}")


@pytest.mark.parametrize("key, value, words", [
    ("do_lower_case", "yes", ["lowercase", "bool", "str"]),
    ("model_max_length", "512", ["model_max_length", "int", "str"]),
])
def test_a_wrongly_typed_tokenizer_config_value_is_one_line(demo_dir, tmp_path, run, one_line_error, key, value,
                                                            words):
    import json
    import shutil

    demo_out, _ = demo_dir
    folder = tmp_path / "typo"
    shutil.copytree(demo_out / "classifier", folder)
    path = folder / "tokenizer_config.json"
    config = json.loads(path.read_text())
    config[key] = value
    path.write_text(json.dumps(config))
    status, _, err = run(["classify", str(folder), "hello"])
    one_line_error(status, err, "tokenizer_config.json", "wrong type", *words)


def test_texts_may_follow_the_options(demo_dir, run):
    clf = str(demo_dir[0] / "classifier")
    status, out, err = run(["classify", clf, "--max-length", "8", "a fine film", "--json", "a dull one"])
    assert status == 0, err
    assert [json.loads(line)["text"] for line in out.strip().splitlines()] == ["a fine film", "a dull one"]
    status, out, _ = run(["fill-mask", str(demo_dir[0] / "pretrained"), "--top-k", "2", "a [MASK] film"])
    assert status == 0 and out.splitlines()[0] == "a [MASK] film"


def test_max_length_above_the_model_is_refused_before_anything_loads(tmp_path, run, one_line_error):
    from lucid.models import BERTConfig

    folder = tmp_path / "config-only"  # no weights, no tokenizer: the length must be the first complaint
    BERTConfig(vocab_size=30, max_position_embeddings=64).save_pretrained(str(folder))
    for argv in (["classify", str(folder), "--max-length", "65", "hi"],
                 ["finetune", str(folder), "missing.csv", "--max-length", "1000"]):
        status, _, err = run(argv)
        one_line_error(status, err, "--max-length", argv[argv.index("--max-length") + 1], "max_position_embeddings",
                       "64", "config.json")


def test_a_closed_pipe_ends_the_run_quietly(demo_dir, tmp_path):
    texts = tmp_path / "many.txt"
    texts.write_text("".join(f"review number {i} was a good film\n" for i in range(3000)))
    proc = subprocess.Popen([sys.executable, "-m", "lucid.cli", "classify", str(demo_dir[0] / "classifier"),
                             "--file", str(texts)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    first = proc.stdout.readline()  # what `| head -1` reads before it exits
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert first.decode().endswith("review number 0 was a good film\n")
    assert err == "", err


def test_debug_shows_the_traceback_and_only_then(tmp_path):
    argv = [sys.executable, "-m", "lucid.cli", "classify", str(tmp_path / "nowhere"), "hello"]
    plain = subprocess.run(argv, capture_output=True, text=True, env=_env(), timeout=120)
    debug = subprocess.run([*argv, "--debug"], capture_output=True, text=True, env=_env(), timeout=120)
    leading = subprocess.run([*argv[:3], "--debug", *argv[3:]], capture_output=True, text=True, env=_env(),
                             timeout=120)
    assert plain.returncode == 2 and "Traceback" not in plain.stderr and "no model folder" in plain.stderr
    for proc in (debug, leading):
        assert proc.returncode == 1 and "Traceback" in proc.stderr and "FileNotFoundError" in proc.stderr


def test_an_internal_error_is_one_line_without_debug(run, monkeypatch):
    from lucid.cli import entry

    def broken(args):
        raise TypeError("unsupported operand")

    monkeypatch.setitem(entry.COMMANDS, "classify", broken)
    status, _, err = run(["classify", "folder", "text"])
    assert status == 1 and "Traceback" not in err
    assert err.strip() == ("lucid-bert: internal error: TypeError: unsupported operand (run again with --debug "
                           "for the traceback)")
    with pytest.raises(TypeError, match="unsupported operand"):
        run(["classify", "folder", "text", "--debug"])
