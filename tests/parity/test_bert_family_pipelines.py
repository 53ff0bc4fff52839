"""The span helpers against Hugging Face's pipelines on the same random-weight checkpoints.

* ``BERTForTokenClassification.predict_entities_from_text`` against transformers'
  ``pipeline("token-classification", aggregation_strategy=...)`` for "simple", "first",
  "average" and "max": same entities, labels and character offsets, scores to 1e-5.
* ``BERTForQuestionAnswering.predict_answer_from_text`` against the question-answering
  pipeline of transformers 4.x, which transformers 5 removed. It is rebuilt below from
  4.46.3's ``pipelines/question_answering.py``: windows from the fast tokenizer
  (``truncation="only_second"``, ``stride=doc_stride``, overflowing tokens), a ``p_mask`` of
  the non-context tokens with ``[CLS]`` kept, one forward per window, transformers' own
  ``select_starts_ends`` (now in ``pipelines/document_question_answering.py``; its code is
  4.46.3's but for type hints and a branch top_k=1 never takes), answers mapped to whole
  words with ``word_to_chars`` of the context, the null answer appended, the best kept.
  Same answer text and start/end characters, scores to 1e-5.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from lucid.data import load_corpus
from lucid.models import BERTForQuestionAnswering, BERTForTokenClassification, BERTTokenizerFast

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "MISC"]
MAX_DIFFS: dict[str, float] = {}


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


@pytest.fixture(scope="module")
def folder(tmp_path_factory, corpus):
    """A tokenizer learned on the shipped corpus (small, so many words split into pieces),
    saved with its vocabulary; transformers' BertTokenizerFast reads the same folder."""
    path = tmp_path_factory.mktemp("family-pipelines")
    BERTTokenizerFast.train_from_iterator(corpus, vocab_size=300).save_pretrained(str(path))
    return path


def _texts(corpus, seed, n_sentences):
    """A few corpus sentences, one with an accented capital word (offsets must point into the
    original text, not the lower-cased one)."""
    rng = np.random.default_rng(seed)
    return " ".join(rng.choice(corpus, n_sentences)).replace("the", "Thé", 1)


def _hf_config(tok, **extra):
    return transformers.BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2,
                                   num_attention_heads=2, intermediate_size=64, max_position_embeddings=128,
                                   attn_implementation="eager", **extra)


def _load(cls, folder):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return cls.from_pretrained(folder)


# ---- token classification ----------------------------------------------------------------------
@pytest.mark.parametrize("aggregation", ["simple", "first", "average", "max"])
def test_entities_equal_the_token_classification_pipeline(aggregation, folder, corpus, tmp_path):
    tok = BERTTokenizerFast.from_pretrained(str(folder))
    torch.manual_seed(0)
    hf = transformers.BertForTokenClassification(_hf_config(
        tok, id2label=dict(enumerate(LABELS)), label2id={n: i for i, n in enumerate(LABELS)})).eval()
    with torch.no_grad():
        for p in hf.parameters():
            p.add_(torch.randn_like(p) * 0.05)
        hf.classifier.weight.normal_(0, 1.0)  # labels that vary from token to token
        hf.classifier.bias.zero_()
    hf.save_pretrained(tmp_path)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if (folder / name).exists():
            (tmp_path / name).write_bytes((folder / name).read_bytes())
    model = _load(BERTForTokenClassification, tmp_path)
    pipe = transformers.pipeline("token-classification", model=hf,
                                 tokenizer=transformers.BertTokenizerFast.from_pretrained(str(tmp_path)),
                                 aggregation_strategy=aggregation)
    texts = [_texts(corpus, seed, 2) for seed in range(10)]
    batch = model.predict_entities_from_text(tok, texts, aggregation=aggregation)
    total = 0
    for text, ours in zip(texts, batch):
        ref = pipe(text)
        assert [(o["label"], o["start"], o["end"]) for o in ours] == [(r["entity_group"], r["start"], r["end"])
                                                                      for r in ref], text
        for o, r in zip(ours, ref):
            assert o["entity"] == text[o["start"]:o["end"]]
            diff = abs(o["score"] - float(r["score"]))
            MAX_DIFFS[f"entity score {aggregation}"] = max(MAX_DIFFS.get(f"entity score {aggregation}", 0.0), diff)
            assert diff < 1e-5
        total += len(ref)
        alone = model.predict_entities_from_text(tok, text, aggregation=aggregation)  # one text: one list (no padding: floats may differ)
        assert [(a["label"], a["start"], a["end"]) for a in alone] == [(o["label"], o["start"], o["end"]) for o in ours]
        assert all(abs(a["score"] - o["score"]) < 1e-6 for a, o in zip(alone, ours))
    labels = {o["label"] for ours in batch for o in ours}
    assert total > 30 and {"PER", "LOC"} <= labels  # the comparison saw B-/I- groups ...
    assert aggregation != "simple" or "MISC" in labels  # ... and labels without a prefix


