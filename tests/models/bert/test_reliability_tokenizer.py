"""Reliability of the tokenizer: non-str input and None raise TypeError naming the argument and
the type; empty and whitespace-only strings and very long texts (with truncation) behave as
transformers' BertTokenizerFast does and flow into the model; random Unicode through the
tokenizer and a tiny model never crashes."""

import string

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lucid
from lucid.models import BERTConfig, BERTForMaskedLM, BERTForSequenceClassification, BERTTokenizerFast

transformers = pytest.importorskip("transformers")

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = ["the", "quick", "brown", "fox", "jump", "over", "lazy", "dog", "run", "##s", "##ed", "##ing", "un", "."]
_TOKENS = dict.fromkeys(SPECIALS + WORDS + list(string.ascii_lowercase) + ["##" + c for c in string.ascii_lowercase]
                        + list("!?,;:'"))
VOCAB = {t: i for i, t in enumerate(_TOKENS)}  # ids 0..n-1 without gaps
LONG_TEXT = " ".join(["The quick brown fox jumps over the lazy dogs, unjumped!"] * 2000)  # ~22k tokens


@pytest.fixture(scope="module")
def toks():
    return BERTTokenizerFast(vocab=VOCAB), transformers.BertTokenizerFast(vocab=dict(VOCAB), do_lower_case=True)


@pytest.fixture(scope="module")
def model_cfg():
    return BERTConfig(vocab_size=len(VOCAB), hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                      intermediate_size=16, max_position_embeddings=24, mask_token_id=4, cls_token_id=2,
                      sep_token_id=3, pad_token_id=0)


# ---- non-str input and None -------------------------------------------------------------------
BAD = [None, 5, 3.5, b"bytes", ["nested", ["list"]], {"a": 1}, lucid.tensor([1, 2])]


