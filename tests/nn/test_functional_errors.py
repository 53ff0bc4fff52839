"""Bad arguments to lucid.nn.functional raise the right exception naming the bad value."""

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F


def x(*shape):
    return lucid.ones(*shape)


def test_linear_errors():
    with pytest.raises(ValueError, match=r"\(2, 5\).*\(3, 4\).*must be 4"):
        F.linear(x(2, 5), x(3, 4))
    with pytest.raises(ValueError, match=r"bias must have shape \(3,\), got \(4,\)"):
        F.linear(x(2, 4), x(3, 4), x(4))
    with pytest.raises(ValueError, match=r"2-D.*\(3,\)"):
        F.linear(x(2, 3), x(3))
    with pytest.raises(TypeError, match="int64"):
        F.linear(lucid.tensor([[1, 2]]), x(3, 2))


def test_embedding_errors():
    w = x(5, 2)
    with pytest.raises(IndexError, match=r"id 7 is out of range for 5"):
        F.embedding(lucid.tensor([1, 7]), w)
    with pytest.raises(IndexError, match=r"id -1 is out of range"):
        F.embedding(lucid.tensor([-1, 2]), w)
    with pytest.raises(TypeError, match="float32"):
        F.embedding(lucid.tensor([1.0]), w)
    with pytest.raises(ValueError, match="padding_idx 5 is out of range"):
        F.embedding(lucid.tensor([1]), w, padding_idx=5)


def test_layer_norm_errors():
    with pytest.raises(ValueError, match=r"\(4,\).*\(2, 3\)"):
        F.layer_norm(x(2, 3), (4,))
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\), got \(2,\)"):
        F.layer_norm(x(2, 3), 3, weight=x(2))
    with pytest.raises(ValueError, match="eps must be >= 0, got -1"):
        F.layer_norm(x(2, 3), 3, eps=-1)
    with pytest.raises(TypeError, match="int64"):
        F.layer_norm(lucid.tensor([[1, 2]]), 2)


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_dropout_probability_errors(p):
    with pytest.raises(ValueError, match=f"between 0 and 1, got {p}"):
        F.dropout(x(3), p)


def test_gelu_and_softmax_errors():
    with pytest.raises(ValueError, match="'sigmoid'"):
        F.gelu(x(2), approximate="sigmoid")
    with pytest.raises(TypeError, match="int64"):
        F.gelu(lucid.tensor([1, 2]))
    with pytest.raises(IndexError, match="axis 2 is out of range"):
        F.softmax(x(2, 2), axis=2)
    with pytest.raises(IndexError, match="axis -3"):
        F.log_softmax(x(2, 2), axis=-3)


def test_cross_entropy_errors():
    logits = x(3, 4)
    with pytest.raises(IndexError, match=r"target 4 is out of range for 4 classes"):
        F.cross_entropy(logits, lucid.tensor([0, 4, 1]))
    with pytest.raises(IndexError, match=r"target -2 is out of range"):
        F.cross_entropy(logits, lucid.tensor([0, -2, 1]))
    with pytest.raises(ValueError, match="'avg'"):
        F.cross_entropy(logits, lucid.tensor([0, 1, 1]), reduction="avg")
    with pytest.raises(ValueError, match=r"label_smoothing must be between 0 and 1, got 1.5"):
        F.cross_entropy(logits, lucid.tensor([0, 1, 1]), label_smoothing=1.5)
    with pytest.raises(TypeError, match="float32"):
        F.cross_entropy(logits, lucid.tensor([0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"target of shape \(2,\).*expected target shape \(3,\)"):
        F.cross_entropy(logits, lucid.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\).*got \(3,\)"):
        F.cross_entropy(logits, lucid.tensor([0, 1, 1]), weight=x(3))
    # a custom ignore_index is accepted even though it is outside [0, C)
    assert F.cross_entropy(logits, lucid.tensor([0, 9, 1]), ignore_index=9).item() > 0


def test_attention_errors():
    q = x(2, 3, 4)
    with pytest.raises(ValueError, match="query features 4 differ from key features 5"):
        F.scaled_dot_product_attention(q, x(2, 3, 5), x(2, 3, 4))
    with pytest.raises(ValueError, match="key length 3 differs from value length 2"):
        F.scaled_dot_product_attention(q, x(2, 3, 4), x(2, 2, 4))
    with pytest.raises(ValueError, match=r"attn_mask of shape \(2, 4\).*\(2, 3, 3\)"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=lucid.ones(2, 4))
    with pytest.raises(ValueError, match=r"attn_mask of shape \(5, 1, 3\)"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=lucid.ones(5, 1, 3))
    with pytest.raises(ValueError, match="dropout_p must be between 0 and 1, got 2"):
        F.scaled_dot_product_attention(q, q, q, dropout_p=2)
    with pytest.raises(TypeError, match="int64"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=lucid.tensor(np.ones((3, 3), np.int64)))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        F.scaled_dot_product_attention(x(4), x(4), x(4))
    with pytest.raises(TypeError, match="share a dtype"):
        F.scaled_dot_product_attention(q, q.double(), q)


def test_non_tensor_input_is_named():
    with pytest.raises(TypeError, match="input must be a Tensor, got object"):
        F.relu(object())
