"""BERTTokenizerFast.save_pretrained / from_pretrained, round trips both ways with transformers."""

import json
import os

import pytest

from lucid.models import BERTTokenizerFast
from tokenizer_samples import HARD_TEXTS, PAIRS, SPECIALS, train_vocab

transformers = pytest.importorskip("transformers")

CASES = {
    "uncased": dict(lowercase=True, strip_accents=None, tokenize_chinese_chars=True, model_max_length=512),
    "cased": dict(lowercase=False, strip_accents=None, tokenize_chinese_chars=True, model_max_length=128),
    "cased-strip": dict(lowercase=False, strip_accents=True, tokenize_chinese_chars=False, model_max_length=64),
}
_VOCABS = {}


def _vocab(lowercase):
    if lowercase not in _VOCABS:
        _VOCABS[lowercase] = train_vocab(lowercase=lowercase)
    return _VOCABS[lowercase]


def _outputs(tok, hf=False):
    """Everything both tokenizers should agree on, through each one's own API."""
    a = [p[0] for p in PAIRS]
    b = [p[1] for p in PAIRS]
    if hf:
        single = tok(HARD_TEXTS, padding=True)
        pairs = tok(a, b, padding=True, truncation=True)  # model_max_length is the limit
        decoded = tok.batch_decode(single["input_ids"], skip_special_tokens=True)
        return ([single[k] for k in ("input_ids", "token_type_ids", "attention_mask")],
                [pairs[k] for k in ("input_ids", "token_type_ids", "attention_mask")], decoded,
                tok.model_max_length, tok.all_special_ids)
    single = tok.batch_encode_plus(HARD_TEXTS, truncation=False, return_tensor=False)
    pairs = tok.batch_encode_plus(a, b, return_tensor=False)
    decoded = tok.batch_decode(single["input_ids"])
    return ([single[k] for k in ("input_ids", "token_type_ids", "attention_mask")],
            [pairs[k] for k in ("input_ids", "token_type_ids", "attention_mask")], decoded,
            tok.model_max_length, tok.all_special_ids)


@pytest.mark.parametrize("case", sorted(CASES))
def test_lucid_save_loads_identically_in_lucid_and_transformers(tmp_path, case):
    opts = CASES[case]
    ours = BERTTokenizerFast(vocab=_vocab(opts["lowercase"]), **opts)
    paths = ours.save_pretrained(tmp_path / "tok")
    names = sorted(os.path.basename(p) for p in paths)
    assert names == ["special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt"]
    expected = _outputs(ours)

    again = BERTTokenizerFast.from_pretrained(tmp_path / "tok")
    assert again.get_vocab() == ours.get_vocab()
    assert (again.lowercase, again.strip_accents, again.tokenize_chinese_chars, again.model_max_length) == \
        (opts["lowercase"], opts["strip_accents"], opts["tokenize_chinese_chars"], opts["model_max_length"])
    assert _outputs(again) == expected

    hf = transformers.BertTokenizerFast.from_pretrained(str(tmp_path / "tok"))
    assert _outputs(hf, hf=True) == expected
    # and each file alone is enough for lucid
    for keep in ("vocab.txt", "tokenizer.json"):
        folder = tmp_path / f"only-{keep}"
        folder.mkdir()
        for name in ("tokenizer_config.json", keep):
            (folder / name).write_bytes((tmp_path / "tok" / name).read_bytes())
        assert _outputs(BERTTokenizerFast.from_pretrained(folder)) == expected


@pytest.mark.parametrize("case", sorted(CASES))
def test_transformers_save_loads_identically_in_lucid(tmp_path, case):
    opts = CASES[case]
    hf = transformers.BertTokenizerFast(vocab=dict(_vocab(opts["lowercase"])), do_lower_case=opts["lowercase"],
                                        strip_accents=opts["strip_accents"],
                                        tokenize_chinese_chars=opts["tokenize_chinese_chars"],
                                        model_max_length=opts["model_max_length"])
    hf.save_pretrained(str(tmp_path))
    assert not (tmp_path / "vocab.txt").exists()  # transformers 5 writes tokenizer.json only
    ours = BERTTokenizerFast.from_pretrained(tmp_path)
    assert _outputs(ours) == _outputs(hf, hf=True)
    assert ours.model_max_length == opts["model_max_length"]


def _write(folder, name, content):
    folder.mkdir(parents=True, exist_ok=True)
    data = content if isinstance(content, str) else json.dumps(content)
    (folder / name).write_text(data, encoding="utf-8")


