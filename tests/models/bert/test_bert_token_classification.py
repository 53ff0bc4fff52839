"""BERTForTokenClassification: per-position logits, the loss in every reduction against
NumPy float64, predictions and accuracy, word labels on each word's first piece, entity
grouping (B-/I- merging with character offsets), label names, errors, and the same results
on every device. Against transformers and its pipeline: tests/parity/."""

from __future__ import annotations

import numpy as np
import pytest
from family_references import cross_entropy, reduce

import lucid
from lucid.data import TruncationWarning
from lucid.models import BERTForTokenClassification, BERTTokenizerFast
from lucid.models.bert.token_classification import group_entities

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "ada", "love", "##lace", "lives", "in", "lon", "##don", ",",
         "the", "city", "."]


@pytest.fixture
def words_tok():
    return BERTTokenizerFast(vocab={w: i for i, w in enumerate(WORDS)})


def _batch():
    ids = np.array([[2, 5, 6, 7, 8, 3], [2, 10, 11, 3, 0, 0]])
    labels = np.array([[-100, 1, 2, -100, 0, -100], [-100, 3, 4, -100, -100, -100]])
    return dict(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor((ids > 0).astype(np.int64))), labels


@pytest.mark.parametrize("reduction", ["mean", "sum", None])
def test_loss_against_numpy(tiny, reduction):
    model = BERTForTokenClassification(tiny(), num_labels=5).eval()
    enc, labels = _batch()
    logits = model(**enc).numpy()
    assert logits.shape == (2, 6, 5)
    per, n = cross_entropy(logits.reshape(-1, 5), labels.reshape(-1))
    loss = model.get_loss(lucid.tensor(labels), **enc, reduction=reduction)
    np.testing.assert_allclose(loss.numpy(), reduce(per, n, reduction), rtol=1e-5, atol=1e-6)
    other = np.where(labels == -100, -1, labels)
    loss = model.get_loss(lucid.tensor(other), **enc, ignore_index=-1, reduction=reduction)
    np.testing.assert_allclose(loss.numpy(), reduce(per, n, reduction), rtol=1e-5, atol=1e-6)


def test_predictions_and_accuracy(tiny):
    model = BERTForTokenClassification(tiny(), num_labels=5).eval()
    enc, labels = _batch()
    pred = model.predict_token_labels(**enc).numpy()
    np.testing.assert_array_equal(pred, model(**enc).numpy().argmax(-1))
    target = np.where(labels != -100, pred, -100)
    target[0, 1] = (pred[0, 1] + 1) % 5  # one of five labelled positions wrong
    acc = model.get_accuracy(lucid.tensor(target), **enc)
    assert acc.shape == () and acc.dtype == np.float32 and acc.item() == pytest.approx(0.8)
    assert model.get_accuracy(lucid.tensor(np.full_like(labels, -100)), **enc).item() == 0.0


def test_word_labels_go_to_each_words_first_piece(tiny, words_tok):
    model = BERTForTokenClassification(tiny(vocab_size=len(WORDS)), num_labels=5).eval()
    text = "Ada Lovelace lives in London, the city."
    # words: ada lovelace lives in london , the city .  (9); pieces: love ##lace, lon ##don
    word_labels = [1, 2, 0, 0, 3, 0, 0, 0, 0]
    enc = words_tok.encode_plus(text, return_tensor=True)
    pieces = np.array([[-100, 1, 2, -100, 0, 0, 3, -100, 0, 0, 0, 0, -100]])
    assert enc["input_ids"].shape == pieces.shape
    want = model.get_loss(lucid.tensor(pieces), **enc).item()
    assert model.get_loss_from_text(words_tok, text, word_labels=word_labels).item() == pytest.approx(want)
    assert model.get_loss_from_text(words_tok, text, labels=lucid.tensor(pieces)).item() == pytest.approx(want)
    # a batch, and a pair whose second text's words follow the first's
    batch = model.get_loss_from_text(words_tok, [text, "the city ."], word_labels=[word_labels, [0, 3, 0]],
                                     reduction=None)
    assert batch.shape[0] == 2 * 13 and int((batch.numpy() != 0).sum()) == 12
    pair = model.get_loss_from_text(words_tok, "ada lives", "in london", word_labels=[1, 0, 0, 3], reduction=None)
    ids = words_tok.encode_plus("ada lives", "in london", return_tensor=True)
    want = model.get_loss(lucid.tensor([[-100, 1, 0, -100, 0, 3, -100, -100]]), **ids, reduction=None)
    np.testing.assert_allclose(pair.numpy(), want.numpy(), rtol=1e-6)
    # a word cut off by max_length drops its label
    with pytest.warns(TruncationWarning, match="longer than max_length=5 tokens"):
        cut = model.get_loss_from_text(words_tok, text, word_labels=word_labels, max_length=5, reduction=None)
    assert cut.shape == (5,) and int((cut.numpy() != 0).sum()) == 2  # ada, love(lace); lives is cut off


