"""The documentation's examples run as tests.

* every ``>>>`` example in the docstrings of every module under ``lucid/`` (doctest), and of
  the docs' own extension (``docs/_ext``);
* the examples of the class pages as they are rendered (the seed pages with the block that
  defines what their examples use) and of the guides (``docs/**/*.rst``), each page in a
  namespace of its own, with a tiny model and a vocabulary made here in place of ``*_base()``
  and ``.data/bert/pretrained``;
* the Sphinx build itself, with warnings as errors, and what a reader of the class pages
  needs: each method once, no private base class, loading and saving on every model page.
"""

from __future__ import annotations

import doctest
import functools
import importlib
import os
import pathlib
import pkgutil
import re
import subprocess
import sys

import pytest

import lucid

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _is_cupy_only(name: str) -> bool:
    # CuPy kernel modules (a ``cuda``/``cupy`` package or module anywhere in the path) need a GPU to run.
    return any("cupy" in part or "cuda" in part for part in name.split(".")[1:])


def _has_examples(name: str) -> bool:
    try:
        module = importlib.import_module(name)
    except Exception:
        return True  # keep it: the test then reports the import error
    return any(t.examples for t in doctest.DocTestFinder(exclude_empty=True).find(module, name))


def _lucid_modules() -> list[str]:
    names = ["lucid"]
    for info in pkgutil.walk_packages(lucid.__path__, prefix="lucid.", onerror=lambda name: None):
        if not _is_cupy_only(info.name):
            names.append(info.name)
    return sorted(n for n in names if _has_examples(n))


def _run_doctests(tests) -> tuple[int, str]:
    import io

    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in tests:
        runner.run(test, out=out.write, clear_globs=False)
    failed, _ = runner.summarize(verbose=False)
    return failed, out.getvalue()


@pytest.mark.parametrize("module_name", _lucid_modules())
def test_docstring_examples(module_name, tmp_path, monkeypatch):
    """Every ``>>>`` example in ``module_name``'s docstrings runs and prints what it shows."""
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    if module_name.startswith(("lucid.distributed", "lucid.nn.parallel", "lucid.data.distributed")):
        pytest.importorskip("mpi4py", reason="their examples start a process group: lucid[distributed]")
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    # Only the module's own objects, not re-exported ones (those are tested in their home module).
    tests = [t for t in finder.find(module, module_name) if t.examples]
    if not tests:
        pytest.skip(f"{module_name} has no docstring examples")
    failed, report = _run_doctests(tests)
    assert failed == 0, report


def test_every_public_function_has_an_example():
    """Each public name of the packages users import has a docstring with a ``>>>`` example."""
    missing = []
    for module_name in ("lucid", "lucid.nn", "lucid.nn.functional", "lucid.nn.init", "lucid.nn.utils",
                        "lucid.optim", "lucid.optim.lr_scheduler", "lucid.models", "lucid.data", "lucid.random",
                        "lucid.distributed", "lucid.nn.parallel"):
        module = importlib.import_module(module_name)
        names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
        for name in names:
            obj = getattr(module, name, None)
            if not callable(obj) or isinstance(obj, type(lucid)) or not getattr(obj, "__module__", "").startswith(
                    "lucid"):
                continue
            if ">>>" not in (obj.__doc__ or ""):
                missing.append(f"{module_name}.{name}")
    assert not missing, "public names without a >>> example: " + ", ".join(sorted(set(missing)))


# ---------------------------------------------------------------------------------------------------------
# The examples of the .rst pages
# ---------------------------------------------------------------------------------------------------------
_BLOCK = re.compile(r"^(?P<indent>[ \t]*)\.\. code-block:: (?:python|pycon)[ \t]*\n(?:(?P=indent)[ \t]+:.*\n)*\n"
                    r"(?P<body>(?:(?P=indent)[ \t]+.*\n|[ \t]*\n)+)", re.M)


sys.path.insert(0, str(DOCS / "_ext"))
import class_pages  # noqa: E402  (the docs' extension that renders the class pages)


def rst_examples(path: pathlib.Path) -> str:
    """The ``>>>`` examples of every python code block of an .rst page as Sphinx renders it,
    dedented, as doctest text."""
    import textwrap

    text = class_pages.render_doc(path.relative_to(DOCS).with_suffix("").as_posix(), path.read_text(encoding="utf-8"))
    blocks = [textwrap.dedent(m.group("body")) for m in _BLOCK.finditer(text)]
    return "\n".join(b for b in blocks if ">>>" in b)


