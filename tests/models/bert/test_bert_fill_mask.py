"""``BERTForMaskedLM.fill_mask_from_text`` against ``transformers``' fill-mask pipeline."""

from __future__ import annotations

import pytest

from lucid.models import BERTForMaskedLM, BERTTokenizerFast

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "movie", "is", "excellent", "bad", "machine",
         "learning", "helps", "us", "build", "useful", "systems", ".", "token", "##ization", "a", "good"]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(lucid model, lucid tokenizer, transformers pipeline) on one random checkpoint."""
    folder = tmp_path_factory.mktemp("fill")
    torch.manual_seed(0)
    cfg = transformers.BertConfig(vocab_size=len(WORDS), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                  intermediate_size=48, max_position_embeddings=40)
    transformers.BertForMaskedLM(cfg).eval().save_pretrained(folder)
    BERTTokenizerFast(vocab={w: i for i, w in enumerate(WORDS)}).save_pretrained(folder)
    pipe = transformers.pipeline("fill-mask", model=str(folder), tokenizer=str(folder), device="cpu")
    return BERTForMaskedLM.from_pretrained(folder), BERTTokenizerFast.from_pretrained(folder), pipe


def assert_same(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert (a["token"], a["token_id"], a["sequence"]) == (b["token_str"], b["token"], b["sequence"])
        assert a["score"] == pytest.approx(b["score"], abs=1e-6)


@pytest.mark.parametrize("text, top_k", [("the movie is [MASK] .", 5), ("[MASK] learning helps us", 3),
                                         ("tokenization [MASK]", 30)])
def test_one_mask_equals_the_pipeline(pair, text, top_k):
    model, tok, pipe = pair
    ours = model.fill_mask_from_text(tok, text, top_k=top_k)
    assert len(ours) == min(top_k, len(WORDS))
    # the pipeline fails past the vocabulary size; lucid gives the whole vocabulary, ranked
    assert_same(ours, pipe(text, top_k=min(top_k, len(WORDS))))
    assert sorted(ours, key=lambda c: -c["score"]) == ours


def test_several_masks_give_one_list_per_mask(pair):
    model, tok, pipe = pair
    text = "the [MASK] is [MASK] ."
    ours, theirs = model.fill_mask_from_text(tok, text, top_k=4), pipe(text, top_k=4)
    assert len(ours) == 2 and "[MASK]" in ours[0][0]["sequence"]
    for a, b in zip(ours, theirs):
        assert_same(a, b)


def test_a_list_of_texts_gives_a_list_of_results(pair):
    model, tok, pipe = pair
    texts = ["the movie is [MASK] .", "a [MASK] movie", "[MASK] helps [MASK] build useful systems"]
    ours = model.fill_mask_from_text(tok, texts, top_k=2)
    assert len(ours) == 3
    for text, res in zip(texts, ours):  # padding in the batch changes nothing
        want = pipe(text, top_k=2)
        if isinstance(want[0], dict):
            assert_same(res, want)
        else:
            for a, b in zip(res, want):
                assert_same(a, b)
    assert len(model.fill_mask_from_text(tok, ["a [MASK] movie"])) == 1  # a list of one stays a list


def test_errors_name_the_text_and_top_k(pair):
    model, tok, _ = pair
    with pytest.raises(ValueError, match=r"\[MASK\].*'a good movie'"):
        model.fill_mask_from_text(tok, ["a [MASK]", "a good movie"])
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match=f"top_k.*{bad!r}"):
            model.fill_mask_from_text(tok, "a [MASK]", top_k=bad)
