"""README.md: the Quick start commands, the sections it promises, and its Python examples run."""

from __future__ import annotations

import pathlib
import re
import shlex

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


def _section(title: str) -> str:
    m = re.search(rf"^##+ {re.escape(title)}\s*\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert m, f"README has no section {title!r}"
    return m.group(1)


def _quick_start_commands() -> list[str]:
    fences = FENCE.findall(_section("Quick start"))
    assert fences, "the Quick start section has no fenced block"
    lang, body = fences[0]
    assert lang in ("sh", "bash", "shell", "console"), f"the first Quick start block is {lang!r}, not shell"
    return [ln.strip() for ln in body.splitlines() if ln.strip()]


def test_quick_start_has_exactly_the_two_commands():
    cmds = _quick_start_commands()
    assert len(cmds) == 2, cmds
    install, run_tests = cmds
    # 1: install the package and run the demo main job
    first, _, second = install.partition("&&")
    assert first.strip() in ("pip install .", "pip install -e ."), first
    assert shlex.split(second) == ["lucid-bert", "demo"]
    # 2: install the test extras and run the whole suite
    assert run_tests == 'pip install -e ".[test]" && python -m pytest -q'


def test_quick_start_test_command_is_the_ci_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_cmd = _quick_start_commands()[1].split("&&")[1].strip()
    ci_lines = [ln.strip() for ln in ci.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert test_cmd in ci_lines, f"{test_cmd!r} is not a command of .ci/run"
    assert re.search(r'pip install .*-e "\.\[test[^\]]*\]"', ci), ".ci/run does not install the test extra"


def test_readme_sections():
    assert re.search(r"^# lucid", README, re.M)
    for title in ("Quick start", "Usage", "Benchmark summary"):
        _section(title)
    usage = _section("Usage")
    for words in ("Hugging Face", "Fine-tune", "fill-mask", "GPU"):
        assert words.lower() in usage.lower(), words
    assert "python benchmarks/bert_cpu.py" in _section("Benchmark summary")


def test_readme_commands_match_the_cli():
    """Every ``lucid-bert`` line in the README parses with the real argument parser."""
    from lucid.cli import build_parser

    parser = build_parser()
    lines = [ln.strip() for lang, body in FENCE.findall(README) if lang in ("sh", "bash", "console")
             for ln in body.splitlines() if ln.strip().startswith("lucid-bert")]
    assert len(lines) >= 3
    for line in lines:
        argv = shlex.split(line)[1:]
        parser.parse_args(argv if argv and not argv[0].startswith("-") else ["demo", *argv])


def test_readme_python_examples_run(tmp_path, monkeypatch):
    """Each Python block runs as written, on its own (a reader copies one block, not the page),
    against a tiny checkpoint standing in for ``path/to/bert-base-uncased``; the fine-tuning
    block trains: dropout on, and the backbone's weights move."""
    import warnings

    import numpy as np

    import lucid
    import lucid.models as models
    from lucid.data import load_corpus

    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "bert"
    tok = models.BERTTokenizerFast.train_from_iterator(load_corpus() + ["Paris is the capital of France."],
                                                       vocab_size=300)
    cfg = models.BERTConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                            intermediate_size=64, max_position_embeddings=64)
    models.BERTForMaskedLM(cfg).save_pretrained(str(folder))
    tok.save_pretrained(str(folder))
    blocks = [body for lang, body in FENCE.findall(README) if lang == "python"]
    assert len(blocks) >= 2
    spaces = []
    for body in blocks:
        ns: dict = {}
        with warnings.catch_warnings():
            # a classifier from a masked-LM folder: the warning lists the new head
            warnings.filterwarnings("ignore", "BERTForSequenceClassification from", UserWarning)
            exec(compile(body.replace("path/to/bert-base-uncased", str(folder)), "README.md", "exec"), ns)
        spaces.append(ns)
    assert (tmp_path / "my-bert" / "model.safetensors").is_file()
    trained = [ns for ns in spaces if "optimizer" in ns]
    assert len(trained) == 1
    ns = trained[0]
    assert ns["loss"].shape == () and ns["model"].training
    start = lucid.load(str(folder / "model.safetensors"))["bert.embeddings.word_embeddings.weight"]
    now = ns["model"].state_dict()["bert.embeddings.word_embeddings.weight"]
    assert not np.allclose(start.numpy(), now.numpy())