def test_vocab_txt_alone_and_a_legacy_config(tmp_path):
    tokens = SPECIALS + ["the", "fox", "##es", "Fox", "café", "cafe", "!"]
    _write(tmp_path, "vocab.txt", "\n".join(tokens) + "\n")
    ours = BERTTokenizerFast.from_pretrained(tmp_path)
    hf = transformers.BertTokenizerFast.from_pretrained(str(tmp_path))
    texts = ["The Foxes!", "Café fox", "unknown words"]
    assert ours.batch_encode(texts) == hf(texts)["input_ids"]
    assert ours.tokenize("The Foxes!") == ["the", "fox", "##es", "!"]
    assert ours.model_max_length == 512  # BERT's when no config says otherwise
    # a transformers 4 style folder: cased, AddedToken dicts in special_tokens_map.json
    _write(tmp_path, "tokenizer_config.json", {"do_lower_case": False, "strip_accents": None,
                                                "model_max_length": 256, "tokenizer_class": "BertTokenizer"})
    _write(tmp_path, "special_tokens_map.json",
           {"cls_token": {"content": "[CLS]", "lstrip": False, "normalized": False}, "sep_token": "[SEP]",
            "unk_token": "[UNK]", "pad_token": "[PAD]", "mask_token": "[MASK]"})
    ours = BERTTokenizerFast.from_pretrained(tmp_path)
    hf = transformers.BertTokenizerFast.from_pretrained(str(tmp_path))
    assert ours.lowercase is False and ours.model_max_length == 256
    assert ours.batch_encode(texts) == hf(texts)["input_ids"]
    assert ours.tokenize("The Fox café") == ["[UNK]", "Fox", "café"]
    # a path to the vocabulary file itself works too
    assert BERTTokenizerFast.from_pretrained(tmp_path / "vocab.txt").tokenize("Fox") == ["Fox"]


def test_custom_special_tokens_from_the_map(tmp_path):
    tokens = ["<pad>", "<unk>", "<s>", "</s>", "<mask>", "the", "fox"]
    _write(tmp_path, "vocab.txt", "\n".join(tokens) + "\n")
    _write(tmp_path, "special_tokens_map.json", {"pad_token": "<pad>", "unk_token": "<unk>", "cls_token": "<s>",
                                                  "sep_token": "</s>", "mask_token": "<mask>"})
    ours = BERTTokenizerFast.from_pretrained(tmp_path)
    hf = transformers.BertTokenizerFast.from_pretrained(str(tmp_path))
    assert (ours.cls_token, ours.sep_token, ours.mask_token) == ("<s>", "</s>", "<mask>")
    texts = ["the <mask> fox", "a fox"]
    assert ours.batch_encode(texts, text_pairs=["fox"] * 2) == hf(texts, ["fox"] * 2)["input_ids"]
    assert ours.encode_pretraining_inputs("the <mask> zebra")["special_tokens_mask"] == [1, 0, 1, 1, 1]
    assert ours.all_special_ids == hf.all_special_ids
    # keyword arguments override the files
    assert BERTTokenizerFast.from_pretrained(tmp_path, lowercase=False).tokenize("The") == ["<unk>"]


def test_tokenizer_json_alone_keeps_its_normalizer(tmp_path):
    ours = BERTTokenizerFast(vocab=_vocab(False), lowercase=False, strip_accents=True, wordpieces_prefix="##",
                             max_input_chars_per_word=7, clean_text=False)
    ours.save_pretrained(tmp_path / "full")
    _write(tmp_path / "json", "tokenizer.json", (tmp_path / "full" / "tokenizer.json").read_text("utf-8"))
    loaded = BERTTokenizerFast.from_pretrained(tmp_path / "json")
    assert (loaded.lowercase, loaded.strip_accents, loaded.max_input_chars_per_word, loaded.clean_text) == \
        (False, True, 7, False)
    assert loaded.batch_encode(HARD_TEXTS) == ours.batch_encode(HARD_TEXTS)
    # lucid-only settings come back from tokenizer_config.json too
    full = BERTTokenizerFast.from_pretrained(tmp_path / "full")
    assert (full.max_input_chars_per_word, full.clean_text) == (7, False)
    assert BERTTokenizerFast.from_pretrained(tmp_path / "json" / "tokenizer.json").vocab_size == ours.vocab_size


