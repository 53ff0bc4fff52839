"""read_weights(lazy=True) and from_pretrained's one-tensor-at-a-time loading: the handles read
what the eager path reads, files the handles cannot serve go the eager way (same values, same
errors), and loading holds far less than a second copy of the weights."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from lucid.models import BERT, BERTConfig
from lucid.models.bert.checkpoint import read_weights

# many tensors of similar size, so one tensor is small beside the model
CFG = BERTConfig(vocab_size=1000, hidden_size=64, num_hidden_layers=6, num_attention_heads=2, intermediate_size=256)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("lazy")
    BERT(CFG).save_pretrained(path)
    return path


def test_lazy_values_equal_the_eager_ones(folder):
    eager, lazy = read_weights(folder), read_weights(folder, lazy=True)
    assert sorted(eager) == sorted(lazy)
    for k, arr in eager.items():
        handle = lazy[k]
        assert not isinstance(handle, np.ndarray)  # nothing read yet
        assert handle.shape == arr.shape and handle.dtype == arr.dtype
        np.testing.assert_array_equal(np.asarray(handle), arr)
        assert np.asarray(handle, dtype=np.float64).dtype == np.float64


def test_bfloat16_files_are_read_eagerly_and_widened(tmp_path):
    save_file({"w": torch.tensor([[1.5, -2.25]], dtype=torch.bfloat16)}, str(tmp_path / "model.safetensors"))
    arr = read_weights(tmp_path, lazy=True)["w"]
    assert isinstance(arr, np.ndarray) and arr.dtype == np.float32
    assert arr.tolist() == [[1.5, -2.25]]


def test_a_corrupt_file_raises_what_the_eager_read_raises(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(ValueError, match="model.safetensors' is not a valid safetensors file"):
        read_weights(tmp_path, lazy=True)


def test_from_pretrained_holds_one_tensor_beside_the_parameters(folder):
    model_bytes = sum(p.data.nbytes for p in BERT(CFG).parameters())
    tracemalloc.start()
    try:
        model = BERT.from_pretrained(folder)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # measured: 1.27x model_bytes; reading the whole checkpoint first took 2.28x
    assert peak < 1.6 * model_bytes, (peak, model_bytes)
    eager = read_weights(folder)
    np.testing.assert_array_equal(model.embeddings.word_embeddings.weight.numpy(),
                                  eager["embeddings.word_embeddings.weight"])
