"""Issue 15: the multi-label loss's gradient where a logit is exactly 0 (a zero-initialised
head). Built on ``abs``/``relu`` (gradient 0 at 0) it was wrong there; through
``F.binary_cross_entropy_with_logits`` it is ``(sigmoid(0) - y) / n``, as torch's."""

import numpy as np
import torch

import lucid
from lucid.models import BERTForSequenceClassification


def test_zero_initialised_head_gets_the_torch_gradient(tiny, random_ids):
    model = BERTForSequenceClassification(tiny(), num_labels=3).eval()
    lucid.nn.init.zeros(model.classifier.weight)
    lucid.nn.init.zeros(model.classifier.bias)
    labels = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]], dtype=np.float32)
    ids = random_ids(2, 5)
    assert np.all(model(input_ids=ids).numpy() == 0.0)  # every logit exactly 0
    model.get_loss(labels=lucid.tensor(labels), input_ids=ids).backward()
    logits = torch.zeros(2, 3, requires_grad=True)
    torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.tensor(labels)).backward()
    g = logits.grad.numpy()
    np.testing.assert_allclose(model.classifier.bias.grad, g.sum(0), rtol=1e-6, atol=1e-7)
    pooled = model.bert(input_ids=ids)[1].numpy()
    np.testing.assert_allclose(model.classifier.weight.grad, g.T @ pooled, rtol=1e-5, atol=1e-7)