def test_word_label_errors(tiny, words_tok):
    model = BERTForTokenClassification(tiny(vocab_size=len(WORDS)), num_labels=5)
    with pytest.raises(ValueError, match="text 0 has 3 words but 2 word labels were given"):
        model.get_loss_from_text(words_tok, "ada lives .", word_labels=[0, 1])
    with pytest.raises(ValueError, match="one list of word labels per text"):
        model.get_loss_from_text(words_tok, ["ada", "lives"], word_labels=[[0]])
    with pytest.raises(ValueError, match="exactly one of labels"):
        model.get_loss_from_text(words_tok, "ada")
    with pytest.raises(ValueError, match="exactly one of labels"):
        model.get_loss_from_text(words_tok, "ada", labels=[[0, 0, 0]], word_labels=[0])
    with pytest.raises(ValueError, match=r"labels must be in \[0, 5\) or -100 \(ignore_index\), got 9"):
        model.get_loss_from_text(words_tok, "ada lives", word_labels=[9, 0])


def test_group_entities_merges_like_the_pipeline():
    text = "Ada Lovelace met Charles Babbage in London yesterday"
    offsets = [(0, 3), (4, 8), (8, 12), (13, 16), (17, 24), (25, 32), (33, 35), (36, 42), (43, 52)]
    labels = ["B-PER", "I-PER", "I-PER", "O", "B-PER", "B-PER", "O", "LOC", "I-LOC"]
    scores = [0.9, 0.8, 0.7, 0.99, 0.6, 0.5, 0.9, 0.4, 0.2]
    got = group_entities(text, labels, scores, offsets)
    assert [(g["entity"], g["label"], g["start"], g["end"]) for g in got] == [
        ("Ada Lovelace", "PER", 0, 12), ("Charles", "PER", 17, 24), ("Babbage", "PER", 25, 32),
        ("London yesterday", "LOC", 36, 52)]  # B- starts a group; a bare label continues like I-
    assert got[0]["score"] == pytest.approx(0.8) and got[3]["score"] == pytest.approx(0.3)
    assert group_entities("x y", ["I-O", "O"], [1.0, 1.0], [(0, 1), (2, 3)]) == []  # "O" groups are dropped


def test_predict_entities_from_text(tiny, words_tok, monkeypatch):
    model = BERTForTokenClassification(tiny(vocab_size=len(WORDS)), num_labels=5)
    model.config.id2label = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"}
    texts = ["Ada Lovelace lives in London.", "the CITY"]
    # [CLS] ada love ##lace lives in lon ##don . [SEP] / [CLS] the city [SEP] (padded to 10)
    tags = np.array([[0, 1, 2, 2, 0, 0, 3, 4, 0, 1], [1, 0, 3, 3, 0, 0, 0, 0, 0, 0]])
    logits = np.random.default_rng(0).standard_normal((2, 10, 5)).astype(np.float32)
    np.put_along_axis(logits, tags[..., None], 4.0, axis=-1)
    seen = []

    def forward(input_ids=None, attention_mask=None, token_type_ids=None, **_):
        seen.append(input_ids.numpy())
        return lucid.tensor(logits[:input_ids.shape[0], :input_ids.shape[1]])

    monkeypatch.setattr(model, "forward", forward)
    found = model.predict_entities_from_text(words_tok, texts)
    np.testing.assert_array_equal(seen[0][0], [2, 5, 6, 7, 8, 9, 10, 11, 15, 3])
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    assert [[(f["entity"], f["label"], f["start"], f["end"]) for f in row] for row in found] == [
        [("Ada Lovelace", "PER", 0, 12), ("London", "LOC", 22, 28)],
        [("CITY", "LOC", 4, 8)]]  # [CLS] and [SEP] never count (row 2 tags them B-PER and B-LOC)
    assert found[0][0]["score"] == pytest.approx(np.mean([p[0, 1, 1], p[0, 2, 2], p[0, 3, 2]]), rel=1e-6)
    assert found[1][0]["score"] == pytest.approx(p[1, 2, 3], rel=1e-6)
    single = model.predict_entities_from_text(words_tok, texts[0])
    assert [f["entity"] for f in single] == ["Ada Lovelace", "London"]  # one text: one list
    with pytest.raises(ValueError, match=r"aggregation must be one of \['simple', 'first', 'average', 'max'\], "
                                         r"got 'none'"):
        model.predict_entities_from_text(words_tok, "ada", aggregation="none")
    # word strategies: love ##lace and lon ##don are one word each
    first = model.predict_entities_from_text(words_tok, texts[0], aggregation="first")
    assert [(f["entity"], f["label"]) for f in first] == [("Ada Lovelace", "PER"), ("London", "LOC")]
    assert first[0]["score"] == pytest.approx(np.mean([p[0, 1, 1], p[0, 2, 2]]), rel=1e-6)  # ada, lovelace
    average = model.predict_entities_from_text(words_tok, texts[0], aggregation="average")
    assert average[1]["score"] == pytest.approx(np.mean([p[0, 6], p[0, 7]], axis=0).max(), rel=1e-6)


