"""What the task models share (lucid.models.bert._task): the ``*_from_text`` argument
checks, the device policy (the model's device by default; another one moves the model with a
warning; a missing GPU is a clear error) and truncation to the model's length."""

from __future__ import annotations

import copy
import re
import warnings

import numpy as np
import pytest

import lucid
from lucid.models import BERTForMaskedLM, BERTForSequenceClassification
from lucid.models.bert import _task


def test_from_text_argument_errors(tokenizer, tiny):
    model = BERTForSequenceClassification(tiny())
    with pytest.raises(ValueError, match="got 2 labels for a batch of 3"):
        model.get_loss_from_text(tokenizer, ["a", "b", "c"], labels=[0, 1])
    with pytest.raises(ValueError, match="text_b must be a list of 2 strings"):
        model.predict_labels_from_text(tokenizer, ["a", "b"], text_b=["a"])
    with pytest.raises(ValueError, match="text_b must be one string"):
        model.predict_labels_from_text(tokenizer, "a", text_b=["a"])
    with pytest.raises(TypeError, match="text_a"):
        model.predict_labels_from_text(tokenizer, 5)
    with pytest.raises(ValueError, match="empty"):
        model.predict_labels_from_text(tokenizer, [])
    with pytest.raises(ValueError, match="'tpu'"):
        model.predict_labels_from_text(tokenizer, "a", device="tpu")


@pytest.mark.skipif(lucid.gpu_available(), reason="checks the error on a machine without a GPU")
def test_gpu_device_without_gpu_is_a_clear_error(tokenizer, tiny):
    for model, call in ((BERTForMaskedLM(tiny()), "get_loss_from_text"),
                        (BERTForSequenceClassification(tiny()), "predict_labels_from_text")):
        with pytest.raises(RuntimeError, match="CuPy|CUDA"):
            getattr(model, call)(tokenizer=tokenizer, text_a="the movie", device="gpu")
    # on the model's own device it runs
    assert BERTForSequenceClassification(tiny()).predict_labels_from_text(tokenizer, "a", device="cpu").shape == (1,)


def test_device_other_than_the_models_moves_the_model_with_a_warning(tokenizer, monkeypatch, tiny):
    model = BERTForSequenceClassification(tiny())
    moved = []
    monkeypatch.setattr(_task._backend, "get_xp", lambda device: np)  # pretend a GPU exists
    monkeypatch.setattr(model, "to", lambda device: moved.append(device), raising=False)
    with pytest.raises(RuntimeError):  # the (pretend) move did nothing; encoding on "gpu" needs CuPy
        with pytest.warns(UserWarning, match="device='gpu'.*model is on 'cpu'.*moving the model") as rec:
            model.predict_labels_from_text(tokenizer, "a", device="gpu")
    assert moved == ["gpu"]
    assert rec[0].filename == __file__  # the warning points at the caller's line
    # the model's own device: no warning, no move
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        BERTForSequenceClassification(tiny()).predict_labels_from_text(tokenizer, "a", device="cpu")


# truncates on purpose; tests/data/test_data_truncation.py checks the warning it gives
@pytest.mark.filterwarnings("ignore::lucid.data.TruncationWarning")
def test_from_text_truncates_to_the_model_length(tokenizer, tiny):
    model = BERTForSequenceClassification(tiny(max_position_embeddings=8))
    long_text = " ".join(["the movie is excellent"] * 10)  # 42 tokens
    assert model.predict_proba_from_text(tokenizer, long_text, text_b="a movie").shape == (1, 2)
    mlm = BERTForMaskedLM(tiny(max_position_embeddings=8))
    assert mlm.predict_token_ids_from_text(tokenizer, long_text).shape == (1, 8)
    assert mlm.predict_token_ids_from_text(tokenizer, long_text, max_length=5).shape == (1, 5)
    assert np.isfinite(mlm.get_loss_from_text(tokenizer, [long_text, "a"], mlm_probability=0.5).item())


def test_from_text_defaults_to_the_model_device(device, model_pair, tokenizer):
    cpu, moved = model_pair(BERTForSequenceClassification)
    texts = ["the movie is excellent", "the movie is bad ."]
    pred = moved.predict_labels_from_text(tokenizer=tokenizer, text_a=texts, device=device)
    assert pred.device == device
    np.testing.assert_array_equal(pred.numpy(), cpu.predict_labels_from_text(tokenizer, texts).numpy())
    np.testing.assert_allclose(moved.predict_proba_from_text(tokenizer, texts).numpy(),
                               cpu.predict_proba_from_text(tokenizer, texts).numpy(), atol=1e-5)
    loss = moved.get_loss_from_text(tokenizer=tokenizer, text_a="the movie is excellent .", labels=1, device=device)
    assert loss.device == device
    # another device than the model's moves the model (the seed pages call a fresh CPU model with "gpu")
    moving = copy.deepcopy(cpu)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        pred = moving.predict_labels_from_text(tokenizer, texts, device=device)
    moves = [str(w.message) for w in rec if "moving the model" in str(w.message)]
    assert len(moves) == (device != "cpu")
    assert all(re.search(rf"device='{device}'.*model is on 'cpu'", m) for m in moves)
    assert moving.device == device and pred.device == device
    np.testing.assert_array_equal(pred.numpy(), cpu.predict_labels_from_text(tokenizer, texts).numpy())
    mlm_cpu, mlm = model_pair(BERTForMaskedLM)
    loss = mlm.get_loss_from_text(tokenizer=tokenizer, text_a="machine learning helps us build useful systems .",
                                  text_b="the movie", device=device, mlm_probability=0.5)
    assert loss.device == device and np.isfinite(loss.item())
    pred_ids = mlm.predict_token_ids_from_text(tokenizer=tokenizer, text_a="machine learning is [MASK] .",
                                               device=device)
    np.testing.assert_array_equal(pred_ids.numpy(),
                                  mlm_cpu.predict_token_ids_from_text(tokenizer, "machine learning is [MASK] .").numpy())
