"""BERTForQuestionAnswering: start/end logits, Hugging Face's loss in every reduction against
NumPy float64, independent and best spans (against a loop over every pair), exact-match
accuracy, the context windows, answers as exact substrings of the context, errors, and the
same results on every device. Against transformers and its 4.x pipeline: tests/parity/."""

from __future__ import annotations

import numpy as np
import pytest
from family_references import cross_entropy, reduce

import lucid
from lucid.models import BERTForQuestionAnswering, BERTTokenizerFast
from lucid.models.bert.question_answering import best_spans, context_windows

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "who", "wrote", "it", "?", "ada", "love", "##lace", "wrote",
         "the", "first", "program", ".", "in", "1843"]


@pytest.fixture
def qa_tok():
    return BERTTokenizerFast(vocab={w: i for i, w in enumerate(dict.fromkeys(WORDS))})


def _batch():
    ids = np.array([[2, 5, 6, 3, 9, 10, 11, 12, 3, 0], [2, 5, 8, 3, 13, 14, 15, 16, 17, 3]])
    types = np.array([[0, 0, 0, 0, 1, 1, 1, 1, 1, 0], [0, 0, 0, 0, 1, 1, 1, 1, 1, 1]])
    return dict(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor((ids > 0).astype(np.int64)),
                token_type_ids=lucid.tensor(types))


@pytest.mark.parametrize("reduction", ["mean", "sum", None])
def test_loss_against_numpy(tiny, reduction):
    model = BERTForQuestionAnswering(tiny()).eval()
    enc = _batch()
    start, end = (t.numpy() for t in model(**enc))
    assert start.shape == end.shape == (2, 10)
    starts, ends = np.array([4, 12]), np.array([6, 7])  # 12: beyond the sequence, ignored
    ps, ns = cross_entropy(start, np.where(starts >= 10, -100, starts))
    pe, ne = cross_entropy(end, np.where(ends >= 10, -100, ends))
    want = (reduce(ps, ns, reduction) + reduce(pe, ne, reduction)) / 2
    for s, e in ((starts, ends), (starts.reshape(2, 1), ends.reshape(2, 1)), (starts.tolist(), ends.tolist())):
        got = model.get_loss(s if isinstance(s, list) else lucid.tensor(s), e if isinstance(e, list) else
                             lucid.tensor(e), **enc, reduction=reduction)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)


def _brute_force(start, end, allowed, max_len):
    """The best span by a loop over every pair, softmax over allowed tokens and [CLS]."""
    out = []
    for s_row, e_row, ok in zip(start, end, allowed):
        ok = ok.copy()
        ok[0] = False
        soft = ok.copy()
        soft[0] = True
        ps = np.where(soft, np.exp(s_row - s_row[soft].max()), 0)
        pe = np.where(soft, np.exp(e_row - e_row[soft].max()), 0)
        ps, pe = ps / ps.sum(), pe / pe.sum()
        best = (0, 0, -1.0)
        for i in range(len(ok)):
            for j in range(i, min(len(ok), i + max_len)):
                if ok[i] and ok[j] and ps[i] * pe[j] > best[2]:
                    best = (i, j, ps[i] * pe[j])
        out.append(best)
    return np.array(out)


@pytest.mark.parametrize("max_len", [1, 2, 30])
def test_best_spans_against_a_loop(max_len):
    rng = np.random.default_rng(max_len)
    start, end = rng.standard_normal((6, 12)) * 3, rng.standard_normal((6, 12)) * 3
    allowed = rng.random((6, 12)) < 0.7
    allowed[5] = False  # no span at all: 0, 0, score 0
    s, e, score, null = best_spans(start, end, allowed, max_len)
    want = _brute_force(start, end, allowed, max_len)
    np.testing.assert_array_equal(s[:5], want[:5, 0])
    np.testing.assert_array_equal(e[:5], want[:5, 1])
    np.testing.assert_allclose(score[:5], want[:5, 2], rtol=1e-12)
    assert (s[5], e[5], score[5]) == (0, 0, 0.0)
    assert np.all(e - s < max_len) and np.all(e >= s)
    soft = allowed.copy()
    soft[:, 0] = True
    z = np.where(soft, start, -np.inf)
    np.testing.assert_allclose(null[:5] > 0, True)
    assert null[0] == pytest.approx(np.exp(start[0, 0] - np.logaddexp.reduce(z[0]))
                                    * np.exp(end[0, 0] - np.logaddexp.reduce(np.where(soft[0], end[0], -np.inf))))


