"""BERTTokenizerFast against transformers.BertTokenizerFast built from the same vocabulary."""

import numpy as np
import pytest

import lucid
from lucid.models import BERTTokenizerFast
from tokenizer_samples import HARD_TEXTS, PAIRS, SPECIALS, TRAIN_CORPUS, train_vocab

KEYS = ("input_ids", "token_type_ids", "attention_mask", "special_tokens_mask")

transformers = pytest.importorskip("transformers")

# (lucid options, the vocabulary's normalizer options) for cased and uncased vocabularies.
CONFIGS = {
    "uncased": dict(lowercase=True, strip_accents=None, tokenize_chinese_chars=True),
    "cased": dict(lowercase=False, strip_accents=None, tokenize_chinese_chars=True),
    "cased-strip-accents": dict(lowercase=False, strip_accents=True, tokenize_chinese_chars=True),
    "uncased-keep-accents": dict(lowercase=True, strip_accents=False, tokenize_chinese_chars=True),
    "no-chinese-split": dict(lowercase=True, strip_accents=None, tokenize_chinese_chars=False),
}


def _pair(name):
    opts = CONFIGS[name]
    vocab = train_vocab(lowercase=opts["lowercase"], strip_accents=opts["strip_accents"],
                        handle_chinese_chars=opts["tokenize_chinese_chars"])
    ours = BERTTokenizerFast(vocab=vocab, **opts)
    theirs = transformers.BertTokenizerFast(vocab=dict(vocab), do_lower_case=opts["lowercase"],
                                            strip_accents=opts["strip_accents"],
                                            tokenize_chinese_chars=opts["tokenize_chinese_chars"],
                                            model_max_length=512)
    return ours, theirs


_CACHE = {}


@pytest.fixture(params=sorted(CONFIGS))
def pair(request):
    if request.param not in _CACHE:
        _CACHE[request.param] = _pair(request.param)
    return _CACHE[request.param]


@pytest.fixture
def uncased():
    if "uncased" not in _CACHE:
        _CACHE["uncased"] = _pair("uncased")
    return _CACHE["uncased"]


def _hf_special_mask(hf, rows):
    return [hf.get_special_tokens_mask(r, already_has_special_tokens=True) for r in rows]


# ---- parity with transformers ---------------------------------------------------------------------
def test_tokenize_and_encode_each_text(pair):
    ours, hf = pair
    for text in HARD_TEXTS:
        assert ours.tokenize(text) == hf.tokenize(text), repr(text)
        assert ours.encode(text) == hf.encode(text), repr(text)
        assert ours(text) == hf(text)["input_ids"], repr(text)
        assert ours.encode(text, add_special_tokens=False) == hf.encode(text, add_special_tokens=False)


def test_batch_encode_padded_matches(pair):
    ours, hf = pair
    enc = ours.batch_encode_plus(HARD_TEXTS, truncation=False, return_tensor=False)
    ref = hf(HARD_TEXTS, padding=True)
    assert enc["input_ids"] == ref["input_ids"]
    assert enc["token_type_ids"] == ref["token_type_ids"]
    assert enc["attention_mask"] == ref["attention_mask"]
    assert enc["special_tokens_mask"] == _hf_special_mask(hf, ref["input_ids"])


def test_batch_encode_unpadded_matches(pair):
    ours, hf = pair
    enc = ours.batch_encode_plus(HARD_TEXTS, padding=False, truncation=False, return_tensor=False)
    ref = hf(HARD_TEXTS)
    for key in ("input_ids", "token_type_ids", "attention_mask"):
        assert enc[key] == ref[key], key
    assert enc["special_tokens_mask"] == _hf_special_mask(hf, ref["input_ids"])


