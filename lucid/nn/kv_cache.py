"""``KVCache``: the keys and values a decoder's attention layers computed for earlier positions.

Incremental decoding feeds a causal model one new position at a time; each self-attention
layer appends the new position's keys and values to its entry here and attends to all of
them, so earlier positions are never recomputed. The caller owns the cache: it starts
empty, the model's forward appends to it, and it is dropped (or :meth:`KVCache.reset`)
when the sequence is done. Cross-attention keys and values (from encoder states, which do
not grow) are kept per layer too, next to the source tensor they were computed from.
"""

from __future__ import annotations

from ..ops.shape import concatenate

__all__ = ["KVCache"]


class KVCache:
    """Per-layer past keys and values of shape ``(batch, heads, past, head_dim)``.

    Empty at construction. ``update(key, value, layer_idx)`` appends a layer's new keys and
    values along the sequence axis and returns everything that layer has seen so far;
    layers are filled in order, so ``len(cache)`` is the number of layers filled and
    ``cache[i]`` is layer ``i``'s ``(keys, values)``. :meth:`get_seq_length` is the number of
    positions cached (what the next positions' ids start from).

    Example:
        >>> import lucid
        >>> from lucid.nn import KVCache
        >>> cache = KVCache()
        >>> k, v = cache.update(lucid.ones(1, 2, 3, 4), lucid.ones(1, 2, 3, 4), 0)
        >>> k, v = cache.update(lucid.zeros(1, 2, 1, 4), lucid.zeros(1, 2, 1, 4), 0)
        >>> len(cache), cache.get_seq_length(), k.shape
        (1, 4, (1, 2, 4, 4))
    """

    def __init__(self):
        self._keys = []
        self._values = []
        self._cross = {}  # layer -> (source tensor, keys, values)

    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, layer_idx):
        return self._keys[layer_idx], self._values[layer_idx]

    def __iter__(self):
        return iter(zip(self._keys, self._values))

    def __repr__(self) -> str:
        return f"KVCache(layers={len(self)}, seq_length={self.get_seq_length()})"

    def get_seq_length(self, layer_idx: int = 0) -> int:
        """How many positions layer ``layer_idx`` holds (0 for an empty cache).

        Example:
            >>> from lucid.nn import KVCache
            >>> KVCache().get_seq_length()
            0
        """
        if layer_idx >= len(self._keys):
            return 0
        return int(self._keys[layer_idx].shape[-2])

    def update(self, key, value, layer_idx: int):
        """Append ``key`` and ``value`` (``(batch, heads, new, head_dim)``) to layer
        ``layer_idx`` and return the layer's keys and values over all its positions.

        Raises:
            IndexError: ``layer_idx`` skips a layer (layers are filled in order).
            ValueError: the new keys do not match the cached ones in batch, heads or width.

        Example:
            >>> import lucid
            >>> from lucid.nn import KVCache
            >>> KVCache().update(lucid.ones(1, 1, 2, 2), lucid.ones(1, 1, 2, 2), 1)
            Traceback (most recent call last):
            ...
            IndexError: KVCache.update got layer_idx=1 but holds 0 layers: layers are filled in order
        """
        if layer_idx == len(self._keys):
            self._keys.append(key)
            self._values.append(value)
            return key, value
        if not 0 <= layer_idx < len(self._keys):
            raise IndexError(f"KVCache.update got layer_idx={layer_idx} but holds {len(self._keys)} layers: "
                             "layers are filled in order")
        past = self._keys[layer_idx]
        if past.shape[:-2] != key.shape[:-2] or past.shape[-1] != key.shape[-1]:
            raise ValueError(f"keys of shape {key.shape} do not extend the cached keys of shape {past.shape} "
                             f"(layer {layer_idx}): batch, heads and head width must match")
        self._keys[layer_idx] = concatenate([past, key], axis=-2)
        self._values[layer_idx] = concatenate([self._values[layer_idx], value], axis=-2)
        return self._keys[layer_idx], self._values[layer_idx]

    def cross_attention(self, layer_idx: int, source, project):
        """The cross-attention ``(keys, values)`` of layer ``layer_idx`` over ``source`` (the
        encoder states): ``project(source)`` the first time, the stored pair while the same
        ``source`` tensor comes back (a different tensor is projected afresh).

        Example:
            >>> import lucid
            >>> from lucid.nn import KVCache
            >>> cache, enc, calls = KVCache(), lucid.ones(1, 3, 4), []
            >>> def project(s):
            ...     calls.append(1)
            ...     return s, s
            >>> _ = cache.cross_attention(0, enc, project); _ = cache.cross_attention(0, enc, project)
            >>> len(calls)
            1
        """
        entry = self._cross.get(layer_idx)
        if entry is not None and entry[0] is source:
            return entry[1], entry[2]
        key, value = project(source)
        self._cross[layer_idx] = (source, key, value)
        return key, value

    def reset(self) -> None:
        """Forget every cached position (and cross-attention entry).

        Example:
            >>> import lucid
            >>> from lucid.nn import KVCache
            >>> cache = KVCache()
            >>> _ = cache.update(lucid.ones(1, 1, 2, 2), lucid.ones(1, 1, 2, 2), 0)
            >>> cache.reset(); len(cache)
            0
        """
        self._keys.clear()
        self._values.clear()
        self._cross.clear()
