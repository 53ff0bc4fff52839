"""Property tests: random Unicode never crashes the tokenizer, ids equal transformers', decode is stable."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lucid.models import BERTTokenizerFast
from tokenizer_samples import HARD_TEXTS, train_vocab

transformers = pytest.importorskip("transformers")

_TOKS = {}


def _tokenizers(lowercase):
    """(lucid, transformers) on one learned vocabulary, plus a lucid one with short max words."""
    if lowercase not in _TOKS:
        vocab = train_vocab(lowercase=lowercase)
        _TOKS[lowercase] = (BERTTokenizerFast(vocab=vocab, lowercase=lowercase),
                            transformers.BertTokenizerFast(vocab=dict(vocab), do_lower_case=lowercase),
                            BERTTokenizerFast(vocab=vocab, lowercase=lowercase, max_input_chars_per_word=6))
    return _TOKS[lowercase]


# Any code point (surrogates excluded: they cannot be in a Python str sent to Rust), biased towards
# the kinds of text that stress BERT's normalizer: accents, CJK, controls, zero-width, emoji, spaces.
_interesting = st.sampled_from(list("aeiouAEIOU éÉçñß北京中文日本語한국\u200b\u200d\ufeff\x00\x07\t\n\r\u3000😀👍🏽#!?.,'[]")
                               + ["[MASK]", "[UNK]", "[CLS]", "the", "fox", "##"])
_text = st.lists(st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), max_size=8), _interesting),
                 max_size=12).map("".join)
_fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_fast
@given(text=_text, lowercase=st.booleans())
def test_random_text_matches_transformers(text, lowercase):
    ours, hf, _ = _tokenizers(lowercase)
    assert ours.encode(text) == hf.encode(text)
    assert ours.decode(hf.encode(text)) == hf.decode(hf.encode(text), skip_special_tokens=True)
    assert ours.encode_pretraining_inputs(text)["special_tokens_mask"] == \
        hf.get_special_tokens_mask(hf.encode(text), already_has_special_tokens=True)


@_fast
@given(text=_text, other=_text, lowercase=st.booleans(), max_length=st.integers(3, 20))
@pytest.mark.parametrize("which", [0, 2])
def test_random_text_never_crashes_and_decode_is_stable(which, text, other, lowercase, max_length):
    ours = _tokenizers(lowercase)[which]
    ids = ours.encode(text)
    assert ids[0] == ours.cls_token_id and ids[-1] == ours.sep_token_id
    once = ours.decode(ids)
    # decoding gives normalized text: encoding and decoding it again changes nothing more
    assert ours.decode(ours.encode(once)) == once
    enc = ours.batch_encode_plus([text, other], [other, text], max_length=max_length, return_tensor=False)
    width = len(enc["input_ids"][0])
    assert width <= max_length
    for key in ("token_type_ids", "attention_mask", "special_tokens_mask"):
        assert [len(r) for r in enc[key]] == [width, width]
    assert ours.tokenize(text) == ours.convert_ids_to_tokens(ours.encode(text, add_special_tokens=False))


def test_known_hard_texts_are_stable_under_decode():
    for lowercase in (True, False):
        ours = _tokenizers(lowercase)[0]
        for text in HARD_TEXTS:
            once = ours.decode(ours.encode(text))
            assert ours.decode(ours.encode(once)) == once, repr(text)