@pytest.mark.parametrize("max_length", [3, 4, 5, 8, 13, 40])
def test_pairs_truncate_longest_first_like_transformers(uncased, max_length):
    ours, hf = uncased
    a = [p[0] for p in PAIRS]
    b = [p[1] for p in PAIRS]
    for padding in (False, True, "max_length"):
        enc = ours.batch_encode_plus(a, b, padding=padding, max_length=max_length, return_tensor=False)
        ref = hf(a, b, padding=padding, truncation=True, max_length=max_length)
        for key in ("input_ids", "token_type_ids", "attention_mask"):
            assert enc[key] == ref[key], (key, padding)
        assert enc["special_tokens_mask"] == _hf_special_mask(hf, ref["input_ids"])
        assert max(len(r) for r in enc["input_ids"]) <= max_length


def test_pairs_match_each_config(pair):
    ours, hf = pair
    a = [p[0] for p in PAIRS]
    b = [p[1] for p in PAIRS]
    enc = ours.batch_encode_plus(a, b, padding="longest", max_length=24, return_tensor=False)
    ref = hf(a, b, padding="longest", truncation=True, max_length=24)
    for key in ("input_ids", "token_type_ids", "attention_mask"):
        assert enc[key] == ref[key], key
    for x, y in PAIRS:
        assert ours.encode(x, text_b=y) == hf.encode(x, y)
        plus = ours.encode_plus(x, y)
        ref_plus = hf(x, y)
        assert plus == {k: ref_plus[k] for k in ("input_ids", "token_type_ids", "attention_mask")}


def test_single_texts_truncate_and_pad_to_max_length(uncased):
    ours, hf = uncased
    for max_length in (2, 3, 7, 64):
        enc = ours.batch_encode_plus(HARD_TEXTS, padding="max_length", max_length=max_length, return_tensor=False)
        ref = hf(HARD_TEXTS, padding="max_length", truncation=True, max_length=max_length)
        assert enc["input_ids"] == ref["input_ids"]
        assert enc["attention_mask"] == ref["attention_mask"]
    # padding="max_length" without truncation leaves longer rows long, as transformers does
    enc = ours.batch_encode(HARD_TEXTS, padding="max_length", max_length=6)
    assert enc == hf(HARD_TEXTS, padding="max_length", max_length=6)["input_ids"]


def test_truncation_defaults_to_model_max_length(uncased):
    ours, hf = uncased
    long_text = "the quick brown fox " * 200  # 800 words, far over 512 tokens
    enc = ours.batch_encode_plus([long_text, "short"], ["and a pair", "b"], return_tensor=False)
    ref = hf([long_text, "short"], ["and a pair", "b"], padding=True, truncation=True)
    assert len(enc["input_ids"][0]) == 512 == ours.model_max_length
    assert enc["input_ids"] == ref["input_ids"]
    assert enc["token_type_ids"] == ref["token_type_ids"]
    assert len(ours.encode(long_text, truncation=True)) == 512
    assert len(ours.encode(long_text)) > 512  # no truncation unless asked
    short = BERTTokenizerFast(vocab=ours.get_vocab(), model_max_length=10)
    assert len(short.batch_encode(long_text, truncation=True)[0]) == 10


def test_pretraining_inputs_mark_every_special_token(pair):
    ours, hf = pair
    for text_a, text_b in PAIRS + [("[MASK] fox [UNK] zzz😀", None), ("", None)]:
        enc = ours.encode_pretraining_inputs(text_a, text_b)
        ref = hf(text_a, text_b)
        assert enc["input_ids"] == ref["input_ids"]
        assert enc["token_type_ids"] == ref["token_type_ids"]
        assert enc["attention_mask"] == ref["attention_mask"]
        assert enc["special_tokens_mask"] == hf.get_special_tokens_mask(ref["input_ids"],
                                                                        already_has_special_tokens=True)
    enc = ours.encode_pretraining_inputs("[MASK] [UNK] [PAD] fox")
    # [CLS] [MASK] [UNK] [PAD] fox [SEP]: written special tokens stay single tokens and are all marked
    assert enc["special_tokens_mask"] == [1, 1, 1, 1, 0, 1]