# ---- question answering ------------------------------------------------------------------------
def _qa_reference(hf, hf_tok, question, context, max_length, doc_stride, max_answer_len, impossible):
    """transformers 4.x's question-answering pipeline (fast tokenizer, top_k=1, align_to_words)."""
    from transformers.pipelines.document_question_answering import select_starts_ends

    enc = hf_tok(text=question, text_pair=context, padding="do_not_pad", truncation="only_second",
                 max_length=max_length, stride=doc_stride, return_token_type_ids=True,
                 return_overflowing_tokens=True, return_offsets_mapping=True, return_special_tokens_mask=True)
    min_null_score = 1000000
    answers = []
    for span in range(len(enc["input_ids"])):
        ids = enc["input_ids"][span]
        p_mask = [t != 1 for t in enc.sequence_ids(span)]
        for cls_index in np.nonzero(np.array(ids) == hf_tok.cls_token_id)[0]:
            p_mask[cls_index] = 0
        with torch.no_grad():
            out = hf(input_ids=torch.tensor([ids]), attention_mask=torch.tensor([enc["attention_mask"][span]]),
                     token_type_ids=torch.tensor([enc["token_type_ids"][span]]))
        starts, ends, scores, min_null_score = select_starts_ends(
            out.start_logits.numpy(), out.end_logits.numpy(), np.array(p_mask),
            np.array([enc["attention_mask"][span]]), min_null_score, 1, impossible, max_answer_len)
        window = enc[span]
        for s, e, score in zip(starts, ends, scores):
            a = window.word_to_chars(window.token_to_word(s), sequence_index=1)[0]
            b = window.word_to_chars(window.token_to_word(e), sequence_index=1)[1]
            answers.append({"score": score.item(), "start": a, "end": b, "answer": context[a:b]})
    if impossible:
        answers.append({"score": min_null_score, "start": 0, "end": 0, "answer": ""})
    return sorted(answers, key=lambda x: x["score"], reverse=True)[0], len(enc["input_ids"])


def _qa_checkpoint(tok, folder, cls_heavy=False):
    torch.manual_seed(1)
    hf = transformers.BertForQuestionAnswering(_hf_config(tok)).eval()
    with torch.no_grad():
        for p in hf.parameters():
            p.add_(torch.randn_like(p) * (0.05 if cls_heavy else 0.5))
        if cls_heavy:
            # position 0 stands out in the residual stream; the span head scores along its
            # final state, so [CLS] (the "no answer") is the most likely start and end
            hf.bert.embeddings.position_embeddings.weight[0] += 20 * torch.randn(hf.config.hidden_size)
            ids = torch.tensor([tok.encode("a question", text_b="a context")])
            h0 = hf.bert(input_ids=ids).last_hidden_state[0, 0]
            hf.qa_outputs.weight.copy_(torch.stack([h0, h0]) * 0.1)
            hf.qa_outputs.bias.zero_()
    hf.save_pretrained(folder)
    return hf


@pytest.mark.parametrize("cls_heavy", [False, True], ids=["spans", "no-answer"])
def test_answers_equal_the_question_answering_pipeline(cls_heavy, folder, corpus, tmp_path):
    tok = BERTTokenizerFast.from_pretrained(str(folder))
    hf_tok = transformers.BertTokenizerFast.from_pretrained(str(folder))
    hf = _qa_checkpoint(tok, tmp_path, cls_heavy)
    model = _load(BERTForQuestionAnswering, tmp_path)
    rng = np.random.default_rng(2)
    windows = nulls = 0
    for trial in range(24):
        question = _texts(corpus, 100 + trial, 1).lower()[:40]
        context = _texts(corpus, trial, int(rng.integers(1, 7)))
        max_length, doc_stride = 40, int(rng.integers(0, 12))
        max_answer_len, impossible = int(rng.integers(1, 20)), bool(trial % 2)
        ref, n = _qa_reference(hf, hf_tok, question, context, max_length, doc_stride, max_answer_len, impossible)
        ours = model.predict_answer_from_text(tok, question, context, max_length=max_length, doc_stride=doc_stride,
                                              max_answer_length=max_answer_len, handle_impossible_answer=impossible,
                                              return_offsets=True)
        assert (ours["answer"], ours["start"], ours["end"]) == (ref["answer"], ref["start"], ref["end"]), trial
        assert ours["answer"] == context[ours["start"]:ours["end"]]
        diff = abs(ours["score"] - ref["score"])
        MAX_DIFFS["answer score"] = max(MAX_DIFFS.get("answer score", 0.0), diff)
        assert diff < 1e-5
        windows += n > 1
        nulls += ref["answer"] == ""
    assert windows >= 8  # long contexts really were split
    assert (nulls >= 6) if cls_heavy else (nulls == 0)


def test_batched_answers_equal_one_by_one(folder, corpus, tmp_path):
    tok = BERTTokenizerFast.from_pretrained(str(folder))
    _qa_checkpoint(tok, tmp_path)
    model = _load(BERTForQuestionAnswering, tmp_path)
    questions = [_texts(corpus, 200 + i, 1)[:30] for i in range(5)]
    contexts = [_texts(corpus, 300 + i, i + 1) for i in range(5)]
    kw = dict(max_length=36, doc_stride=6, return_offsets=True)
    batch = model.predict_answer_from_text(tok, questions, contexts, **kw)
    one_by_one = [model.predict_answer_from_text(tok, q, c, **kw) for q, c in zip(questions, contexts)]
    for a, b in zip(batch, one_by_one):
        assert (a["answer"], a["start"], a["end"]) == (b["answer"], b["start"], b["end"])
        assert abs(a["score"] - b["score"]) < 1e-6
    assert model.predict_answer_from_text(tok, questions, contexts, max_length=36, doc_stride=6) == [
        a["answer"] for a in batch]


def test_report_max_differences():
    """Print the largest differences seen above (run with -s to see them)."""
    if MAX_DIFFS:
        print("\nmax abs differences vs transformers' pipelines:", {k: f"{v:.2e}" for k, v in MAX_DIFFS.items()})
