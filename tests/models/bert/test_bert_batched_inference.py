"""Batched text inference: every prediction ``*_from_text`` method gives, for a list of texts of
mixed lengths, what one batch of the whole list gives and what one text at a time gives, in
input order; batches run longest first, ``batch_size`` at most, with a bar when asked."""

from __future__ import annotations

import numpy as np
import pytest

import lucid
from lucid.models import (BERTForCausalLM, BERTForMaskedLM, BERTForNextSentencePrediction, BERTForQuestionAnswering,
                          BERTForSentenceEmbedding, BERTForSequenceClassification, BERTForTokenClassification)

# mixed lengths (1 to 10 words) in no order, so that batches of 2 or 3 hold padding
TEXTS = ["the movie is excellent .", "bad", "machine learning helps us build useful systems . the movie",
         "a movie", "tokenization quality is bad .", "the", "us build useful systems"]
PAIRS = ["a", "the movie is bad", "us", "machine learning", "excellent", "useful systems .", "the"]
MASKED = ["the movie is [MASK] .", "[MASK]", "machine [MASK] helps us build [MASK] systems .", "a [MASK]",
          "[MASK] quality is bad ."]
SIZES = (1, 2, 3)
# float results of batches padded to other widths agree to float32 rounding (matmul blocking and
# summation order follow the width); every discrete result is exact
FLOAT_TOL = dict(rtol=1e-5, atol=1e-6)


def _model(cls, tiny, **kw):
    lucid.random.seed(0)
    return cls(tiny(**kw.pop("config", {})), **kw)


def _pad_rows(rows, pad):
    """One ``(n, longest)`` array from rows of their own lengths, ``pad`` after each row."""
    width = max(len(r) for r in rows)
    return np.array([list(r) + [pad] * (width - len(r)) for r in rows])


def _loop(call, texts, pairs=None):
    return [call(t) if pairs is None else call(t, p) for t, p in zip(texts, pairs or [None] * len(texts))]


def test_lengths_differ_so_batches_pad(tokenizer):
    lengths = [len(tokenizer.encode(t)) for t in TEXTS]
    assert len(set(lengths)) >= 6 and lengths != sorted(lengths, reverse=True)


@pytest.mark.parametrize("pairs", [None, PAIRS])
@pytest.mark.parametrize("cls", [BERTForSequenceClassification, BERTForNextSentencePrediction])
def test_classifier_labels_and_probabilities(tiny, tokenizer, cls, pairs):
    model = _model(cls, tiny, **({"num_labels": 3} if cls is BERTForSequenceClassification else {}))
    whole_p = model.predict_proba_from_text(tokenizer, TEXTS, pairs, batch_size=len(TEXTS)).numpy()
    one_p = np.concatenate(_loop(lambda t, p=None: model.predict_proba_from_text(tokenizer, t, p).numpy(),
                                 TEXTS, pairs))
    one_l = np.concatenate(_loop(lambda t, p=None: model.predict_labels_from_text(tokenizer, t, p).numpy(),
                                 TEXTS, pairs))
    np.testing.assert_allclose(whole_p, one_p, **FLOAT_TOL)
    assert np.array_equal(one_l, whole_p.argmax(axis=-1))
    for size in SIZES:
        np.testing.assert_allclose(model.predict_proba_from_text(tokenizer, TEXTS, pairs, batch_size=size).numpy(),
                                   one_p, **FLOAT_TOL)
        labels = model.predict_labels_from_text(tokenizer, TEXTS, pairs, batch_size=size)
        assert labels.dtype == np.int64 and labels.numpy().tolist() == one_l.tolist()


@pytest.mark.parametrize("pairs", [None, PAIRS])
def test_masked_lm_token_ids_pad_with_the_pad_id(tiny, tokenizer, pairs):
    model = _model(BERTForMaskedLM, tiny)
    lengths = [len(tokenizer.encode(t, text_b=p)) for t, p in zip(TEXTS, pairs or [None] * len(TEXTS))]
    one = _loop(lambda t, p=None: model.predict_token_ids_from_text(tokenizer, t, p).numpy()[0], TEXTS, pairs)
    assert [len(r) for r in one] == lengths  # one text: no padding
    expected = _pad_rows(one, tokenizer.pad_token_id)
    for size in (*SIZES, len(TEXTS)):
        got = model.predict_token_ids_from_text(tokenizer, TEXTS, pairs, batch_size=size)
        assert got.dtype == np.int64 and np.array_equal(got.numpy(), expected), size


