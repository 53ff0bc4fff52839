"""Attention over zero keys (an empty context): torch's result, zeros of shape (..., L, Ev) with
zero gradients, not a reshape error; with and without masks, causal or not."""

import numpy as np
import pytest
import torch

import lucid
import lucid.nn.functional as F


@pytest.mark.parametrize("mask", [None, "bool", "float"])
@pytest.mark.parametrize("causal", [False, True])
def test_zero_keys_equal_torch(mask, causal, device):
    rng = np.random.default_rng(0)
    q = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    k = np.zeros((2, 3, 0, 5), np.float32)
    v = np.zeros((2, 3, 0, 6), np.float32)
    m = None if mask is None else (np.zeros((4, 0), bool) if mask == "bool" else np.zeros((1, 1, 4, 0), np.float32))
    ours = [lucid.tensor(a, requires_grad=True, device=device) for a in (q, k, v)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    lm = None if m is None else lucid.tensor(m, device=device)
    tm = None if m is None else torch.tensor(m)
    out = F.scaled_dot_product_attention(*ours, attn_mask=lm, is_causal=causal and mask is None)
    ref = torch.nn.functional.scaled_dot_product_attention(*theirs, attn_mask=tm, is_causal=causal and mask is None)
    assert out.shape == tuple(ref.shape) == (2, 3, 4, 6) and out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), ref.detach().numpy())
    g = rng.standard_normal(out.shape).astype(np.float32)
    (out * lucid.tensor(g, device=device)).sum().backward()
    (ref * torch.tensor(g)).sum().backward()
    for a, b in zip(ours, theirs):
        assert a.grad.shape == tuple(b.grad.shape)
        np.testing.assert_array_equal(lucid.Tensor(a.grad).numpy(), b.grad.numpy())


def test_zero_keys_broadcast_batch_and_no_grad():
    q = lucid.ones(1, 4, 3)
    k = lucid.ones(5, 0, 3)
    v = lucid.ones(5, 0, 2)
    out = F.scaled_dot_product_attention(q, k, v)
    assert out.shape == (5, 4, 2) and not out.requires_grad and float(abs(out).sum().item()) == 0.0