PUBLIC_MODULES = ("lucid.nn", "lucid.nn.functional", "lucid.nn.init", "lucid.nn.utils", "lucid.optim",
                  "lucid.optim.lr_scheduler", "lucid.amp", "lucid.models", "lucid.data", "lucid.random")

SEED_PAGES = ["api/models/BERTForMaskedLM.rst", "api/models/BERTForSequenceClassification.rst"]


def _guide_pages():
    return sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.rst")
                  if str(p.relative_to(DOCS)) not in SEED_PAGES and ">>>" in rst_examples(p))


def _tiny_config(vocab_size, pad_token_id=0):
    from lucid.models import BERTConfig

    # 128 positions: the pages' sentences in the tiny vocabulary's word pieces fit without truncation
    return BERTConfig(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                      intermediate_size=64, max_position_embeddings=128, pad_token_id=pad_token_id)


def _save_checkpoint(cfg, folder):
    """A random-weight masked-LM checkpoint: written by Hugging Face ``transformers`` when it is installed
    (so the pages are tested on a real Hugging Face folder), else by lucid."""
    try:
        import torch
        import transformers
    except ImportError:
        from lucid.models import BERTForMaskedLM

        BERTForMaskedLM(cfg).save_pretrained(str(folder))
        return
    torch.manual_seed(0)
    hf_cfg = transformers.BertConfig(
        vocab_size=cfg.vocab_size, hidden_size=cfg.hidden_size, num_hidden_layers=cfg.num_hidden_layers,
        num_attention_heads=cfg.num_attention_heads, intermediate_size=cfg.intermediate_size,
        max_position_embeddings=cfg.max_position_embeddings, pad_token_id=cfg.pad_token_id)
    transformers.BertForMaskedLM(hf_cfg).save_pretrained(str(folder), safe_serialization=True)


@pytest.fixture
def doc_env(tmp_path, monkeypatch):
    """What the pages' examples assume, made tiny: a tokenizer and a Hugging Face-style checkpoint in
    ``.data/bert/pretrained`` (relative to the working directory) and the ``*_base()`` factories
    building a tiny model on that vocabulary."""
    import lucid.models as models
    from lucid.data import load_corpus, load_sentiment

    monkeypatch.chdir(tmp_path)
    texts, _ = load_sentiment()
    extra = ["Machine learning helps us build useful systems.",
             "Tokenization quality strongly affects language model performance.",
             "This movie is excellent.", "Machine learning is [MASK]."]
    tok = models.BERTTokenizerFast.train_from_iterator(load_corpus() + texts + extra, vocab_size=400)
    folder = tmp_path / ".data" / "bert" / "pretrained"
    cfg = _tiny_config(tok.vocab_size, tok.pad_token_id)
    _save_checkpoint(cfg, folder)
    tok.save_pretrained(str(folder))

    monkeypatch.setattr(models, "bert_for_masked_lm_base", lambda **kw: models.BERTForMaskedLM(cfg.replace(**kw)))
    monkeypatch.setattr(models, "bert_for_sequence_classification_base",
                        lambda num_labels=2, **kw: models.BERTForSequenceClassification(cfg.replace(**kw),
                                                                                       num_labels=num_labels))
    # the rest of the family's *_base() factories build the same tiny shape on this vocabulary
    shape = {f: getattr(cfg, f) for f in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                                          "intermediate_size", "max_position_embeddings", "pad_token_id")}
    for task in ("pre_training", "next_sentence_prediction", "token_classification", "question_answering",
                 "causal_lm"):
        name = f"bert_for_{task}_base"
        monkeypatch.setattr(models, name, functools.partial(getattr(models, name), **shape))
    return tmp_path


def _cpu_if_no_gpu(text: str) -> str:
    """The examples' ``"gpu"`` becomes ``"cpu"`` (in code and in shown output) where no GPU exists."""
    if lucid.gpu_available():
        return text
    return text.replace('"gpu"', '"cpu"').replace("'gpu'", "'cpu'")


def _run_page(page: str):
    """Run the page's examples in a namespace of their own: they must define what they use."""
    source = _cpu_if_no_gpu(rst_examples(DOCS / page))
    assert ">>>" in source, f"{page} has no examples"
    test = doctest.DocTestParser().get_doctest(source, {}, page, str(DOCS / page), 0)
    failed, report = _run_doctests([test])
    assert failed == 0, report
    return test.globs


