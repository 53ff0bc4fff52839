"""``BERTForSentenceEmbedding`` against the definition of sentence-transformers' pooling,
computed from ``transformers``' ``BertModel`` on the same folder."""

from __future__ import annotations

import json

import numpy as np
import pytest

import lucid
from lucid.models import BERTForSentenceEmbedding, BERTTokenizerFast

# these tests truncate on purpose (short max_length / max_seq_length)
pytestmark = pytest.mark.filterwarnings("ignore::lucid.data.TruncationWarning")

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "movie", "is", "excellent", "bad", "machine",
         "learning", "helps", "us", "build", "useful", "systems", ".", "a", "good", "film", "really"]
TEXTS = ["the movie is excellent .", "bad", "machine learning helps us build useful systems .", "a good film",
         "the film is really really really bad ."]
MAX_SEQ = 8


def st_folder(folder, pooling="mean", normalize=True, seed=0):
    """A sentence-transformers folder: a random BertModel, tokenizer, modules and pooling files."""
    torch.manual_seed(seed)
    cfg = transformers.BertConfig(vocab_size=len(WORDS), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                  intermediate_size=48, max_position_embeddings=40)
    transformers.BertModel(cfg).save_pretrained(folder)
    BERTTokenizerFast(vocab={w: i for i, w in enumerate(WORDS)}).save_pretrained(folder)
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
    if normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
        (folder / "2_Normalize").mkdir()
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({
        "word_embedding_dimension": 32, "pooling_mode_cls_token": pooling == "cls",
        "pooling_mode_mean_tokens": pooling == "mean", "pooling_mode_max_tokens": pooling == "max",
        "pooling_mode_mean_sqrt_len_tokens": False}))
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": MAX_SEQ, "do_lower_case": False}))
    return folder


def reference(folder, texts, pooling, normalize, max_length=MAX_SEQ):
    """The definition: pool transformers' last hidden state over the attention mask."""
    tok = transformers.BertTokenizerFast.from_pretrained(folder)
    model = transformers.BertModel.from_pretrained(folder).eval()
    enc = tok(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    with torch.no_grad():
        h = model(**enc).last_hidden_state
    m = enc["attention_mask"].unsqueeze(-1).float()
    if pooling == "mean":
        out = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
    elif pooling == "cls":
        out = h[:, 0]
    else:
        out = h.masked_fill(m == 0, -1e9).max(1).values
    return (torch.nn.functional.normalize(out, dim=-1) if normalize else out).numpy()


@pytest.mark.parametrize("pooling, normalize", [("mean", True), ("mean", False), ("cls", False), ("max", True)])
def test_encode_equals_the_definition(tmp_path, pooling, normalize):
    folder = st_folder(tmp_path, pooling, normalize)
    model = BERTForSentenceEmbedding.from_pretrained(folder)
    assert (model.pooling, model.normalize, model.max_seq_length) == (pooling, normalize, MAX_SEQ)
    tok = BERTTokenizerFast.from_pretrained(folder)
    got = model.encode_from_text(tok, TEXTS, batch_size=2).numpy()
    np.testing.assert_allclose(got, reference(folder, TEXTS, pooling, normalize), atol=2e-5)
    # batching and the length sort change nothing; one string is one row
    np.testing.assert_allclose(model.encode_from_text(tok, TEXTS, batch_size=32).numpy(), got, atol=1e-6)
    np.testing.assert_allclose(model.encode_from_text(tok, TEXTS[2]).numpy(), got[2:3], atol=1e-6)


def test_normalize_and_max_length_overrides(tmp_path):
    folder = st_folder(tmp_path, "mean", True)
    model, tok = BERTForSentenceEmbedding.from_pretrained(folder), BERTTokenizerFast.from_pretrained(folder)
    raw = model.encode_from_text(tok, TEXTS, normalize=False, max_length=32).numpy()
    np.testing.assert_allclose(raw, reference(folder, TEXTS, "mean", False, max_length=32), atol=2e-5)
    assert not np.allclose(raw, model.encode_from_text(tok, TEXTS, max_length=32).numpy())
    forced = BERTForSentenceEmbedding.from_pretrained(folder, pooling="cls", max_seq_length=32)
    np.testing.assert_allclose(forced.encode_from_text(tok, TEXTS).numpy(),
                               reference(folder, TEXTS, "cls", True, max_length=32), atol=2e-5)


def test_forward_is_differentiable_like_torch(tmp_path):
    folder = st_folder(tmp_path, "mean", True)
    model = BERTForSentenceEmbedding.from_pretrained(folder)
    ref = transformers.BertModel.from_pretrained(folder).eval()
    ids = [[2, 5, 6, 7, 8, 3], [2, 9, 3, 0, 0, 0]]
    mask = [[1] * 6, [1, 1, 1, 0, 0, 0]]
    emb = model(input_ids=lucid.tensor(ids), attention_mask=lucid.tensor(mask))
    (emb * lucid.tensor(np.arange(32, dtype=np.float32))).sum().backward()
    h = ref(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).last_hidden_state
    m = torch.tensor(mask).unsqueeze(-1).float()
    want = torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=-1)
    (want * torch.arange(32.0)).sum().backward()
    np.testing.assert_allclose(emb.detach().numpy(), want.detach().numpy(), atol=2e-5)
    np.testing.assert_allclose(model.bert.embeddings.word_embeddings.weight.grad,
                               ref.embeddings.word_embeddings.weight.grad.numpy(), atol=1e-5, rtol=1e-6)  # float32: gradients reach ~50