@pytest.mark.parametrize("bad", BAD, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("method", ["encode", "__call__", "tokenize"])
def test_non_str_text_raises_type_error(toks, method, bad):
    # the tokenizer called on a list encodes a batch: the message names the item
    what = r"texts\[1\]" if method == "__call__" and isinstance(bad, list) else "text"
    with pytest.raises(TypeError, match=rf"{what} must be a str, got {type(bad).__name__}"):
        getattr(toks[0], method)(bad)


@pytest.mark.parametrize("bad", [None, 5, b"x", 2.0], ids=lambda v: type(v).__name__)
def test_non_str_in_every_entry_point(toks, bad):
    tok = toks[0]
    name = type(bad).__name__
    with pytest.raises(TypeError, match=rf"text_a must be a str, got {name}"):
        tok.encode_plus(bad)
    with pytest.raises(TypeError, match=rf"text_a must be a str, got {name}"):
        tok.encode_pretraining_inputs(bad)
    for batch_encode in (tok.batch_encode, tok.batch_encode_plus):
        with pytest.raises(TypeError, match=rf"texts must be a str or a list of str, got {name}"):
            batch_encode(bad)
        with pytest.raises(TypeError, match=rf"texts\[1\] must be a str, got {name}"):
            batch_encode(["fine", bad, "also fine"])
    with pytest.raises(TypeError, match=rf"texts\[0\] must be a str, got {name}"):
        tok.encode_plus([bad])
    if bad is not None:  # None is "no second text"
        with pytest.raises(TypeError, match=rf"text_b must be a str, got {name}"):
            tok.encode("fox", text_b=bad)
        with pytest.raises(TypeError, match=rf"text_b must be a str, got {name}"):
            tok.encode_plus("fox", bad)
    with pytest.raises(TypeError, match=rf"text_pairs\[0\] must be a str, got {name}"):
        tok.batch_encode_plus(["fox"], [bad])
    with pytest.raises(TypeError, match=rf"text_pairs\[0\] must be a str, got {name}"):
        tok.batch_encode(["fox"], text_pairs=[bad])


def test_bool_second_text_is_refused(toks):
    with pytest.raises(TypeError, match="text_b must be a str or None, got bool"):
        toks[0].encode_plus("fox", False)
    with pytest.raises(TypeError, match="text_b must be a str, got bool"):
        toks[0].encode("fox", text_b=False)


def test_non_ids_to_decode_raise_type_error(toks):
    tok = toks[0]
    with pytest.raises(TypeError, match="ids must be a list of int, a NumPy array or a Tensor, got NoneType"):
        tok.decode(None)
    with pytest.raises(TypeError, match=r"ids\[1\] must be an int, got str"):
        tok.decode([2, "fox"])
    with pytest.raises(TypeError, match="ids must hold integers, got dtype float"):
        tok.decode(np.array([1.5, 2.0]))
    with pytest.raises(IndexError, match=f"token id {len(VOCAB)} is out of range"):
        tok.decode([2, len(VOCAB)])


# ---- empty and whitespace-only strings --------------------------------------------------------
EMPTYISH = ["", " ", "   ", "\t", "\n\r\n", " \t \n ", "\u3000", "\u00a0\u2002\u2003", "\x00", "\u200b"]


@pytest.mark.parametrize("text", EMPTYISH, ids=repr)
def test_empty_and_whitespace_only_match_transformers(toks, text):
    ours, hf = toks
    assert ours.encode(text) == hf.encode(text)
    assert ours.tokenize(text) == hf.tokenize(text)
    assert ours.decode(ours.encode(text)) == hf.decode(hf.encode(text), skip_special_tokens=True)
    enc, want = ours.encode_plus(text, "fox"), hf(text, "fox")
    for key in ("input_ids", "token_type_ids", "attention_mask"):
        assert enc[key] == want[key], key


def test_empty_strings_only_carry_special_tokens(toks):
    tok, hf = toks
    assert tok.encode("") == [tok.cls_token_id, tok.sep_token_id]
    assert tok.encode("", add_special_tokens=False) == [] and tok.tokenize("   ") == []
    assert tok.decode(tok.encode(" \t\n")) == ""
    assert tok.encode("", text_b="") == hf.encode("", "")
    assert tok.encode("", text_b="fox") == hf.encode("", "fox") == [tok.cls_token_id, tok.sep_token_id, VOCAB["fox"],
                                                                    tok.sep_token_id]


def test_batch_of_empty_and_real_texts_pads_correctly(toks):
    ours, hf = toks
    texts = ["", "   ", "the fox runs", "\n"]
    enc = ours.batch_encode_plus(texts, truncation=False)
    want = hf(texts, padding=True, return_tensors="np")
    for key in ("input_ids", "token_type_ids", "attention_mask"):
        np.testing.assert_array_equal(enc[key].numpy(), want[key], err_msg=key)
    assert enc["attention_mask"].numpy().sum(axis=1).tolist() == [2, 2, 6, 2]


def test_model_helpers_take_empty_and_whitespace_texts(toks, model_cfg):
    tok = toks[0]
    clf = BERTForSequenceClassification(model_cfg, num_labels=2)
    assert clf.predict_labels_from_text(tok, ["", "   ", "\t\n"]).shape == (3,)
    assert np.isfinite(clf.get_loss_from_text(tok, ["", " "], labels=[0, 1]).item())
    mlm = BERTForMaskedLM(model_cfg)
    # nothing but [CLS] [SEP]: no position can be masked, so the loss is 0
    assert mlm.get_loss_from_text(tok, ["", "  "]).item() == 0.0
    assert mlm.predict_token_ids_from_text(tok, "").shape == (1, 2)


# ---- very long texts --------------------------------------------------------------------------
@pytest.mark.parametrize("max_length", [2, 3, 17, 512])
def test_very_long_text_truncates_like_transformers(toks, max_length):
    ours, hf = toks
    ids = ours.encode(LONG_TEXT, truncation=True, max_length=max_length)
    assert len(ids) == max_length and ids[0] == ours.cls_token_id and ids[-1] == ours.sep_token_id
    assert ids == hf.encode(LONG_TEXT, truncation=True, max_length=max_length)


def test_very_long_text_without_truncation_keeps_every_token(toks):
    ours, hf = toks
    ids = ours.encode(LONG_TEXT)
    assert len(ids) > 20000
    assert ids == hf.encode(LONG_TEXT)


@pytest.mark.parametrize("a_len, b_len", [(1200, 12), (12, 1200), (1000, 800), (800, 1000), (1200, 1200)])
def test_long_pairs_truncate_longest_first_like_transformers(toks, a_len, b_len):
    ours, hf = toks
    a, b = LONG_TEXT[:a_len], LONG_TEXT[7 : 7 + b_len]  # b starts mid-word: different pieces
    for max_length in (3, 4, 20, 21, 64):
        got = ours.encode_plus(a, b, truncation=True, max_length=max_length)
        want = hf(a, b, truncation="longest_first", max_length=max_length)
        assert got["input_ids"] == want["input_ids"] and got["token_type_ids"] == want["token_type_ids"], max_length
        assert len(got["input_ids"]) == max_length
    batch = ours.batch_encode([a, b, "fox"], padding=True, truncation=True, max_length=21, text_pairs=[b, a, "dog"])
    assert batch == hf([a, b, "fox"], [b, a, "dog"], padding=True, truncation=True,
                                    max_length=21)["input_ids"]


def test_two_very_long_texts_as_a_pair_stay_cheap(toks):
    # Rust's pair truncation combines every overflowing piece of one text with every piece of the
    # other (tokenizers#2035): two 22k-token texts need gigabytes that way; lucid cuts them first.
    # With both texts far over half the budget, the result only depends on their first tokens, so
    # transformers on prefixes a little longer than that (kept short: it pays the product) gives
    # the expected ids.
    ours, hf = toks
    b_text = LONG_TEXT.replace("fox", "dog")
    for max_length in (5, 20, 512):
        got = ours.encode_plus(LONG_TEXT, b_text, truncation=True, max_length=max_length)
        n = 6 * max_length + 60  # characters: > max_length tokens of each text
        want = hf(LONG_TEXT[:n], b_text[:n], truncation="longest_first", max_length=max_length)
        assert got["input_ids"] == want["input_ids"] and got["token_type_ids"] == want["token_type_ids"]
    enc = ours.batch_encode([LONG_TEXT] * 3, padding=True, truncation=True, max_length=32, return_tensor=True,
                            text_pairs=[b_text] * 3)
    assert enc.shape == (3, 32)


def test_very_long_word_becomes_unk(toks):
    ours, hf = toks
    word = "a" * 10000
    assert ours.encode(word) == hf.encode(word) == [ours.cls_token_id, ours.unk_token_id, ours.sep_token_id]


def test_batch_of_long_and_short_texts_truncates_and_pads(toks):
    ours, hf = toks
    texts = [LONG_TEXT, "fox", LONG_TEXT[:300]]
    enc = ours.batch_encode_plus(texts, max_length=16)
    assert enc["input_ids"].shape == (3, 16)
    want = hf(texts, padding=True, truncation=True, max_length=16, return_tensors="np")
    np.testing.assert_array_equal(enc["input_ids"].numpy(), want["input_ids"])
    np.testing.assert_array_equal(enc["attention_mask"].numpy(), want["attention_mask"])


# truncates on purpose; tests/data/test_data_truncation.py checks the warning it gives
@pytest.mark.filterwarnings("ignore::lucid.data.TruncationWarning")
def test_model_from_text_truncates_long_texts_to_its_positions(toks, model_cfg):
    tok = toks[0]
    clf = BERTForSequenceClassification(model_cfg, num_labels=2)
    assert clf.predict_proba_from_text(tok, [LONG_TEXT, "fox"]).shape == (2, 2)
    assert np.isfinite(BERTForMaskedLM(model_cfg).get_loss_from_text(tok, LONG_TEXT[:2000], LONG_TEXT).item())
    # the raw ids of a long text are refused by the forward, naming both lengths
    ids = tok.encode(LONG_TEXT[:200], return_tensor=True).reshape(1, -1)
    with pytest.raises(ValueError, match=rf"sequence length {ids.shape[1]} exceeds max_position_embeddings=24"):
        clf(input_ids=ids)


# ---- random Unicode through tokenizer and model -----------------------------------------------
_text = st.lists(st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), max_size=10),
                           st.sampled_from(WORDS + SPECIALS + [" ", "\t", "\u200b", "😀", "北京", "É"])),
                 max_size=15).map("".join)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(texts=st.lists(_text, min_size=1, max_size=3), max_length=st.integers(2, 24))
