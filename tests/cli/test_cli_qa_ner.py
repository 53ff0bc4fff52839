"""``lucid-bert qa`` and ``lucid-bert ner`` on small checkpoint folders made here: output
formats, offsets into the text, label names from config.json, and one-line errors."""

from __future__ import annotations

import json

import pytest

import lucid
from lucid.data import load_corpus
from lucid.models import BERTConfig, BERTForQuestionAnswering, BERTForTokenClassification, BERTTokenizerFast

CONTEXT = ("Ada Lovelace wrote the first program in 1843. She worked with Charles Babbage on his "
           "Analytical Engine. The engine was never built, but her notes describe it in detail.")
LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def _folder(path, cls, **kw):
    tok = BERTTokenizerFast.train_from_iterator(load_corpus() + [CONTEXT], vocab_size=300)
    lucid.random.seed(0)
    cfg = BERTConfig(vocab_size=tok.vocab_size, hidden_size=32, num_attention_heads=2, num_hidden_layers=2,
                     intermediate_size=64, max_position_embeddings=64)
    model = cls(cfg, **kw)
    if cls is BERTForTokenClassification:
        model.config.id2label = dict(enumerate(LABELS))
        with lucid.no_grad():  # labels that change from token to token
            model.classifier.weight.data *= 50
    model.save_pretrained(str(path))
    tok.save_pretrained(str(path))
    return str(path)


@pytest.fixture(scope="module")
def qa_folder(tmp_path_factory):
    return _folder(tmp_path_factory.mktemp("qa"), BERTForQuestionAnswering)


@pytest.fixture(scope="module")
def ner_folder(tmp_path_factory):
    return _folder(tmp_path_factory.mktemp("ner"), BERTForTokenClassification, num_labels=5)


def test_qa(qa_folder, run, device):
    argv = ["qa", qa_folder, "--question", "Who wrote the first program?", "--context", CONTEXT, "--device", device]
    status, out, _ = run(argv + ["--max-length", "24", "--doc-stride", "4"])  # several windows
    assert status == 0
    answer, score, span = out.rstrip("\n").split("\t")
    a, b = map(int, span.split(":"))
    assert CONTEXT[a:b] == answer and answer and 0 < float(score) <= 1
    status, out, _ = run(argv + ["--max-length", "24", "--doc-stride", "4", "--json"])
    obj = json.loads(out)
    assert (obj["answer"], obj["start"], obj["end"]) == (answer, a, b)
    assert obj["question"] == "Who wrote the first program?" and abs(obj["score"] - float(score)) < 1e-4
    model = BERTForQuestionAnswering.from_pretrained(qa_folder)
    want = model.predict_answer_from_text(BERTTokenizerFast.from_pretrained(qa_folder),
                                          "Who wrote the first program?", CONTEXT, max_length=24, doc_stride=4)
    assert answer == want  # the command is the library's method
    status, out, _ = run(argv + ["--allow-no-answer", "--max-answer-length", "1"])
    assert status == 0 and len(out.rstrip("\n").split("\t")) == 3


def test_ner(ner_folder, run, device, tmp_path):
    texts = ["Ada Lovelace met Charles Babbage in London.", "The engine was never built."]
    status, out, _ = run(["ner", ner_folder, *texts, "--device", device])
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == texts[0] and texts[1] in lines
    entity_lines = [ln for ln in lines if ln.startswith("  ")]
    assert entity_lines
    for ln in lines[1:lines.index(texts[1])]:
        label, span, score, entity = ln.strip().split("\t")
        a, b = map(int, span.split(":"))
        assert texts[0][a:b] == entity and label in {"PER", "LOC"} and 0 < float(score) <= 1
    path = tmp_path / "texts.txt"
    path.write_text("\n".join(texts) + "\n")
    status, out, _ = run(["ner", ner_folder, "--file", str(path), "--json", "--batch-size", "1"])
    rows = [json.loads(ln) for ln in out.splitlines()]
    assert [r["text"] for r in rows] == texts
    model = BERTForTokenClassification.from_pretrained(ner_folder)
    assert rows[0]["entities"] == json.loads(json.dumps(
        model.predict_entities_from_text(BERTTokenizerFast.from_pretrained(ner_folder), texts[0])))


def test_errors(qa_folder, ner_folder, run, one_line_error):
    status, _, err = run(["qa", qa_folder, "--question", "Who?"])
    one_line_error(status, err, "--context", "required")
    status, _, err = run(["qa", qa_folder, "--question", "  ", "--context", CONTEXT])
    one_line_error(status, err, "--question is empty")
    status, _, err = run(["qa", qa_folder, "--question", "Who?", "--context", CONTEXT, "--max-length", "20",
                          "--doc-stride", "30"])
    one_line_error(status, err, "doc_stride=30", "max_length=20")
    status, _, err = run(["qa", qa_folder, "--question", "Who?", "--context", "x", "--max-length", "0"])
    one_line_error(status, err, "--max-length", "0")
    status, _, err = run(["qa", "no/such/folder", "--question", "Who?", "--context", "x"])
    one_line_error(status, err, "no model folder", "no/such/folder")
    status, _, err = run(["ner", ner_folder])
    one_line_error(status, err, "no texts")
    status, _, err = run(["ner", "no/such/folder", "text"])
    one_line_error(status, err, "no model folder")
    # a folder without the task's trained head (here a question-answering one for ner, and back)
    status, _, err = run(["ner", qa_folder, "Ada"])
    one_line_error(status, err, "no trained BERTForTokenClassification head", "classifier.", "--allow-untrained-head")
    status, _, err = run(["qa", ner_folder, "--question", "Who?", "--context", CONTEXT])
    one_line_error(status, err, "no trained BERTForQuestionAnswering head", "qa_outputs.")
    status, out, _ = run(["qa", ner_folder, "--question", "Who?", "--context", CONTEXT, "--allow-untrained-head"])
    assert status == 0 and out.count("\t") == 2