def test_get_best_spans_searches_the_context_only(tiny):
    model = BERTForQuestionAnswering(tiny()).eval()
    enc = _batch()
    start, end = (t.numpy() for t in model(**enc))
    context = (enc["token_type_ids"].numpy() == 1) & (enc["attention_mask"].numpy() == 1)
    context[0, 8] = context[1, 9] = False  # the closing [SEP]
    s, e, score = model.get_best_spans(**enc, max_answer_length=3)
    want = _brute_force(start, end, context, 3)
    np.testing.assert_array_equal(np.stack([s.numpy(), e.numpy()], 1), want[:, :2])
    np.testing.assert_allclose(score.numpy(), want[:, 2], rtol=1e-5)
    assert score.dtype == np.float32
    # without token types: every attended token but [CLS]
    s, e, _ = model.get_best_spans(enc["input_ids"], enc["attention_mask"])
    want = _brute_force(start_nt := model(enc["input_ids"], enc["attention_mask"])[0].numpy(),
                        model(enc["input_ids"], enc["attention_mask"])[1].numpy(),
                        enc["attention_mask"].numpy() == 1, 30)
    assert start_nt.shape == (2, 10)
    np.testing.assert_array_equal(np.stack([s.numpy(), e.numpy()], 1), want[:, :2])
    with pytest.raises(ValueError, match="max_answer_length must be an int >= 1, got 0"):
        model.get_best_spans(**enc, max_answer_length=0)


def test_independent_spans_and_accuracy(tiny):
    model = BERTForQuestionAnswering(tiny()).eval()
    enc = _batch()
    start, end = (t.numpy() for t in model(**enc))
    s, e = model.predict_spans(**enc)
    np.testing.assert_array_equal(s.numpy(), start.argmax(-1))
    np.testing.assert_array_equal(e.numpy(), end.argmax(-1))
    acc = model.get_accuracy(s, e, **enc)
    assert acc.shape == () and acc.dtype == np.float32 and acc.item() == 1.0
    wrong_end = e.numpy().copy()
    wrong_end[1] += 1
    assert model.get_accuracy(s, lucid.tensor(wrong_end), **enc).item() == 0.5  # both must match
    assert model.get_accuracy(lucid.tensor(wrong_end), lucid.tensor(wrong_end), **enc).item() < 1.0


def test_position_errors(tiny):
    model = BERTForQuestionAnswering(tiny())
    enc = _batch()
    with pytest.raises(ValueError, match="start_positions must be token positions >= 0, got -1"):
        model.get_loss([-1, 3], [4, 5], **enc)
    with pytest.raises(ValueError, match=r"end_positions must be integer token positions of shape \(2,\)"):
        model.get_loss([1, 3], [4.0, 5.0], **enc)
    with pytest.raises(ValueError, match="got 3 labels for a batch of 2"):
        model.get_loss([1, 3, 4], [4, 5], **enc)


def test_context_windows():
    assert context_windows(3, 5, 20, 4) == [(0, 5)]  # it fits
    windows = context_windows(4, 40, 20, 5)  # 13 context pieces per window, 5 shared
    assert windows == [(0, 13), (8, 21), (16, 29), (24, 37), (32, 40)]
    assert all(b - a <= 20 - 4 - 3 for a, b in windows)
    assert context_windows(4, 26, 20, 0) == [(0, 13), (13, 26)]
    with pytest.raises(ValueError, match="the question has 18 tokens: with max_length=20 no room is left"):
        context_windows(18, 40, 20, 0)
    with pytest.raises(ValueError, match="doc_stride=13 must be smaller than the 13 context tokens"):
        context_windows(4, 40, 20, 13)