def test_random_unicode_through_tokenizer_and_model_never_crashes(toks, model_cfg, texts, max_length):
    tok = toks[0]
    enc = tok.batch_encode_plus(texts, max_length=max_length)
    ids = enc["input_ids"].numpy()
    assert ids.shape[0] == len(texts) and ids.shape[1] <= max_length
    assert ids.min() >= 0 and ids.max() < len(VOCAB)
    if ids.shape[1] >= 2:  # a max_length of 2 still holds [CLS] [SEP]
        assert (ids[:, 0] == tok.cls_token_id).all()
    logits = _tiny_model(model_cfg)(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
    assert np.isfinite(logits.numpy()).all()
    for text in texts:  # decoding is a fixed point after one round
        once = tok.decode(tok.encode(text))
        assert tok.decode(tok.encode(once)) == once


# Pairs of random texts, some repeated into long ones, against transformers' longest-first truncation
_piece = st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), max_size=6),
                   st.sampled_from(WORDS + ["[MASK]", " ", "İ", "ß", "ﬁ", "e\u0301", "北京", "😀", ".", "\u200b"]))
_long_text = st.tuples(st.lists(_piece, max_size=6).map(" ".join), st.integers(1, 40)).map(lambda t: t[0] * t[1])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(a=_long_text, b=_long_text, max_length=st.integers(3, 30))
def test_random_pair_truncation_matches_transformers(toks, a, b, max_length):
    ours, hf = toks
    got = ours.encode_plus(a, b, truncation=True, max_length=max_length)
    want = hf(a, b, truncation="longest_first", max_length=max_length)
    assert got["input_ids"] == want["input_ids"]
    assert got["token_type_ids"] == want["token_type_ids"]