def test_decode_matches_transformers(pair):
    ours, hf = pair
    for text in HARD_TEXTS + [a + " " + b for a, b in PAIRS]:
        ids = hf.encode(text)
        for skip in (True, False):
            assert ours.decode(ids, skip_special_tokens=skip) == hf.decode(ids, skip_special_tokens=skip)
    rows = hf(HARD_TEXTS, padding=True)["input_ids"]
    assert ours.batch_decode(rows) == hf.batch_decode(rows, skip_special_tokens=True)
    assert ours.batch_decode(rows, skip_special_tokens=False) == hf.batch_decode(rows)


def test_vocabulary_views_match(pair):
    ours, hf = pair
    assert ours.vocab_size == hf.vocab_size == len(ours)
    assert ours.get_vocab() == hf.get_vocab()
    assert ours.all_special_tokens == hf.all_special_tokens
    assert ours.all_special_ids == hf.all_special_ids
    tokens = ours.tokenize("Café déjà vu, the fox! 北京 zzzz")
    assert ours.convert_tokens_to_ids(tokens) == hf.convert_tokens_to_ids(tokens)
    assert ours.convert_tokens_to_ids("[MASK]") == hf.convert_tokens_to_ids("[MASK]")
    assert ours.convert_tokens_to_ids("definitely-not-a-token") == hf.unk_token_id
    ids = ours.convert_tokens_to_ids(tokens)
    assert ours.convert_ids_to_tokens(ids) == hf.convert_ids_to_tokens(ids)
    assert ours.convert_ids_to_tokens(ids[0]) == hf.convert_ids_to_tokens(ids[0])
    assert ours.convert_tokens_to_string(tokens) == hf.convert_tokens_to_string(tokens)
    for name in ("pad_token_id", "unk_token_id", "cls_token_id", "sep_token_id", "mask_token_id"):
        assert getattr(ours, name) == getattr(hf, name)
    # transformers 5 dropped build_inputs_with_special_tokens; BERT's layout with its ids is the reference
    a, b = ids[:3], ids[3:5]
    assert ours.build_inputs_with_special_tokens(a) == [hf.cls_token_id, *a, hf.sep_token_id]
    assert ours.build_inputs_with_special_tokens(a, b) == [hf.cls_token_id, *a, hf.sep_token_id, *b,
                                                           hf.sep_token_id]


def test_trained_vocab_parity_on_larger_vocab():
    # a bigger vocabulary so most words are whole tokens, not pieces or [UNK]
    vocab = train_vocab(vocab_size=2000, corpus=TRAIN_CORPUS + HARD_TEXTS)
    ours = BERTTokenizerFast(vocab=vocab)
    hf = transformers.BertTokenizerFast(vocab=dict(vocab))
    assert ours.batch_encode(HARD_TEXTS) == hf(HARD_TEXTS)["input_ids"]
    assert ours.tokenize("the quick brown fox") == ["the", "quick", "brown", "fox"]


# ---- decode round trips ---------------------------------------------------------------------------
def test_decode_round_trip_of_vocabulary_words(uncased):
    ours, _ = uncased
    text = "the quick brown fox jumps over the lazy dog. machine learning helps us, does it? yes!"
    assert ours.decode(ours.encode(text)) == text
    assert ours.decode(ours.encode(text, add_special_tokens=False)) == text
    assert ours.decode(ours.encode(text, return_tensor=True)) == text
    batch = ours.batch_encode([text, "the dog"], padding=True, return_tensor=True)
    assert ours.batch_decode(batch) == [text, "the dog"]


def test_decode_normalizes_like_the_tokenizer(uncased):
    ours, _ = uncased
    # uncased: lowercase, accents stripped, CJK split, control characters dropped
    assert ours.decode(ours.encode("The FOX\x00 jumps")) == "the fox jumps"
    assert ours.decode(ours.encode("Café")) == "cafe"
    assert ours.decode(ours.encode("北京")) == "北 京"