def test_token_labels_pad_with_ignore_index(tiny, tokenizer):
    model = _model(BERTForTokenClassification, tiny, num_labels=5)
    one = _loop(lambda t, p: model.predict_token_labels_from_text(tokenizer, t, p).numpy()[0], TEXTS, PAIRS)
    expected = _pad_rows(one, -100)
    assert (expected == -100).any()
    for size in (*SIZES, len(TEXTS)):
        got = model.predict_token_labels_from_text(tokenizer, TEXTS, PAIRS, batch_size=size).numpy()
        assert np.array_equal(got, expected), size


@pytest.mark.parametrize("aggregation", ["simple", "max"])
def test_entities(tiny, tokenizer, aggregation):
    names = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-ORG", 4: "I-ORG"}
    model = _model(BERTForTokenClassification, tiny, config={"id2label": names}, num_labels=5)
    one = [model.predict_entities_from_text(tokenizer, t, aggregation=aggregation) for t in TEXTS]
    assert sum(len(e) for e in one) > 0
    for size in (*SIZES, len(TEXTS)):
        got = model.predict_entities_from_text(tokenizer, TEXTS, aggregation=aggregation, batch_size=size)
        assert len(got) == len(one)
        for ours, alone in zip(got, one):
            assert [(e["entity"], e["label"], e["start"], e["end"]) for e in ours] == \
                [(e["entity"], e["label"], e["start"], e["end"]) for e in alone]
            np.testing.assert_allclose([e["score"] for e in ours], [e["score"] for e in alone], **FLOAT_TOL)


def test_fill_mask(tiny, tokenizer):
    model = _model(BERTForMaskedLM, tiny, config={"vocab_size": 22})
    one = [model.fill_mask_from_text(tokenizer, t, top_k=3) for t in MASKED]
    for size in (*SIZES, len(MASKED)):
        got = model.fill_mask_from_text(tokenizer, MASKED, top_k=3, batch_size=size)
        assert len(got) == len(MASKED)
        for ours, alone in zip(got, one):
            masks_ours = ours if isinstance(ours[0], list) else [ours]
            masks_alone = alone if isinstance(alone[0], list) else [alone]
            assert len(masks_ours) == len(masks_alone)
            for a, b in zip(masks_ours, masks_alone):
                assert [(c["token"], c["token_id"], c["sequence"]) for c in a] == \
                    [(c["token"], c["token_id"], c["sequence"]) for c in b]
                np.testing.assert_allclose([c["score"] for c in a], [c["score"] for c in b], **FLOAT_TOL)


def test_question_answering_spans_and_answers(tiny, tokenizer):
    model = _model(BERTForQuestionAnswering, tiny)
    questions, contexts = PAIRS[:5], TEXTS[:5]
    one = [tuple(int(x.item()) for x in model.predict_spans_from_text(tokenizer, q, c))
           for q, c in zip(questions, contexts)]
    answers = [model.predict_answer_from_text(tokenizer, q, c, return_offsets=True, max_length=32)
               for q, c in zip(questions, contexts)]
    for size in (*SIZES, 5):
        starts, ends = model.predict_spans_from_text(tokenizer, questions, contexts, batch_size=size)
        assert list(zip(starts.numpy().tolist(), ends.numpy().tolist())) == one
        got = model.predict_answer_from_text(tokenizer, questions, contexts, return_offsets=True, max_length=32,
                                             batch_size=size)
        assert [(a["answer"], a["start"], a["end"]) for a in got] == \
            [(a["answer"], a["start"], a["end"]) for a in answers]
        np.testing.assert_allclose([a["score"] for a in got], [a["score"] for a in answers], **FLOAT_TOL)


def test_spans_never_land_in_padding(tiny, tokenizer):
    model = _model(BERTForQuestionAnswering, tiny)
    starts, ends = model.predict_spans_from_text(tokenizer, PAIRS, TEXTS, batch_size=len(TEXTS))
    lengths = np.array([len(tokenizer.encode(q, text_b=c)) for q, c in zip(PAIRS, TEXTS)])
    assert (starts.numpy() < lengths).all() and (ends.numpy() < lengths).all()


def test_causal_lm_next_token(tiny, tokenizer):
    model = _model(BERTForCausalLM, tiny, config={"is_decoder": True})
    one = [int(model.predict_next_token_id_from_text(tokenizer, t).item()) for t in TEXTS]
    for size in (*SIZES, len(TEXTS)):
        assert model.predict_next_token_id_from_text(tokenizer, TEXTS, batch_size=size).numpy().tolist() == one


def test_sentence_embeddings(tiny, tokenizer):
    model = _model(BERTForSentenceEmbedding, tiny, normalize=True)
    one = np.concatenate([model.encode_from_text(tokenizer, t).numpy() for t in TEXTS])
    for size in (*SIZES, len(TEXTS)):
        np.testing.assert_allclose(model.encode_from_text(tokenizer, TEXTS, batch_size=size).numpy(), one,
                                   **FLOAT_TOL)