_MODELS = {}


def _tiny_model(cfg):
    if "clf" not in _MODELS:
        lucid.random.seed(0)
        _MODELS["clf"] = BERTForSequenceClassification(cfg, num_labels=2).eval()
    return _MODELS["clf"]


# ---- text that is not valid Unicode -------------------------------------------------------------
def test_lone_surrogate_is_a_value_error_naming_the_text(toks):
    tok = toks[0]
    msg = r"is not valid Unicode: it holds the lone surrogate '\\ud800' at index 4"
    for call in (tok.encode, tok.tokenize, tok, tok.encode_plus, tok.encode_pretraining_inputs):
        with pytest.raises(ValueError, match=r"^text " + msg):
            call("fox \ud800")
    with pytest.raises(ValueError, match=r"^text_b " + msg):
        tok.encode("fox", text_b="fox \ud800")
    with pytest.raises(ValueError, match=r"^texts\[2\] " + msg):
        tok.batch_encode(["fox", "dog", "fox \ud800"], padding=True, return_tensor=True)
    with pytest.raises(ValueError, match=r"^text_pairs\[1\] " + msg):
        tok.batch_encode_plus(["fox", "dog"], ["dog", "fox \ud800"], max_length=8)  # through the truncation path
    with pytest.raises(ValueError, match=r"^texts\[0\] .*'\\udfff' at index 0"):
        tok(["\udfff"])
    assert tok.encode("fox \U0001F98A") == tok.encode("fox [UNK]")  # a real astral character is fine