# ---- return types ---------------------------------------------------------------------------------
def test_tensor_outputs(uncased):
    ours, hf = uncased
    ids = ours.encode("the quick fox", return_tensor=True)
    assert isinstance(ids, lucid.Tensor) and ids.shape == (5,) and ids.dtype == np.int64 and ids.device == "cpu"
    assert ids.tolist() == hf.encode("the quick fox")
    plus = ours.encode_plus("the fox", "a dog", return_tensor=True)
    assert set(plus) == {"input_ids", "token_type_ids", "attention_mask"}
    assert all(v.shape == (1, len(hf("the fox", "a dog")["input_ids"])) for v in plus.values())
    assert plus["token_type_ids"].tolist() == [hf("the fox", "a dog")["token_type_ids"]]
    pre = ours.encode_pretraining_inputs("the [MASK] fox", return_tensor=True)
    assert pre["special_tokens_mask"].tolist() == [[1, 0, 1, 0, 1]]
    batch = ours.batch_encode_plus(["the fox", "a"], ["dog", "the lazy dog"], truncation=False)
    ref = hf(["the fox", "a"], ["dog", "the lazy dog"], padding=True)
    for key in ("input_ids", "token_type_ids", "attention_mask"):
        assert batch[key].dtype == np.int64 and batch[key].tolist() == ref[key]
    assert batch["special_tokens_mask"].tolist() == _hf_special_mask(hf, ref["input_ids"])
    empty = ours.batch_encode_plus([])
    assert empty["input_ids"].shape == (0, 0) and sorted(empty) == sorted(KEYS)
    assert ours.batch_encode_plus([], return_tensor=False) == {k: [] for k in KEYS}
    assert ours.batch_encode([]) == [] and ours.batch_encode([], return_tensor=True).shape == (0, 0)


def test_batch_encode_takes_one_string_or_a_list(uncased):
    ours, hf = uncased
    one = ours.batch_encode_plus("the fox", "a dog", max_length=32)
    assert one["input_ids"].tolist() == [hf.encode("the fox", "a dog")]
    assert ours.batch_encode(("the fox",), text_pairs=["a dog"]) == [hf.encode("the fox", "a dog")]
    assert ours.batch_encode("the fox", text_pairs="a dog") == [hf.encode("the fox", "a dog")]
    # a list given to encode_plus / encode_pretraining_inputs is a padded batch
    batch = ours.encode_pretraining_inputs(["the fox", "a"], ["dog", "the lazy dog"], return_tensor=True)
    assert batch["input_ids"].tolist() == hf(["the fox", "a"], ["dog", "the lazy dog"], padding=True)["input_ids"]
    assert set(batch) == {"input_ids", "token_type_ids", "attention_mask", "special_tokens_mask"}


def test_pad_to_multiple_of(uncased):
    ours, hf = uncased
    enc = ours.batch_encode(["the fox", "a"], padding=True, pad_to_multiple_of=8)
    assert enc == hf(["the fox", "a"], padding=True, pad_to_multiple_of=8)["input_ids"]


def test_settings_do_not_leak_between_calls(uncased):
    ours, hf = uncased
    ours.batch_encode(["the fox"] * 3, padding="max_length", truncation=True, max_length=4)
    assert ours.encode("the quick brown fox jumps") == hf.encode("the quick brown fox jumps")
    assert ours.tokenize("the quick brown fox") == hf.tokenize("the quick brown fox")
    assert ours.batch_encode(["a", "the fox"]) == hf(["a", "the fox"])["input_ids"]


@pytest.mark.skipif(lucid.gpu_available(), reason="checks the CPU-only error")
def test_gpu_device_without_gpu_says_so(uncased):
    ours, _ = uncased
    with pytest.raises(RuntimeError, match="(?i)cupy|cuda"):
        ours.batch_encode(["the fox"], return_tensor=True, device="gpu")