def test_similarity_is_the_cosine_matrix(tmp_path):
    folder = st_folder(tmp_path, "mean", False)
    model, tok = BERTForSentenceEmbedding.from_pretrained(folder), BERTTokenizerFast.from_pretrained(folder)
    a, b = model.encode_from_text(tok, TEXTS[:2]), model.encode_from_text(tok, TEXTS[2:])
    sim = model.similarity(a, b).numpy()
    an, bn = a.numpy(), b.numpy()
    want = (an / np.linalg.norm(an, axis=1, keepdims=True)) @ (bn / np.linalg.norm(bn, axis=1, keepdims=True)).T
    assert sim.shape == (2, 3)
    np.testing.assert_allclose(sim, want, atol=1e-6)
    assert model.similarity(an[0], an[0]).numpy() == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError, match="32 and 3"):
        model.similarity(a, np.ones((1, 3), dtype=np.float32))


def test_a_plain_bert_folder_means_mean_pooling(tmp_path):
    torch.manual_seed(1)
    cfg = transformers.BertConfig(vocab_size=len(WORDS), hidden_size=32, num_hidden_layers=1, num_attention_heads=4,
                                  intermediate_size=48, max_position_embeddings=40)
    transformers.BertModel(cfg).save_pretrained(tmp_path)
    BERTTokenizerFast(vocab={w: i for i, w in enumerate(WORDS)}).save_pretrained(tmp_path)
    model = BERTForSentenceEmbedding.from_pretrained(tmp_path)
    assert (model.pooling, model.normalize, model.max_seq_length) == ("mean", False, None)
    got = model.encode_from_text(BERTTokenizerFast.from_pretrained(tmp_path), TEXTS).numpy()
    np.testing.assert_allclose(got, reference(tmp_path, TEXTS, "mean", False, max_length=40), atol=2e-5)


def test_save_pretrained_writes_a_folder_both_read(tmp_path):
    model = BERTForSentenceEmbedding.from_pretrained(st_folder(tmp_path / "a", "max", True))
    model.save_pretrained(tmp_path / "b")
    again = BERTForSentenceEmbedding.from_pretrained(tmp_path / "b")
    assert (again.pooling, again.normalize, again.max_seq_length) == ("max", True, MAX_SEQ)
    tok = BERTTokenizerFast.from_pretrained(tmp_path / "a")
    tok.save_pretrained(tmp_path / "b")
    np.testing.assert_allclose(again.encode_from_text(tok, TEXTS).numpy(),
                               reference(tmp_path / "b", TEXTS, "max", True), atol=2e-5)


def test_unsupported_files_and_arguments_are_named(tmp_path):
    folder = st_folder(tmp_path, "mean", False)
    pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({**pooling, "pooling_mode_max_tokens": True}))
    with pytest.raises(ValueError, match=r"1_Pooling.*\['mean', 'max'\]"):
        BERTForSentenceEmbedding.from_pretrained(folder)
    modules = json.loads((folder / "modules.json").read_text())
    modules[1] = {"idx": 1, "name": "1", "path": "1_Dense", "type": "sentence_transformers.models.Dense"}
    (folder / "modules.json").write_text(json.dumps(modules))
    with pytest.raises(ValueError, match="'sentence_transformers.models.Dense'"):
        BERTForSentenceEmbedding.from_pretrained(folder)
    cfg = lucid.models.BERTConfig(vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                                  intermediate_size=16)
    with pytest.raises(ValueError, match="'sum'"):
        BERTForSentenceEmbedding(cfg, pooling="sum")
    model = BERTForSentenceEmbedding(cfg)
    tok = BERTTokenizerFast(vocab={w: i for i, w in enumerate(WORDS)})
    with pytest.raises(ValueError, match="batch_size.*0"):
        model.encode_from_text(tok, "a", batch_size=0)
    with pytest.raises(ValueError, match="normalize.*'yes'"):
        model.encode_from_text(tok, "a", normalize="yes")


def test_the_instance_form_loads_weights_into_a_built_model(tmp_path):
    folder = st_folder(tmp_path, "mean", True)
    built = BERTForSentenceEmbedding(lucid.models.BERTConfig.from_pretrained(folder), add_pooling_layer=True,
                                     normalize=True, max_seq_length=MAX_SEQ)
    assert built.from_pretrained(folder) is built
    got = built.eval().encode_from_text(BERTTokenizerFast.from_pretrained(folder), TEXTS).numpy()
    np.testing.assert_allclose(got, reference(folder, TEXTS, "mean", True), atol=2e-5)
