"""State dicts the original Lucid saved for the five family classes
(``/work/shared/fixtures/original_lucid``) load through ``model.from_pretrained(<file>.safetensors)``
(the checkpoint rename table: lower-case ``layernorm``, ``bert.output_embeddings.*``, stored
buffers, no ``cls.predictions.bias``) and reproduce the original's saved eval-mode outputs.

The original's ``"gelu"`` is the tanh approximation, so its gelu checkpoints are run with
``hidden_act="gelu_new"`` (and differ from the exact erf ``"gelu"`` by about 1e-3). Padding
positions of token-level outputs are whatever the original computed there, so only real
positions are compared for those.
"""

from __future__ import annotations

import json
import pathlib
import warnings

import numpy as np
import pytest

import lucid
from lucid.models import (BERTConfig, BERTForCausalLM, BERTForNextSentencePrediction, BERTForPreTraining,
                          BERTForQuestionAnswering, BERTForTokenClassification)

FIXTURES = pathlib.Path("/work/shared/fixtures/original_lucid")
pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="the original-Lucid fixtures are not here")
ATOL = 1e-5
CLASSES = (BERTForNextSentencePrediction, BERTForPreTraining, BERTForTokenClassification, BERTForQuestionAnswering,
           BERTForCausalLM)
# which outputs are per position (compared at real positions only)
TOKEN_LEVEL = {BERTForNextSentencePrediction: (False,), BERTForPreTraining: (True, False),
               BERTForTokenClassification: (True,), BERTForQuestionAnswering: (True, True), BERTForCausalLM: (True,)}


def _model(cls, name, hidden_act=None):
    """The model built as the original's config says, loaded by the instance form of
    ``from_pretrained``. The original gives every backbone a pooler; lucid's token, span and
    causal models have none (as Hugging Face's), and the loader names the unused pooler."""
    meta = json.loads((FIXTURES / "meta.json").read_text())[name]
    act = hidden_act or ("gelu_new" if meta["hidden_act"] == "gelu" else meta["hidden_act"])
    cfg = BERTConfig(**meta["config"], hidden_act=act)
    model = cls(cfg) if meta["num_labels"] is None else cls(cfg, num_labels=meta["num_labels"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert model.from_pretrained(FIXTURES / f"{name}.safetensors") is model
    notes = [str(w.message) for w in caught]
    if model.bert.pooler is None:
        assert len(notes) == 1 and notes[0].endswith(
            "checkpoint weights the model does not use, ignored: ['bert.pooler.dense.bias', 'bert.pooler.dense.weight']")
    else:
        assert notes == []
    return model.eval(), meta


def _outputs(model, device):
    data = np.load(FIXTURES / "inputs.npz")
    ids, mask, types = (lucid.tensor(data[k], device=device) for k in ("input_ids", "attention_mask", "token_type_ids"))
    out = model.to(device)(ids, mask, types)
    return [o.numpy() for o in (out if isinstance(out, tuple) else (out,))], data["attention_mask"].astype(bool)


@pytest.mark.parametrize("act", ["relu", "gelu"])
@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_original_state_dict_reproduces_its_outputs(cls, act, device):
    name = f"{cls.__name__}.{act}"
    model, meta = _model(cls, name)
    outputs, real = _outputs(model, device)
    saved = np.load(FIXTURES / f"{name}.outputs.npz")
    assert len(outputs) == meta["n_outputs"] == len(TOKEN_LEVEL[cls])
    for i, (ours, token_level) in enumerate(zip(outputs, TOKEN_LEVEL[cls])):
        ref = saved[f"out{i}"]
        assert ours.shape == ref.shape
        if token_level:
            ours, ref = ours[real], ref[real]
        np.testing.assert_allclose(ours, ref, atol=ATOL, err_msg=f"{name} out{i}")


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_the_originals_gelu_is_the_tanh_form(cls):
    """With the exact erf GELU the gelu checkpoints come out about 1e-3 away: the fixtures'
    gelu really is the tanh approximation (and the comparison above really tells them apart)."""
    name = f"{cls.__name__}.gelu"
    model, _ = _model(cls, name, hidden_act="gelu")
    outputs, real = _outputs(model, "cpu")
    ref = np.load(FIXTURES / f"{name}.outputs.npz")["out0"]
    ours = outputs[0]
    if TOKEN_LEVEL[cls][0]:
        ours, ref = ours[real], ref[real]
    assert 1e-5 < np.abs(ours - ref).max() < 1e-2
