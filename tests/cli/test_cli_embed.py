"""``lucid-bert embed``, and the refusal of checkpoints without the head a subcommand needs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.numpy import save_file

import lucid
from lucid.models import BERTConfig, BERTForSentenceEmbedding, BERTTokenizerFast

# these tests truncate on purpose (short max_length / max_seq_length)
pytestmark = pytest.mark.filterwarnings("ignore::lucid.data.TruncationWarning")

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "movie", "is", "good", "bad", "a", "film"]
TEXTS = ["the movie is good", "a bad film", "good"]


@pytest.fixture
def st_folder(tmp_path):
    """A sentence-transformers folder (normalised max pooling) written by lucid, with a tokenizer."""
    lucid.random.seed(0)
    cfg = BERTConfig(vocab_size=len(WORDS), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=32, max_position_embeddings=16)
    model = BERTForSentenceEmbedding(cfg, pooling="max", normalize=True, max_seq_length=5)
    folder = tmp_path / "st"
    model.save_pretrained(folder)
    tok = BERTTokenizerFast(vocab={w: i for i, w in enumerate(WORDS)})
    tok.save_pretrained(folder)
    return folder, BERTForSentenceEmbedding.from_pretrained(folder), tok


def test_embed_prints_the_library_vectors(run, st_folder):
    folder, model, tok = st_folder
    want = model.encode_from_text(tok, TEXTS).numpy()
    status, out, _ = run(["embed", str(folder), *TEXTS])
    assert status == 0
    lines = out.strip().splitlines()
    assert [ln.split("\t")[0] for ln in lines] == TEXTS
    got = np.array([[float(x) for x in ln.split("\t")[1].split()] for ln in lines])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)  # the folder's Normalize


def test_embed_json_file_and_output(run, st_folder, tmp_path):
    folder, model, tok = st_folder
    texts_file = tmp_path / "texts.txt"
    texts_file.write_text("\n".join(TEXTS[1:]) + "\n")
    status, out, _ = run(["embed", str(folder), TEXTS[0], "--file", str(texts_file), "--json", "--normalize", "off"])
    assert status == 0
    rows = [json.loads(ln) for ln in out.strip().splitlines()]
    assert [r["text"] for r in rows] == TEXTS
    np.testing.assert_allclose([r["embedding"] for r in rows],
                               model.encode_from_text(tok, TEXTS, normalize=False).numpy(), atol=1e-6)
    npy = tmp_path / "out" / "vectors.npy"
    status, out, _ = run(["embed", str(folder), *TEXTS, "--output", str(npy), "--batch-size", "2"])
    assert status == 0 and "3 embeddings of size 16" in out
    np.testing.assert_allclose(np.load(npy), model.encode_from_text(tok, TEXTS).numpy(), atol=1e-6)


def test_embed_mistakes_are_one_line(run, one_line_error, st_folder, tmp_path):
    folder, _, _ = st_folder
    status, _, err = run(["embed", str(tmp_path / "missing"), "x"])
    one_line_error(status, err, "missing")
    status, _, err = run(["embed", str(folder)])
    one_line_error(status, err, "no texts")
    status, _, err = run(["embed", str(folder), "x", "--output", "v.txt"])
    one_line_error(status, err, "'v.txt'", ".npy")


def test_a_missing_backbone_is_refused_by_embed(run, one_line_error, st_folder, tmp_path):
    folder, _, tok = st_folder
    bare = tmp_path / "bare"
    BERTConfig.from_pretrained(folder).save_pretrained(bare)
    save_file({"classifier.weight": np.zeros((2, 16), np.float32)}, str(bare / "model.safetensors"))
    tok.save_pretrained(bare)
    status, _, err = run(["embed", str(bare), "good"])
    one_line_error(status, err, "bert.embeddings", "in all)", "fine-tune", "--allow-untrained-head")
    assert run(["embed", str(bare), "good", "--allow-untrained-head"])[0] == 0


@pytest.mark.parametrize("command, weight", [("classify", "classifier.weight"), ("fill-mask", "cls.predictions")])
def test_classify_and_fill_mask_refuse_a_checkpoint_without_their_head(run, one_line_error, st_folder, command,
                                                                       weight):
    folder, _, _ = st_folder  # a bare encoder: neither a classifier nor an MLM head
    status, out, err = run([command, str(folder), "a [MASK] film"])
    one_line_error(status, err, weight, "fine-tune", "--allow-untrained-head")
    assert out == ""
    status, out, _ = run([command, str(folder), "a [MASK] film", "--allow-untrained-head"])
    assert status == 0 and out
