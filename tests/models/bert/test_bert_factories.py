"""The BERT-Base / BERT-Large factories and the calls the two seed pages make, on every
device (a CPU-built model called with another device moves there with a warning)."""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest

import lucid
from lucid.models import BERTForMaskedLM, BERTForSequenceClassification


def test_factories_apply_overrides(tiny, tiny_kwargs):
    from lucid import models

    m = models.bert_for_masked_lm_base(**tiny_kwargs)
    assert isinstance(m, BERTForMaskedLM) and m.config == tiny(add_pooling_layer=False)
    m = models.bert_for_masked_lm_large(**tiny_kwargs)
    assert m.config.intermediate_size == 48
    c = models.bert_for_sequence_classification_base(num_labels=5, **tiny_kwargs)
    assert isinstance(c, BERTForSequenceClassification) and c.num_labels == 5
    c = models.bert_for_sequence_classification_large(vocab_size=50, hidden_size=32, num_hidden_layers=1,
                                                      num_attention_heads=4, intermediate_size=16)
    assert c.num_labels == 2 and c.config.num_attention_heads == 4
    assert models.BERTConfig.large().num_hidden_layers == 24


def test_base_factory_has_bert_base_size():
    from lucid import models

    model = models.bert_for_masked_lm_base()
    n = sum(p.size for p in model.parameters())
    # bert-base-uncased with its MLM head (pooler excluded, decoder tied): 109,514,298 parameters
    assert n == 109_514_298
    assert repr(model).startswith("BERTForMaskedLM(")


def test_seed_page_masked_lm_examples(tokenizer, tiny_kwargs):
    import lucid.models as models

    model = models.bert_for_masked_lm_base(**tiny_kwargs)
    assert str(model).startswith("BERTForMaskedLM(")
    input_ids = lucid.tensor([[2, 10, 11, 12, 13, 14, 15, 16, 17, 3]])
    masked_input_ids, labels = model.create_masked_lm_inputs(input_ids)
    loss = model.get_loss(labels=labels, input_ids=masked_input_ids)
    acc = model.get_accuracy(labels=labels, input_ids=masked_input_ids)
    assert loss.shape == () and 0.0 <= acc <= 1.0
    loss = model.get_loss_from_text(
        tokenizer=tokenizer,
        text_a="Machine learning helps us build useful systems.",
        text_b="Tokenization quality strongly affects language model performance.",
        device="cpu",
    )
    pred_ids = model.predict_token_ids_from_text(tokenizer=tokenizer, text_a="Machine learning is [MASK].",
                                                 device="cpu")
    assert np.isfinite(loss.item()) and pred_ids.shape[0] == 1


def test_seed_page_classification_examples(tokenizer, tiny_kwargs):
    import lucid.models as models

    model = models.bert_for_sequence_classification_base(num_labels=2, **tiny_kwargs)
    assert str(model).startswith("BERTForSequenceClassification(")
    input_ids = lucid.tensor([[2, 5, 6, 7, 8, 3], [2, 5, 6, 7, 9, 3]])
    attention_mask = lucid.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0]])
    labels = lucid.tensor([1, 0])
    logits = model(input_ids=input_ids, attention_mask=attention_mask)
    loss = model.get_loss(labels=labels, input_ids=input_ids, attention_mask=attention_mask)
    acc = model.get_accuracy(labels=labels, input_ids=input_ids, attention_mask=attention_mask)
    assert logits.shape == (2, 2) and loss.shape == () and acc in (0.0, 0.5, 1.0)
    loss = model.get_loss_from_text(tokenizer=tokenizer, text_a="This movie is excellent.", labels=1, device="cpu")
    pred = model.predict_labels_from_text(tokenizer=tokenizer, text_a="This movie is excellent.", device="cpu")
    assert np.isfinite(loss.item()) and pred.shape == (1,)


@contextlib.contextmanager
def _no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def _expect_move(device):
    """A model built on the CPU warns that it moves to another ``device``; on the CPU nothing warns."""
    return pytest.warns(UserWarning, match="moving the model") if device != "cpu" else _no_warnings()


def test_seed_page_calls_on_a_fresh_model(device, tokenizer, tiny_kwargs):
    """As the seed pages write them: a model built on the CPU, called with ``device``."""
    import lucid.models as models

    kw = dict(tiny_kwargs, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model = models.bert_for_masked_lm_base(**kw)
    with _expect_move(device):
        loss = model.get_loss_from_text(tokenizer=tokenizer, text_a="Machine learning helps us build useful systems.",
                                        text_b="the movie is excellent.", device=device)
    pred_ids = model.predict_token_ids_from_text(tokenizer=tokenizer, text_a="Machine learning is [MASK].",
                                                 device=device)
    assert loss.device == device and pred_ids.device == device
    loss.backward()
    assert model.bert.embeddings.word_embeddings.weight.grad is not None
    clf = models.bert_for_sequence_classification_base(num_labels=2, **kw)
    with _expect_move(device):
        loss = clf.get_loss_from_text(tokenizer=tokenizer, text_a="This movie is excellent.", labels=1, device=device)
    pred = clf.predict_labels_from_text(tokenizer=tokenizer, text_a="This movie is excellent.", device=device)
    assert loss.device == device and pred.device == device