def test_tensors_on_device(uncased, device):
    ours, hf = uncased
    enc = ours.batch_encode_plus(["the fox", "a"], device=device)
    assert enc["input_ids"].device == device
    assert enc["input_ids"].tolist() == hf(["the fox", "a"], padding=True)["input_ids"]
    assert ours.encode("the fox", return_tensor=True, device=device).device == device
    assert ours.decode(enc["input_ids"][0]) == "the fox"


# ---- training -------------------------------------------------------------------------------------
def test_train_from_iterator_puts_special_tokens_first():
    tok = BERTTokenizerFast.train_from_iterator(iter(TRAIN_CORPUS), vocab_size=300, min_frequency=1)
    assert tok.convert_ids_to_tokens([0, 1, 2, 3, 4]) == SPECIALS
    assert tok.pad_token_id == 0
    assert tok.vocab_size <= 300 and {"the", "fox", "##s", "."} <= set(tok.get_vocab())
    assert "The" not in tok.get_vocab()  # uncased by default
    hf = transformers.BertTokenizerFast(vocab=tok.get_vocab())
    assert tok.batch_encode(HARD_TEXTS) == hf(HARD_TEXTS)["input_ids"]


def test_fit_replaces_the_vocabulary_in_place():
    tok = BERTTokenizerFast(lowercase=False)
    assert tok.vocab_size == 5 and tok.tokenize("fox") == ["[UNK]"]
    out = tok.fit(TRAIN_CORPUS)
    assert out is tok and tok.lowercase is False
    assert 5 < tok.vocab_size <= 30522
    assert tok.tokenize("The fox") == ["The", "fox"]
    assert {"The", "the", "Café", "HELLO"} <= set(tok.get_vocab())
    # every character seen is kept, so a vocabulary smaller than the alphabet needs limit_alphabet
    assert BERTTokenizerFast().fit(TRAIN_CORPUS, vocab_size=100).vocab_size > 100
    # (characters and their "##" forms are always kept: 5 + 40 + at most 40 fit in 100)
    small = BERTTokenizerFast().fit(TRAIN_CORPUS, vocab_size=100, min_frequency=3, limit_alphabet=40)
    assert small.vocab_size <= 100 and small.convert_ids_to_tokens(0) == "[PAD]"
    singles = {t for t in small.get_vocab() if len(t) == 1}
    assert len(singles) == 40 and {"e", "t", "a", "o"} <= singles  # the most frequent characters stay


def test_training_errors():
    with pytest.raises(TypeError, match="texts\\[1\\].*int"):
        BERTTokenizerFast().fit(["ok", 3])
    with pytest.raises(ValueError, match="vocab_size.*3"):
        BERTTokenizerFast().fit(["ok"], vocab_size=3)
    with pytest.raises(ValueError, match="min_frequency.*-1"):
        BERTTokenizerFast.train_from_iterator(["ok"], min_frequency=-1)
    with pytest.raises(TypeError, match="NoneType"):
        BERTTokenizerFast().fit(None)
    with pytest.raises(ValueError, match="vocab"):
        BERTTokenizerFast.train_from_iterator(["ok"], vocab={"[PAD]": 0})


# ---- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [None, 3, b"bytes", ["a list"], 1.5])
def test_non_string_text_is_a_type_error(uncased, bad):
    ours, _ = uncased
    name = type(bad).__name__
    for call in (ours.encode, ours.tokenize, ours.__call__, ours.encode_pretraining_inputs):
        if isinstance(bad, list) and call in (ours.encode_pretraining_inputs, ours.__call__):
            continue  # a list is a batch there
        with pytest.raises(TypeError, match=name):
            call(bad)
    with pytest.raises(TypeError, match=name):
        ours.encode("fine", text_b=bad) if bad is not None else ours.encode(bad)