def test_answers_are_substrings_of_the_context(tiny, qa_tok, monkeypatch):
    model = BERTForQuestionAnswering(tiny(vocab_size=19))
    question, context = "Who wrote it?", "ADA  Lovelace wrote the first program, in 1843."
    # [CLS] who wrote it ? [SEP] ada love ##lace wrote the first program [UNK] in 1843 . [SEP]
    ids = qa_tok.encode_plus(question, context)["input_ids"]
    assert len(ids) == 18

    def forward(input_ids, *_, **__):
        start = np.zeros(input_ids.shape, dtype=np.float32)
        end = np.zeros(input_ids.shape, dtype=np.float32)
        start[:, 7], end[:, 7] = 8.0, 8.0  # "love" starts and ends it: the whole word "Lovelace"
        return lucid.tensor(start), lucid.tensor(end)

    monkeypatch.setattr(model, "forward", forward)
    got = model.predict_answer_from_text(qa_tok, question, context, return_offsets=True)
    assert got["answer"] == "Lovelace" and context[got["start"]:got["end"]] == "Lovelace"
    assert model.predict_answer_from_text(qa_tok, question, context) == "Lovelace"
    assert model.predict_answer_from_text(qa_tok, [question, question], [context, "ada wrote it"]) == [
        "Lovelace", "wrote"]  # position 7 of the second pair: its second context word
    # a [CLS] that beats every span: no answer when it is allowed
    def cls_wins(input_ids, *_, **__):
        logits = np.zeros(input_ids.shape, dtype=np.float32)
        logits[:, 0] = 9.0
        return lucid.tensor(logits), lucid.tensor(logits)

    monkeypatch.setattr(model, "forward", cls_wins)
    assert model.predict_answer_from_text(qa_tok, question, context, handle_impossible_answer=True) == ""
    none = model.predict_answer_from_text(qa_tok, question, context, handle_impossible_answer=True,
                                          return_offsets=True)
    assert (none["start"], none["end"]) == (0, 0) and none["score"] > 0.9
    assert model.predict_answer_from_text(qa_tok, question, context) != ""


def test_answer_errors(tiny, qa_tok):
    model = BERTForQuestionAnswering(tiny(vocab_size=19))
    with pytest.raises(ValueError, match="doc_stride=128 must be smaller than the 28 context tokens a window of "
                                         "max_length=32 holds"):  # 384 is capped at the model's 32 positions
        model.predict_answer_from_text(qa_tok, "who", "ada " * 40)
    with pytest.raises(ValueError, match="max_length must be an int >= 1, got 0"):
        model.predict_answer_from_text(qa_tok, "who", "ada", max_length=0)
    with pytest.raises(ValueError, match="doc_stride must be an int >= 0, got -1"):
        model.predict_answer_from_text(qa_tok, "who", "ada", doc_stride=-1, max_length=32)
    with pytest.raises(ValueError, match="doc_stride=20 must be smaller"):
        model.predict_answer_from_text(qa_tok, "who", "ada " * 40, doc_stride=20, max_length=20)
    with pytest.raises(ValueError, match="text_b must be a list of 2 strings"):
        model.predict_answer_from_text(qa_tok, ["who", "what"], "ada", max_length=32)


def test_text_helpers_and_devices(model_pair, device, qa_tok):
    cpu, model = model_pair(BERTForQuestionAnswering)
    enc = _batch()
    enc_d = {k: v.to(device) for k, v in enc.items()}
    for a, b in zip(model(**enc_d), cpu(**enc)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5)
    loss = model.get_loss(lucid.tensor([4, 5], device=device), lucid.tensor([6, 7], device=device), **enc_d)
    assert loss.item() == pytest.approx(cpu.get_loss([4, 5], [6, 7], **enc).item(), abs=1e-5)
    loss.backward()
    assert model.qa_outputs.weight.grad is not None
    for a, b in zip(model.get_best_spans(**enc_d), cpu.get_best_spans(**enc)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5)
    s, e = model.predict_spans_from_text(qa_tok, "who wrote it?", "ada lovelace wrote it.")
    enc = qa_tok.batch_encode_plus(["who wrote it?"], ["ada lovelace wrote it."], device=device)
    want = model.predict_spans(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
    assert (s.tolist(), e.tolist()) == (want[0].tolist(), want[1].tolist())
    args = (qa_tok, "who wrote it?", "ada lovelace wrote it.")
    answer, on_cpu = (m.predict_answer_from_text(*args, return_offsets=True) for m in (model, cpu))
    assert [answer[k] for k in ("answer", "start", "end")] == [on_cpu[k] for k in ("answer", "start", "end")]
    assert answer["score"] == pytest.approx(on_cpu["score"], abs=1e-5)


def test_windows_in_chunks_give_the_same_answer(tiny, qa_tok):
    model = BERTForQuestionAnswering(tiny(vocab_size=19)).eval()
    context = " ".join(["ada lovelace wrote the first program in 1843 ."] * 12)
    args = (qa_tok, ["who wrote it?", "when?"], [context, context[:60]])
    kw = dict(max_length=16, doc_stride=3, return_offsets=True)
    at_once = model.predict_answer_from_text(*args, **kw, batch_size=1000)
    chunked = model.predict_answer_from_text(*args, **kw, batch_size=3)
    assert len(context_windows(4, 12 * 9, 16, 3)) > 10  # many windows, several chunks
    for a, b in zip(at_once, chunked):
        assert (a["answer"], a["start"], a["end"]) == (b["answer"], b["start"], b["end"])
        assert a["score"] == pytest.approx(b["score"], abs=1e-6)