@pytest.mark.parametrize("page", SEED_PAGES)
def test_seed_page_examples(page, doc_env):
    ns = _run_page(page)
    assert "model" in ns and "input_ids" in ns  # the rendered page defined the batch itself


@pytest.mark.parametrize("page", _guide_pages())
@pytest.mark.filterwarnings("ignore:.*checkpoint weights the model does not use")  # a page loads an MLM folder
def test_guide_examples(page, doc_env):
    if "import transformers" in (DOCS / page).read_text(encoding="utf-8"):
        pytest.importorskip("torch")
        pytest.importorskip("transformers")
    _run_page(page)


def test_the_docs_extension_examples():
    tests = [t for t in doctest.DocTestFinder(exclude_empty=True).find(class_pages) if t.examples]
    assert tests
    failed, report = _run_doctests(tests)
    assert failed == 0, report


def test_class_page_rendering_keeps_the_seed_text():
    """Rendering only adds to a seed page: every line of it is still there, in order, except the
    ``:no-index:`` of the method entries (the page's entries are the methods' only ones)."""
    for page in SEED_PAGES:
        seed = (DOCS / page).read_text(encoding="utf-8")
        rendered = iter(class_pages.render(seed).splitlines())
        for line in seed.splitlines():
            if line.strip() != ":no-index:":
                assert line in rendered, f"{page}: {line!r} lost or moved"


def test_seed_pages_are_copied_intact():
    for page in SEED_PAGES:
        ours = (DOCS / page).read_text(encoding="utf-8")
        seed = pathlib.Path("/work/shared/spec") / pathlib.Path(page).name
        if seed.exists():
            assert ours == seed.read_text(encoding="utf-8"), f"{page} differs from the seed page"
        assert ".. autoclass:: lucid.models." in ours


# ---------------------------------------------------------------------------------------------------------
# The Sphinx build
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_sphinx_build_has_no_warnings(tmp_path):
    pytest.importorskip("sphinx")
    out = tmp_path / "html"
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                           str(DOCS), str(out), "-d", str(tmp_path / "doctrees")],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    # Every method the seed pages name is rendered on their pages.
    for page in SEED_PAGES:
        source = (DOCS / page).read_text(encoding="utf-8")
        html = (out / page.replace(".rst", ".html")).read_text(encoding="utf-8")
        for name in re.findall(r"\.\. automethod:: [\w.]+\.(\w+)", source):
            assert f'<span class="pre">{name}</span>' in html or f">{name}<" in html, f"{page}: {name} not rendered"
    _check_class_pages(out)
    # Every public name of the user-facing modules has an entry somewhere in the API pages.
    ids = set()
    for html in (out / "api").rglob("*.html"):
        ids |= set(re.findall(r'id="(lucid[\w.]*)"', html.read_text(encoding="utf-8")))
    short = {i.rsplit(".", 1)[-1] for i in ids} | {".".join(i.split(".")[-2:]) for i in ids}
    missing = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if name.endswith("_") or isinstance(obj, type(lucid)):
                continue  # PyTorch-style in-place aliases are documented with their plain name
            if name not in short:
                missing.append(f"{module_name}.{name}")
    for name in dir(lucid):
        obj = getattr(lucid, name)
        if not name.startswith("_") and callable(obj) and name not in short:
            missing.append(f"lucid.{name}")
    assert not missing, "public names without an API entry: " + ", ".join(missing)


def _check_class_pages(out):
    """What a reader of a model class page needs: each method listed once, no private base class
    named, and the loading and saving methods on the page of every class that has them."""
    import lucid.models as models

    problems = []
    for html_path in sorted((out / "api" / "models").glob("*.html")):
        html = html_path.read_text(encoding="utf-8")
        if re.search(r"\b_?TaskModel\b|PretrainedMixin|Bases:", html):
            problems.append(f"{html_path.name}: names a private base class")
        classes = re.findall(r'id="lucid\.models\.(\w+)"', html)
        if len(classes) != 1:
            continue  # the index, the factories, the heads
        cls = getattr(models, classes[0])
        names = re.findall(r'<span class="sig-name descname"><span class="pre">(\w+)</span>', html)
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            problems.append(f"{html_path.name}: listed more than once: {twice}")
        for name in ("from_pretrained", "save_pretrained"):
            if hasattr(cls, name) and name not in names:
                problems.append(f"{html_path.name}: no {name}")
    assert not problems, "\n".join(problems)