def test_vocabulary_with_gaps_round_trips(tmp_path):
    vocab = {t: i for i, t in enumerate(SPECIALS)}
    vocab.update({"the": 7, "fox": 9, "dog": 12})  # ids 5, 6, 8, 10, 11 unused
    ours = BERTTokenizerFast(vocab=vocab)
    assert ours.vocab_size == 8 and ours.encode("the fox dog") == [2, 7, 9, 12, 3]
    ours.save_pretrained(tmp_path)
    from_txt = BERTTokenizerFast(vocab_file=tmp_path / "vocab.txt")
    assert from_txt.get_vocab() == vocab
    assert BERTTokenizerFast.from_pretrained(tmp_path).get_vocab() == vocab
    hf = transformers.BertTokenizerFast.from_pretrained(str(tmp_path))
    assert hf.encode("the fox dog") == [2, 7, 9, 12, 3]
    with pytest.raises(IndexError, match="token id 5 is not in the vocabulary"):
        ours.convert_ids_to_tokens([5])


def test_save_overwrites_and_creates_folders(tmp_path):
    target = tmp_path / "a" / "b"
    BERTTokenizerFast(vocab={t: i for i, t in enumerate(SPECIALS + ["old"])}).save_pretrained(target)
    BERTTokenizerFast(vocab={t: i for i, t in enumerate(SPECIALS + ["new"])}).save_pretrained(target)
    assert BERTTokenizerFast.from_pretrained(target).tokenize("old new") == ["[UNK]", "new"]
    assert sorted(os.listdir(target)) == ["special_tokens_map.json", "tokenizer.json", "tokenizer_config.json",
                                          "vocab.txt"]  # no temporary files left behind


def test_save_refuses_a_token_with_a_line_break(tmp_path):
    tok = BERTTokenizerFast(vocab={t: i for i, t in enumerate(SPECIALS + ["bad\ntoken"])})
    with pytest.raises(ValueError, match=r"'bad\\ntoken'"):
        tok.save_pretrained(tmp_path / "out")
    assert not (tmp_path / "out").exists()


# ---- errors ---------------------------------------------------------------------------------------
def test_missing_folder_and_missing_vocabulary(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        BERTTokenizerFast.from_pretrained(tmp_path / "nowhere")
    _write(tmp_path / "empty", "tokenizer_config.json", {"do_lower_case": True})
    with pytest.raises(FileNotFoundError, match="empty.*vocab.txt or tokenizer.json"):
        BERTTokenizerFast.from_pretrained(tmp_path / "empty")


def test_inconsistent_special_tokens(tmp_path):
    _write(tmp_path, "vocab.txt", "\n".join(SPECIALS + ["<s>", "the"]) + "\n")
    _write(tmp_path, "tokenizer_config.json", {"cls_token": "[CLS]"})
    _write(tmp_path, "special_tokens_map.json", {"cls_token": "<s>"})
    with pytest.raises(ValueError, match=r"cls_token.*'\[CLS\]'.*'<s>'"):
        BERTTokenizerFast.from_pretrained(tmp_path)
    _write(tmp_path, "special_tokens_map.json", {"mask_token": "<mask>"})
    with pytest.raises(ValueError, match="mask_token '<mask>'.*not in the vocabulary"):
        BERTTokenizerFast.from_pretrained(tmp_path)
    os.remove(tmp_path / "special_tokens_map.json")
    _write(tmp_path, "tokenizer_config.json",
           {"added_tokens_decoder": {"0": {"content": "[PAD]", "special": True}, "1": {"content": "[CLS]"}}})
    with pytest.raises(ValueError, match=r"'\[CLS\]'.*1.*2"):
        BERTTokenizerFast.from_pretrained(tmp_path)
    _write(tmp_path, "tokenizer_config.json", {"added_tokens_decoder": {"9": {"content": "<extra>"}}})
    with pytest.raises(ValueError, match="'<extra>'"):
        BERTTokenizerFast.from_pretrained(tmp_path)


def test_inconsistent_tokenizer_json(tmp_path):
    BERTTokenizerFast(vocab={t: i for i, t in enumerate(SPECIALS + ["<s>"])}).save_pretrained(tmp_path)
    _write(tmp_path, "tokenizer_config.json", {"cls_token": "<s>"})
    with pytest.raises(ValueError, match=r"cls_token.*'<s>'.*'\[CLS\]'"):
        BERTTokenizerFast.from_pretrained(tmp_path)
    data = json.loads((tmp_path / "tokenizer.json").read_text("utf-8"))
    data["model"]["type"] = "BPE"
    _write(tmp_path, "tokenizer.json", data)
    with pytest.raises(ValueError, match="'BPE'"):
        BERTTokenizerFast.from_pretrained(tmp_path)
    _write(tmp_path, "tokenizer.json", "{not json")
    with pytest.raises(ValueError, match="tokenizer.json"):
        BERTTokenizerFast.from_pretrained(tmp_path)
    with pytest.raises(ValueError, match="vocab"):
        BERTTokenizerFast.from_pretrained(tmp_path, vocab={"[PAD]": 0})