def test_entities_without_label_names(tiny, words_tok, monkeypatch):
    model = BERTForTokenClassification(tiny(vocab_size=len(WORDS)), num_labels=2)
    logits = np.zeros((1, 4, 2), dtype=np.float32)
    logits[0, 1, 1] = 3.0
    monkeypatch.setattr(model, "forward", lambda **_: lucid.tensor(logits))
    found = model.predict_entities_from_text(words_tok, "ada lives")
    assert [(f["entity"], f["label"]) for f in found] == [("ada", "LABEL_1"), ("lives", "LABEL_0")]


def test_label_names_and_counts_from_a_folder(tiny, tmp_path):
    model = BERTForTokenClassification(tiny(), num_labels=3)
    model.config.id2label = {0: "O", 1: "B-X", 2: "I-X"}
    model.save_pretrained(tmp_path)
    again = BERTForTokenClassification.from_pretrained(tmp_path)
    assert again.num_labels == 3 and again.config.id2label[2] == "I-X"
    plain = BERTForTokenClassification(tiny(), num_labels=4)
    plain.save_pretrained(tmp_path / "plain")
    assert BERTForTokenClassification.from_pretrained(tmp_path / "plain").num_labels == 4
    with pytest.raises(ValueError, match="num_labels must be an int >= 1, got 0"):
        BERTForTokenClassification(tiny(), num_labels=0)


def test_label_errors(tiny):
    model = BERTForTokenClassification(tiny(), num_labels=5)
    enc, labels = _batch()
    with pytest.raises(ValueError, match=r"labels of shape \(2, 5\) do not match the input's shape \(2, 6\)"):
        model.get_loss(lucid.tensor(labels[:, :5]), **enc)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 5\) or -100 \(ignore_index\), got 5"):
        model.get_loss(lucid.tensor(np.where(labels == 4, 5, labels)), **enc)
    with pytest.raises(TypeError, match="labels must be integer ids"):
        model.get_loss(lucid.tensor(labels.astype(np.float32)), **enc)


def test_same_results_on_every_device(model_pair, device):
    cpu, model = model_pair(BERTForTokenClassification, num_labels=5)
    enc, labels = _batch()
    enc_d = {k: v.to(device) for k, v in enc.items()}
    np.testing.assert_allclose(model(**enc_d).numpy(), cpu(**enc).numpy(), atol=1e-5)
    loss = model.get_loss(lucid.tensor(labels, device=device), **enc_d)
    assert loss.item() == pytest.approx(cpu.get_loss(lucid.tensor(labels), **enc).item(), abs=1e-5)
    loss.backward()
    per = model.get_loss(lucid.tensor(labels, device=device), **enc_d, reduction=None)
    assert per.device == device and per.shape == (12,)
    np.testing.assert_array_equal(model.predict_token_labels(**enc_d).numpy(), cpu.predict_token_labels(**enc).numpy())


def test_long_texts_are_cut_with_a_warning(tiny, words_tok):
    model = BERTForTokenClassification(tiny(vocab_size=len(WORDS)), num_labels=2)
    text = "ada lives in london , the city ."
    with pytest.warns(TruncationWarning, match="the text was longer than max_length=6 tokens"):
        found = model.predict_entities_from_text(words_tok, text, max_length=6)
    assert all(f["end"] <= len("ada lives in lon") for f in found)  # only the first 4 pieces were read
