"""The original Lucid's calls against transformers and torch on the same random checkpoints:
per-position and per-example losses (``reduction=None``) against ``torch.nn.functional.cross_entropy``
on transformers' logits, ``reduction="sum"`` gradients against torch autograd, and the embedding
accessors against transformers' own ``get_input_embeddings`` / ``set_input_embeddings``."""

from __future__ import annotations

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid.models import BERTForMaskedLM, BERTForSequenceClassification
from hf_reference import ATOL, BASE, at_real_positions, hf_model as _hf_model
from test_bert_parity import _grads_close, _inputs, _load_quiet, _save

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


def _mlm_labels(ids, mask, vocab_size, ignore_index=-100):
    rng = np.random.default_rng(3)
    labels = np.full_like(ids, ignore_index)
    pick = (rng.random(ids.shape) < 0.4) & (mask == 1)
    labels[pick] = rng.integers(0, vocab_size, size=int(pick.sum()))
    return labels


@pytest.mark.parametrize("ignore_index", [-100, -1])
def test_mlm_per_position_and_summed_losses_match_torch(ignore_index, tmp_path):
    hf = _hf_model(transformers.BertForMaskedLM, BASE).eval()
    model = _load_quiet(BERTForMaskedLM, _save(hf, tmp_path))
    ids, mask, types = _inputs(BASE)
    labels = _mlm_labels(ids, mask, BASE["vocab_size"], ignore_index)
    logits = hf(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask),
                token_type_ids=torch.tensor(types)).logits
    flat_logits, flat_labels = logits.reshape(-1, BASE["vocab_size"]), torch.tensor(labels).reshape(-1)
    want = torch.nn.functional.cross_entropy(flat_logits, flat_labels, ignore_index=ignore_index, reduction="none")
    per = model.get_loss(lucid.tensor(labels), lucid.tensor(ids), lucid.tensor(mask), lucid.tensor(types),
                         ignore_index=ignore_index, reduction=None)
    assert per.shape == (ids.size,)
    np.testing.assert_allclose(per.numpy(), want.detach().numpy(), atol=ATOL)
    # the summed loss and its gradients, against torch autograd through transformers
    torch.nn.functional.cross_entropy(flat_logits, flat_labels, ignore_index=ignore_index, reduction="sum").backward()
    total = model.get_loss(labels, ids, mask, types, ignore_index=ignore_index, reduction="sum")
    assert abs(total.item() - want.sum().item()) < ATOL * ids.size
    total.backward()
    _grads_close(model, hf, "mlm sum grads")


def test_classifier_per_example_losses_match_torch(tmp_path):
    hf = _hf_model(transformers.BertForSequenceClassification, BASE, num_labels=3).eval()
    model = _load_quiet(BERTForSequenceClassification, _save(hf, tmp_path))
    ids, mask, types = _inputs(BASE)
    labels = np.array([2, 0, 1])
    logits = hf(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask),
                token_type_ids=torch.tensor(types)).logits
    want = torch.nn.functional.cross_entropy(logits, torch.tensor(labels), reduction="none")
    per = model.get_loss(labels[:, None], ids, mask, types, reduction=None)  # (batch, 1) labels
    np.testing.assert_allclose(per.numpy(), want.detach().numpy(), atol=ATOL)
    want.sum().backward()
    model.get_loss(labels, ids, mask, types, reduction="sum").backward()
    _grads_close(model, hf, "classifier sum grads")


def test_embedding_accessors_match_transformers(tmp_path):
    hf = _hf_model(transformers.BertForMaskedLM, BASE).eval()
    model = _load_quiet(BERTForMaskedLM, _save(hf, tmp_path))
    assert model.get_input_embeddings().weight.shape == tuple(hf.get_input_embeddings().weight.shape)
    assert model.get_output_embeddings().weight.shape == tuple(hf.get_output_embeddings().weight.shape)
    # one new word-embedding matrix on both sides: transformers re-ties with tie_weights(), lucid on set
    new = np.random.default_rng(9).standard_normal((BASE["vocab_size"], BASE["hidden_size"])).astype(np.float32)
    hf_embedding = torch.nn.Embedding(BASE["vocab_size"], BASE["hidden_size"])
    with torch.no_grad():
        hf_embedding.weight.copy_(torch.tensor(new))
    hf.set_input_embeddings(hf_embedding)
    hf.tie_weights()
    embedding = nn.Embedding(BASE["vocab_size"], BASE["hidden_size"])
    embedding.weight.data[...] = new
    model.set_input_embeddings(embedding)
    ids, mask, types = _inputs(BASE)
    want = hf(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask),
              token_type_ids=torch.tensor(types)).logits.detach().numpy()
    np.testing.assert_allclose(model(ids, mask, types).numpy(), at_real_positions(want, mask), atol=ATOL * 5)
