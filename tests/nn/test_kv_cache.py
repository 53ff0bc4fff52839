"""lucid.nn.KVCache: per-layer keys and values growing along the sequence axis, filled in
order, cross-attention pairs kept per source tensor, gradients through the cached keys."""

from __future__ import annotations

import numpy as np
import pytest

import lucid
from lucid.nn import KVCache


def _kv(batch=2, heads=3, n=4, d=5, seed=0, device="cpu"):
    rng = np.random.default_rng(seed)
    return (lucid.tensor(rng.standard_normal((batch, heads, n, d)), device=device),
            lucid.tensor(rng.standard_normal((batch, heads, n, d)), device=device))


def test_empty_cache():
    cache = KVCache()
    assert len(cache) == 0 and cache.get_seq_length() == 0 and list(cache) == []
    assert repr(cache) == "KVCache(layers=0, seq_length=0)"


def test_update_appends_along_the_sequence_axis(device):
    cache = KVCache()
    k1, v1 = _kv(n=4, seed=1, device=device)
    k2, v2 = _kv(n=1, seed=2, device=device)
    cache.update(k1, v1, 0)
    cache.update(k1 * 2, v1 * 2, 1)
    keys, values = cache.update(k2, v2, 0)
    np.testing.assert_array_equal(keys.numpy(), np.concatenate([k1.numpy(), k2.numpy()], axis=2))
    np.testing.assert_array_equal(values.numpy(), np.concatenate([v1.numpy(), v2.numpy()], axis=2))
    assert len(cache) == 2 and cache.get_seq_length(0) == 5 and cache.get_seq_length(1) == 4
    assert cache.get_seq_length(7) == 0  # a layer not filled yet
    assert cache[0][0] is keys and [k.shape for k, _ in cache] == [(2, 3, 5, 5), (2, 3, 4, 5)]
    assert keys.device == device
    cache.reset()
    assert len(cache) == 0 and cache.get_seq_length() == 0


def test_layers_are_filled_in_order():
    cache = KVCache()
    k, v = _kv()
    with pytest.raises(IndexError, match="layer_idx=2 but holds 0 layers"):
        cache.update(k, v, 2)
    cache.update(k, v, 0)
    with pytest.raises(IndexError, match="layer_idx=-1"):
        cache.update(k, v, -1)


@pytest.mark.parametrize("shape", [(3, 3, 1, 5), (2, 4, 1, 5), (2, 3, 1, 6)], ids=["batch", "heads", "width"])
def test_new_keys_must_extend_the_cached_ones(shape):
    cache = KVCache()
    cache.update(*_kv(), 0)
    bad = lucid.zeros(*shape)
    with pytest.raises(ValueError, match=r"keys of shape \(%s\) do not extend" % ", ".join(map(str, shape))):
        cache.update(bad, bad, 0)


def test_cross_attention_pairs_are_kept_per_source():
    cache, calls = KVCache(), []

    def project(source):
        calls.append(source)
        return source * 2, source * 3

    a, b = lucid.ones(1, 2, 4), lucid.ones(1, 2, 4)
    first = cache.cross_attention(0, a, project)
    again = cache.cross_attention(0, a, project)
    assert again[0] is first[0] and len(calls) == 1
    cache.cross_attention(1, a, project)  # another layer projects for itself
    other = cache.cross_attention(0, b, project)  # another tensor (equal values): projected afresh
    assert len(calls) == 3 and other[0] is not first[0]
    cache.reset()
    cache.cross_attention(0, b, project)
    assert len(calls) == 4


def test_gradients_flow_through_the_cache():
    cache = KVCache()
    k1 = lucid.tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    k2 = lucid.tensor(np.ones((1, 1, 1, 2)), requires_grad=True)
    cache.update(k1, k1, 0)
    keys, values = cache.update(k2, k2, 0)
    (keys * lucid.tensor(np.arange(6.0).reshape(1, 1, 3, 2)) + values).sum().backward()
    np.testing.assert_array_equal(k1.grad, np.arange(4.0).reshape(1, 1, 2, 2) + 1)
    np.testing.assert_array_equal(k2.grad, np.arange(4.0, 6.0).reshape(1, 1, 1, 2) + 1)