def test_batch_type_and_value_errors(uncased):
    ours, _ = uncased
    with pytest.raises(TypeError, match=r"texts\[1\] must be a str, got NoneType"):
        ours.batch_encode(["a", None])
    with pytest.raises(TypeError, match=r"text_pairs\[0\] must be a str, got int"):
        ours.batch_encode(["a"], text_pairs=[5])
    with pytest.raises(TypeError, match="got int"):
        ours.batch_encode(7)
    with pytest.raises(TypeError, match="text_pairs must be a str or None, got bool"):
        ours.batch_encode_plus(["a"], True)
    with pytest.raises(ValueError, match="2 texts but 1 text_pairs"):
        ours.batch_encode_plus(["a", "b"], ["c"])
    with pytest.raises(ValueError, match="padding.*'left'"):
        ours.batch_encode(["a"], padding="left")
    with pytest.raises(ValueError, match="truncation.*'only_second'"):
        ours.batch_encode(["a"], truncation="only_second")
    with pytest.raises(ValueError, match="max_length must be >= 1, got 0"):
        ours.batch_encode(["a"], truncation=True, max_length=0)
    with pytest.raises(ValueError, match="padding=True"):
        ours.batch_encode(["a", "the fox"], return_tensor=True)
    # Rust would silently leave such rows untruncated (longer than max_length)
    with pytest.raises(ValueError, match="max_length=2 cannot hold the 3 special tokens"):
        ours.batch_encode(["the fox"], text_pairs=["a dog"], truncation=True, max_length=2)
    with pytest.raises(ValueError, match="max_length=1 cannot hold the 2 special tokens"):
        ours.encode("the fox", truncation=True, max_length=1)
    assert ours.encode("the fox", add_special_tokens=False, truncation=True, max_length=1) == \
        ours.encode("the", add_special_tokens=False)
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        ours.batch_encode_plus(["a"], device="tpu")


def test_id_errors(uncased):
    ours, _ = uncased
    n = ours.vocab_size
    with pytest.raises(IndexError, match=str(n)):
        ours.decode([2, n])
    with pytest.raises(IndexError, match="-1"):
        ours.convert_ids_to_tokens(-1)
    with pytest.raises(TypeError, match="str"):
        ours.decode([2, "x"])
    with pytest.raises(TypeError, match="float"):
        ours.decode(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="batch_decode"):
        ours.decode(lucid.tensor([[2, 3]]))
    with pytest.raises(TypeError, match="int"):
        ours.convert_tokens_to_ids(5)
    assert ours.decode(np.array([2, 3])) == "" and ours.decode([]) == ""


def test_constructor_errors(tmp_path):
    vocab = {t: i for i, t in enumerate(SPECIALS + ["fox"])}
    with pytest.raises(ValueError, match=r"mask_token '\[MSK\]'"):
        BERTTokenizerFast(vocab=vocab, mask_token="[MSK]")
    no_unk = {t: i for i, t in enumerate(["[PAD]", "[CLS]", "[SEP]", "[MASK]", "fox"])}
    with pytest.raises(ValueError, match=r"unk_token '\[UNK\]'"):
        BERTTokenizerFast(vocab=no_unk)
    with pytest.raises(ValueError, match="both"):
        BERTTokenizerFast(vocab=vocab, vocab_file=tmp_path / "vocab.txt")
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        BERTTokenizerFast(vocab_file=tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="id 1 to both"):
        BERTTokenizerFast(vocab={**vocab, "dog": 1})
    with pytest.raises(TypeError, match="list"):
        BERTTokenizerFast(vocab=list(vocab))
    with pytest.raises(ValueError, match="max_input_chars_per_word must be >= 1, got 0"):
        BERTTokenizerFast(vocab=vocab, max_input_chars_per_word=0)
    with pytest.raises(TypeError, match="lowercase.*str"):
        BERTTokenizerFast(vocab=vocab, lowercase="yes")