def test_batches_run_longest_first_and_at_most_batch_size(tiny, tokenizer, monkeypatch):
    model = _model(BERTForSequenceClassification, tiny)
    shapes = []
    forward = model.bert.pooled_output  # what the classifier runs

    def spy(input_ids=None, attention_mask=None, *args, **kw):
        shapes.append((input_ids.shape, attention_mask.numpy().sum(axis=1).tolist()))
        return forward(input_ids, attention_mask, *args, **kw)

    monkeypatch.setattr(model.bert, "pooled_output", spy)
    model.train()
    model.predict_labels_from_text(tokenizer, TEXTS, batch_size=3)
    assert model.training  # the mode comes back
    lengths = sorted((len(tokenizer.encode(t)) for t in TEXTS), reverse=True)
    assert [s for s, _ in shapes] == [(3, lengths[0]), (3, lengths[3]), (1, lengths[6])]
    assert [n for _, seen in shapes for n in seen] == lengths  # longest first, each batch padded to its own


def test_progress_bar_only_when_asked(tiny, tokenizer, capsys):
    model = _model(BERTForSequenceClassification, tiny)
    model.predict_labels_from_text(tokenizer, TEXTS, batch_size=2)
    assert capsys.readouterr().err == ""
    model.predict_labels_from_text(tokenizer, TEXTS, batch_size=2, progress=True)
    err = capsys.readouterr().err
    assert "BERTForSequenceClassification" in err and "7/7" in err and "text" in err


@pytest.mark.parametrize("bad, kind", [(0, ValueError), (-3, ValueError), (2.0, TypeError), (True, TypeError),
                                       ("8", TypeError), (None, TypeError)])
@pytest.mark.parametrize("method", ["predict_labels_from_text", "predict_proba_from_text"])
def test_batch_size_must_be_a_positive_int(tiny, tokenizer, bad, kind, method):
    model = _model(BERTForSequenceClassification, tiny)
    with pytest.raises(kind, match=f"batch_size must be an int >= 1, got .*{bad!r}"):
        getattr(model, method)(tokenizer, TEXTS, batch_size=bad)


@pytest.mark.parametrize("call", [
    lambda m, tok, kw: BERTForMaskedLM.predict_token_ids_from_text(m["mlm"], tok, TEXTS, **kw),
    lambda m, tok, kw: BERTForMaskedLM.fill_mask_from_text(m["mlm"], tok, MASKED, **kw),
    lambda m, tok, kw: m["tok"].predict_token_labels_from_text(tok, TEXTS, **kw),
    lambda m, tok, kw: m["tok"].predict_entities_from_text(tok, TEXTS, **kw),
    lambda m, tok, kw: m["qa"].predict_spans_from_text(tok, PAIRS, TEXTS, **kw),
    lambda m, tok, kw: m["qa"].predict_answer_from_text(tok, PAIRS, TEXTS, **kw),
    lambda m, tok, kw: m["clm"].predict_next_token_id_from_text(tok, TEXTS, **kw),
    lambda m, tok, kw: m["emb"].encode_from_text(tok, TEXTS, **kw),
])
def test_every_method_checks_batch_size_and_progress(tiny, tokenizer, call):
    models = {"mlm": _model(BERTForMaskedLM, tiny), "tok": _model(BERTForTokenClassification, tiny),
              "qa": _model(BERTForQuestionAnswering, tiny), "emb": _model(BERTForSentenceEmbedding, tiny),
              "clm": _model(BERTForCausalLM, tiny, config={"is_decoder": True})}
    with pytest.raises(ValueError, match="batch_size must be an int >= 1, got 0"):
        call(models, tokenizer, {"batch_size": 0})
    with pytest.raises(TypeError, match="batch_size must be an int >= 1, got float 1.5"):
        call(models, tokenizer, {"batch_size": 1.5})
    with pytest.raises(TypeError, match="progress must be True or False, got str 'yes'"):
        call(models, tokenizer, {"progress": "yes"})


def test_one_string_and_a_list_of_one(tiny, tokenizer):
    model = _model(BERTForTokenClassification, tiny)
    assert model.predict_token_labels_from_text(tokenizer, "the movie").shape == (1, 4)
    assert model.predict_token_labels_from_text(tokenizer, ["the movie"], batch_size=1).shape == (1, 4)


def test_invalid_unicode_names_the_text(tiny, tokenizer):
    model = _model(BERTForQuestionAnswering, tiny)
    with pytest.raises(ValueError, match=r"text_pairs\[1\] is not valid Unicode: it holds the lone surrogate "
                                         r"'\\udfff' at index 0"):
        model.predict_spans_from_text(tokenizer, ["the", "a"], ["movie", "\udfff"])