def test_constructor_options_change_tokenization():
    vocab = {t: i for i, t in enumerate(SPECIALS + ["abc", "ab", "c", "##c", "@@c", "中", "文"])}
    assert BERTTokenizerFast(vocab=vocab).tokenize("abcc") == ["abc", "##c"]
    assert BERTTokenizerFast(vocab=vocab).tokenize("abc ab") == ["abc", "ab"]
    assert BERTTokenizerFast(vocab=vocab, max_input_chars_per_word=2).tokenize("abc ab") == ["[UNK]", "ab"]
    assert BERTTokenizerFast(vocab=vocab, wordpieces_prefix="@@").tokenize("abcc") == ["abc", "@@c"]
    assert BERTTokenizerFast(vocab=vocab).tokenize("中文") == ["中", "文"]
    assert BERTTokenizerFast(vocab=vocab, tokenize_chinese_chars=False).tokenize("中文") == ["[UNK]"]
    assert BERTTokenizerFast(vocab=vocab, clean_text=False).tokenize("ab\x00c") == ["[UNK]"]
    assert BERTTokenizerFast(vocab=vocab).tokenize("ab\x00c") == ["abc"]
    tok = BERTTokenizerFast(vocab=vocab, wordpieces_prefix="@@")
    assert tok.decode(tok.encode("abcc")) == "abcc"


@pytest.mark.parametrize("padding,max_length,multiple", [(True, None, None), ("max_length", 24, None),
                                                         (True, 24, 8), ("max_length", 32, 16), ("longest", 5, None)])
def test_tensor_padding_matches_transformers(uncased, padding, max_length, multiple):
    ours, hf = uncased
    a = [p[0] for p in PAIRS]
    b = [p[1] for p in PAIRS]
    for args in ((a,), (a, b)):
        enc = ours.batch_encode_plus(*args, padding=padding, max_length=max_length, pad_to_multiple_of=multiple)
        ref = hf(*args, padding=padding, truncation=True, max_length=max_length, pad_to_multiple_of=multiple,
                 return_tensors="np")
        for key in ("input_ids", "token_type_ids", "attention_mask"):
            assert enc[key].dtype == np.int64
            np.testing.assert_array_equal(enc[key].numpy(), ref[key], err_msg=key)
        assert enc["special_tokens_mask"].tolist() == _hf_special_mask(hf, ref["input_ids"].tolist())


def test_tensor_without_truncation_must_fit(uncased):
    ours, _ = uncased
    with pytest.raises(ValueError, match="max_length=20 for truncation is not a multiple of pad_to_multiple_of=16"):
        ours.batch_encode(["the fox"], padding=True, truncation=True, max_length=20, pad_to_multiple_of=16)
    with pytest.raises(ValueError, match="longer than max_length=4; pass truncation=True"):
        ours.batch_encode(["the quick brown fox jumps"], padding="max_length", max_length=4, return_tensor=True)
    same = ours.batch_encode(["the fox", "the dog"], return_tensor=True)  # equal lengths need no padding
    assert same.shape == (2, 4)


def test_training_is_deterministic():
    # `tokenizers`' trainer alone numbers pieces in hash-map order and so breaks ties differently per run
    # (tokenizer_samples.train_vocab shows it); lucid's fit must give one vocabulary every time
    corpus = TRAIN_CORPUS + HARD_TEXTS
    first = BERTTokenizerFast.train_from_iterator(corpus, vocab_size=250, min_frequency=1).get_vocab()
    for _ in range(4):
        assert BERTTokenizerFast.train_from_iterator(corpus, vocab_size=250, min_frequency=1).get_vocab() == first
    limited = [BERTTokenizerFast().fit(corpus, vocab_size=250, limit_alphabet=30).get_vocab() for _ in range(4)]
    assert all(v == limited[0] for v in limited)
    raw = [train_vocab(vocab_size=250, corpus=corpus) for _ in range(4)]
    assert all(len(v) == len(first) for v in raw)  # same size as the plain trainer's
