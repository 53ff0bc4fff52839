"""The BERT backbone: embeddings, self-attention encoder layers and the ``[CLS]`` pooler.

Module and parameter names are those of Hugging Face's ``modeling_bert`` (``embeddings.
word_embeddings``, ``encoder.layer.N.attention.self.query``, ``attention.output.dense``,
``intermediate.dense``, ``output.LayerNorm``, ``pooler.dense``, ...), so a Hugging Face
checkpoint loads by name. A decoder (``config.is_decoder``) has causal self-attention; with
``config.add_cross_attention`` each layer also has ``crossattention`` (the same block over
``encoder_hidden_states``), Hugging Face's ``BertLMHeadModel`` layout. The encoder path pays
for none of this: without those options a layer runs exactly the ops it always ran.
"""

from __future__ import annotations

import numpy as np

from ... import _backend, nn
from ..._tensor import Tensor
from ...nn import functional as F
from ...nn.kernels.packed_attention import packed_self_attention
from ...nn.kv_cache import KVCache
from ...ops.shape import concatenate
from ._packing import Packing
from ._task import SharedMethods, mask_array
from .checkpoint import PretrainedMixin
from .config import BERTConfig

__all__ = [
    "BERT", "BERTEmbeddings", "BERTSelfAttention", "BERTSelfOutput", "BERTAttention", "BERTIntermediate",
    "BERTOutput", "BERTLayer", "BERTEncoder", "BERTPooler", "causal_attention_mask", "extended_attention_mask",
    "init_bert_weights",
]


def init_bert_weights(module, config: BERTConfig) -> None:
    """Hugging Face's BERT initialisation for one module: linear and embedding weights from
    ``normal(0, initializer_range)``, biases zero, the padding row zero, LayerNorm ones/zeros.

    Example:
        >>> import lucid.nn as nn
        >>> from lucid.models import BERTConfig
        >>> lin = nn.Linear(4, 4)
        >>> init_bert_weights(lin, BERTConfig())
        >>> float(abs(lin.bias).sum())
        0.0
    """
    std = config.initializer_range
    if isinstance(module, nn.Linear):
        nn.init.normal(module.weight, mean=0.0, std=std)
        if module.bias is not None:
            nn.init.zeros(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal(module.weight, mean=0.0, std=std)
        if module.padding_idx is not None:
            module.weight.data[module.padding_idx] = 0
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones(module.weight)
        nn.init.zeros(module.bias)


def extended_attention_mask(attention_mask, batch_size, seq_len, dtype, device, key_len=None):
    """Turn a user attention mask into an additive float mask that broadcasts against the
    ``(batch, heads, query, key)`` attention scores (``seq_len`` queries, ``key_len`` keys,
    default ``seq_len``).

    * 2-D ``(batch, key)`` or 3-D ``(batch, query, key)``: 1/True keeps a position, 0/False
      masks it (any dtype).
    * 4-D ``(batch, heads or 1, query, key)``: a bool mask keeps True positions; a
      floating mask is already additive and is used as given (Hugging Face's convention).

    Masked positions get ``finfo(dtype).min``, the most negative finite value, so even a
    row whose every key is masked stays finite (it averages over all keys). Returns None
    when ``attention_mask`` is None.

    Example:
        >>> import lucid
        >>> m = extended_attention_mask(lucid.tensor([[1, 0]]), 1, 2, lucid.Float32, "cpu")
        >>> m.shape, float(m[0, 0, 0, 0]), float(m[0, 0, 0, 1]) < -1e38
        ((1, 1, 1, 2), 0.0, True)
    """
    if attention_mask is None:
        return None
    key_len = seq_len if key_len is None else key_len
    if isinstance(attention_mask, Tensor):
        _backend.check_on(device, attention_mask, "attention_mask")
        xp, mask = attention_mask.xp, attention_mask.data
    else:
        xp = _backend.get_xp(device)
        mask = xp.asarray(mask_array(attention_mask, "attention_mask"))
    dtype = np.dtype(dtype)
    if mask.ndim == 2:
        if tuple(mask.shape) != (batch_size, key_len):
            expected = "(batch, sequence)" if key_len == seq_len else "(batch, key)"
            raise ValueError(
                f"attention_mask of shape {tuple(mask.shape)} does not match the input's {expected} "
                f"shape {(batch_size, key_len)}"
            )
        mask = mask[:, None, None, :]
    elif mask.ndim == 3:
        if mask.shape[0] not in (1, batch_size) or mask.shape[1] not in (1, seq_len) or mask.shape[-1] != key_len:
            raise ValueError(
                f"3-D attention_mask of shape {tuple(mask.shape)} does not fit (batch={batch_size}, "
                f"query={seq_len}, key={key_len})"
            )
        mask = mask[:, None, :, :]
    elif mask.ndim == 4:
        if mask.shape[0] not in (1, batch_size) or mask.shape[2] not in (1, seq_len) or mask.shape[3] != key_len:
            raise ValueError(
                f"4-D attention_mask of shape {tuple(mask.shape)} does not fit (batch={batch_size}, heads, "
                f"query={seq_len}, key={key_len})"
            )
        if mask.dtype.kind == "f":
            return Tensor._wrap(mask.astype(dtype, copy=False))  # already additive
    else:
        raise ValueError(f"attention_mask must have 2, 3 or 4 dimensions, got shape {tuple(mask.shape)}")
    # One small (batch, 1, 1|query, key) array: 0 where attended, the most negative finite value elsewhere.
    out = xp.zeros(mask.shape, dtype=dtype)
    out[~mask.astype(bool, copy=False)] = np.finfo(dtype).min
    return Tensor._wrap(out)


def causal_attention_mask(attention_mask, batch_size, seq_len, past_len, dtype, device):
    """The additive mask of a decoder's self-attention: query ``i`` (at position
    ``past_len + i``) sees keys ``0 .. past_len + i``, combined with the user's
    ``attention_mask`` over all ``past_len + seq_len`` keys (see
    :func:`extended_attention_mask`). Shape ``(batch or 1, 1, seq_len, past_len + seq_len)``.

    Example:
        >>> import lucid
        >>> m = causal_attention_mask(None, 1, 2, 1, lucid.Float32, "cpu")
        >>> (m.numpy()[0, 0] == 0).tolist()
        [[True, True, False], [True, True, True]]
    """
    xp = _backend.get_xp(device)
    dtype = np.dtype(dtype)
    lowest = np.finfo(dtype).min
    keys = past_len + seq_len
    sees = xp.arange(keys)[None, :] <= (past_len + xp.arange(seq_len))[:, None]
    causal = xp.where(sees, dtype.type(0), dtype.type(lowest)).astype(dtype, copy=False)[None, None]
    user = extended_attention_mask(attention_mask, batch_size, seq_len, dtype, device, key_len=keys)
    if user is None:
        return Tensor._wrap(causal)
    with np.errstate(over="ignore"):  # two masked terms overflow to -inf: clamp back to the finite minimum
        combined = user.data + causal
    return Tensor._wrap(xp.maximum(combined, dtype.type(lowest)))


class BERTEmbeddings(nn.Module):
    """Word + position + token-type embeddings, then LayerNorm and dropout.

    Example:
        >>> import lucid
        >>> from lucid.models import BERTConfig
        >>> cfg = BERTConfig(vocab_size=20, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
        ...                  intermediate_size=16, max_position_embeddings=16)
        >>> BERTEmbeddings(cfg)(input_ids=lucid.tensor([[1, 2, 3]])).shape
        (1, 3, 8)
    """

    def __init__(self, config: BERTConfig):
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.max_position_embeddings = config.max_position_embeddings

    def forward(self, input_ids=None, token_type_ids=None, position_ids=None, inputs_embeds=None, past_length=0,
                packing=None):
        seq_len = (input_ids if inputs_embeds is None else inputs_embeds).shape[1]
        end = past_length + seq_len  # a decoder's new positions follow the cached ones
        if end > self.max_position_embeddings:
            cached = f" after {past_length} cached positions" if past_length else ""
            raise ValueError(
                f"sequence length {seq_len}{cached} exceeds max_position_embeddings={self.max_position_embeddings}"
            )
        if packing is not None:
            return self._packed(input_ids, token_type_ids, position_ids, inputs_embeds, packing)
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)
        # Default ids index contiguous rows, so a slice (a view, cheap backward) replaces the lookup.
        if token_type_ids is None:
            embeddings = inputs_embeds + self.token_type_embeddings.weight[0:1]
        else:
            embeddings = inputs_embeds + self.token_type_embeddings(token_type_ids)
        if position_ids is None:
            embeddings = embeddings + self.position_embeddings.weight[past_length:end]
        else:
            embeddings = embeddings + self.position_embeddings(position_ids)
        return self.dropout(self.LayerNorm(embeddings))

    def _packed(self, input_ids, token_type_ids, position_ids, inputs_embeds, packing):
        """The embeddings of the real tokens only, ``(tokens, hidden)``."""
        if inputs_embeds is None:
            embeddings = self.word_embeddings(packing.ids(input_ids))
        else:
            embeddings = packing.pack(inputs_embeds)
        if token_type_ids is None:
            embeddings = embeddings + self.token_type_embeddings.weight[0:1]
        else:
            embeddings = embeddings + self.token_type_embeddings(packing.ids(token_type_ids))
        positions = packing.positions if position_ids is None else packing.ids(position_ids)
        embeddings = embeddings + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(embeddings))


def _plain_linear(module):
    """Whether ``module`` is an ``nn.Linear`` with a bias, whose weights the fused paths may read."""
    return type(module) is nn.Linear and module.bias is not None


class BERTSelfAttention(nn.Module):
    """Multi-head attention: query/key/value projections and scaled dot-product attention.

    ``attention_mask`` is the additive mask of :func:`extended_attention_mask` (or
    :func:`causal_attention_mask`); masked keys get no weight. Keys and values come from
    ``hidden_states`` (self-attention) or from ``key_value_states`` (cross-attention, the
    encoder's states). With a :class:`~lucid.nn.KVCache`, self-attention appends this call's
    keys and values to layer ``layer_idx``'s entry and attends to all of them;
    cross-attention projects the encoder states once per cache.

    Example:
        >>> import lucid
        >>> from lucid.models import BERTConfig
        >>> attn = BERTSelfAttention(BERTConfig(hidden_size=8, num_attention_heads=2))
        >>> mask = extended_attention_mask(lucid.tensor([[1, 1, 0]]), 1, 3, lucid.Float32, "cpu")
        >>> attn.attention_head_size, attn(lucid.random.randn(1, 3, 8), mask).shape
        (4, (1, 3, 8))
    """

    def __init__(self, config: BERTConfig, layer_idx: int = 0):
        super().__init__()
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = config.head_dim
        self.all_head_size = config.hidden_size
        self.layer_idx = layer_idx
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(config.attention_probs_dropout_prob)

    def _split(self, t):
        """(B, S, H) -> (B, heads, S, d): a view, no copy."""
        b, s, _ = t.shape
        return t.reshape(b, s, self.num_attention_heads, self.attention_head_size).transpose(0, 2, 1, 3)

    def _keys_values(self, states):
        return self._split(self.key(states)), self._split(self.value(states))

    def forward(self, hidden_states, attention_mask=None, key_value_states=None, cache=None, packing=None):
        if packing is not None:
            return self._packed(hidden_states, packing)
        b, s, _ = hidden_states.shape
        q = self._split(self.query(hidden_states))
        if key_value_states is None:
            k, v = self._keys_values(hidden_states)
            if cache is not None:
                k, v = cache.update(k, v, self.layer_idx)
        elif cache is not None:
            k, v = cache.cross_attention(self.layer_idx, key_value_states, self._keys_values)
        else:
            k, v = self._keys_values(key_value_states)
        p = self.dropout.p if self.training else 0.0
        ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=attention_mask, dropout_p=p)
        return ctx.transpose(0, 2, 1, 3).reshape(b, s, self.all_head_size)

    def first_query(self, hidden_states, attention_mask=None, packing=None):
        """Self-attention for each sequence's first query only: ``(batch, hidden)``. Keys and
        values come from every position (the real tokens' rows when ``packing`` is given);
        ``attention_mask`` is the additive mask of the padded layout.

        With one query a sequence, the key and value projections fold into it instead of
        running over every position: ``q . (Wk h + bk) = (Wk1^T q) . [h, 1]`` and
        ``sum_j p_j (Wv h_j + bv) = Wv1 (sum_j p_j [h_j, 1])`` per head, ``Wk1 = [Wk | bk]``.
        Two ``(tokens, hidden)`` GEMMs become products of ``(batch, heads)`` vectors; the
        bias column keeps every gradient and the dropout of the probabilities exact."""
        if packing is not None:
            first = packing.firsts(hidden_states)
            states = packing.unpack(hidden_states)
            attention_mask = None if packing.full else extended_attention_mask(
                Tensor._wrap(packing.keep), packing.batch, packing.seq, hidden_states.dtype, hidden_states.device)
        else:
            first, states = hidden_states[:, 0], hidden_states
            if attention_mask is not None and attention_mask.shape[2] > 1:
                attention_mask = attention_mask[:, :, :1]  # the first query's row
        b, s, n = states.shape
        heads, d = self.num_attention_heads, self.attention_head_size
        q = self.query(first).reshape(b, heads, 1, d)
        p = self.dropout.p if self.training else 0.0
        if not (_plain_linear(self.key) and _plain_linear(self.value)):  # modules put in their place run as they are
            k, v = self._keys_values(states)
            ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=attention_mask, dropout_p=p)
            return ctx.reshape(b, n)

        def with_bias(lin):  # (heads, d, hidden + 1): each head's rows of [W | b]
            return concatenate([lin.weight, lin.bias.reshape(n, 1)], axis=1).reshape(heads, d, n + 1)

        # the heads ride on the query axis, (b, 1, heads, n + 1) against (b, 1, s, n + 1) rows: equal
        # batch dims take the blocked kernel, and the rows' gradient is not formed once per head
        ones = _backend.get_xp(states.device).ones((b, s, 1), states.dtype)
        rows = concatenate([states, Tensor._wrap(ones)], axis=2).reshape(b, 1, s, n + 1)
        q = (q @ with_bias(self.key)).reshape(b, 1, heads, n + 1)
        if attention_mask is not None and attention_mask.ndim == 4 and attention_mask.shape[1] > 1:
            attention_mask = attention_mask.transpose(0, 2, 1, 3)  # a mask per head: (b, 1, heads, s)
        mixed = F.scaled_dot_product_attention(q, rows, rows, attn_mask=attention_mask, dropout_p=p, scale=d ** -0.5)
        return (mixed.reshape(b, heads, 1, n + 1) @ with_bias(self.value).transpose(0, 2, 1)).reshape(b, n)

    def _packed(self, rows, packing):
        """Self-attention of packed ``(tokens, hidden)`` rows, each sequence over its own tokens.
        One GEMM projects the queries, keys and values together (their weights stacked per
        call: a copy far cheaper than the two GEMM passes it saves)."""
        lins = (self.query, self.key, self.value)
        if all(_plain_linear(lin) for lin in lins):
            qkv = F.linear(rows, concatenate([lin.weight for lin in lins], axis=0),
                           concatenate([lin.bias for lin in lins], axis=0))
        else:  # modules put in their place run as they are
            qkv = concatenate([lin(rows) for lin in lins], axis=1)
        p = self.dropout.p if self.training else 0.0
        ctx = packed_self_attention(qkv, self.num_attention_heads, packing.offsets, p, device=rows.device)
        return ctx.reshape(rows.shape[0], self.all_head_size)


class _DenseResidualNorm(nn.Module):
    """``LayerNorm(dropout(dense(h)) + residual)``, the closing block of both sub-layers;
    ``in_features`` is the width of ``h``."""

    def __init__(self, config: BERTConfig, in_features: int):
        super().__init__()
        self.dense = nn.Linear(in_features, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states, input_tensor):
        ln, h = self.LayerNorm, self.dropout(self.dense(hidden_states))
        if type(ln) is not nn.LayerNorm:  # a module put in its place runs as it is
            return ln(h + input_tensor)
        return F.add_layer_norm(h, input_tensor, ln.normalized_shape, ln.weight, ln.bias, ln.eps)


class BERTSelfOutput(_DenseResidualNorm):
    """Attention output projection, dropout, residual and LayerNorm."""

    def __init__(self, config: BERTConfig):
        super().__init__(config, config.hidden_size)


class BERTAttention(nn.Module):
    """Attention (``self``) followed by its output block (``output``); the same block serves
    as a decoder layer's ``crossattention`` (keys and values from ``key_value_states``)."""

    def __init__(self, config: BERTConfig, layer_idx: int = 0):
        super().__init__()
        self.self = BERTSelfAttention(config, layer_idx)
        self.output = BERTSelfOutput(config)

    def forward(self, hidden_states, attention_mask=None, key_value_states=None, cache=None, packing=None):
        return self.output(self.self(hidden_states, attention_mask, key_value_states, cache, packing), hidden_states)


class BERTIntermediate(nn.Module):
    """Feed-forward expansion: dense to ``intermediate_size`` and the activation."""

    def __init__(self, config: BERTConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = nn.utils.get_activation_from_name(config.hidden_act)

    def forward(self, hidden_states):
        return self.intermediate_act_fn(self.dense(hidden_states))


class BERTOutput(_DenseResidualNorm):
    """Feed-forward contraction, dropout, residual and LayerNorm."""

    def __init__(self, config: BERTConfig):
        super().__init__(config, config.intermediate_size)


class BERTLayer(nn.Module):
    """One encoder layer: attention block, (in a decoder with ``add_cross_attention``, the
    cross-attention block over ``encoder_hidden_states``,) then the feed-forward block; the
    output keeps the input's ``(batch, seq, hidden)`` shape.

    With ``config.chunk_size_feed_forward = n > 0`` the feed-forward block runs on ``n``
    positions at a time (it is position-wise, so the result is the same; the
    ``intermediate_size``-wide activations exist for one chunk at a time).

    Example:
        >>> from lucid.models import BERTConfig
        >>> layer = BERTLayer(BERTConfig(hidden_size=8, num_attention_heads=2, intermediate_size=16))
        >>> [name for name, _ in layer.named_parameters()][:3]
        ['attention.self.query.weight', 'attention.self.query.bias', 'attention.self.key.weight']
    """

    def __init__(self, config: BERTConfig, layer_idx: int = 0):
        super().__init__()
        self.attention = BERTAttention(config, layer_idx)
        if config.add_cross_attention:
            self.crossattention = BERTAttention(config, layer_idx)
        self.intermediate = BERTIntermediate(config)
        self.output = BERTOutput(config)
        self.chunk_size_feed_forward = config.chunk_size_feed_forward

    def forward(self, hidden_states, attention_mask=None, encoder_hidden_states=None, encoder_attention_mask=None,
                cache=None, packing=None):
        attention_output = self.attention(hidden_states, attention_mask, cache=cache, packing=packing)
        if encoder_hidden_states is not None:
            attention_output = self.crossattention(attention_output, encoder_attention_mask,
                                                   encoder_hidden_states, cache)
        n = self.chunk_size_feed_forward
        axis = 0 if packing is not None else 1  # packed rows are (tokens, hidden)
        if n and attention_output.shape[axis] > n:
            index = (slice(None),) * axis
            chunks = [attention_output[index + (slice(i, i + n),)] for i in range(0, attention_output.shape[axis], n)]
            return concatenate([self._feed_forward(c) for c in chunks], axis=axis)
        return self._feed_forward(attention_output)

    def first_tokens(self, hidden_states, attention_mask=None, packing=None):
        """The layer's output at each sequence's first position only, ``(batch, hidden)``: all
        that a pooler reads from the last layer (an encoder layer without cross-attention)."""
        attention = self.attention
        first = packing.firsts(hidden_states) if packing is not None else hidden_states[:, 0]
        attention_output = attention.output(attention.self.first_query(hidden_states, attention_mask, packing), first)
        return self._feed_forward(attention_output)

    def _feed_forward(self, attention_output):
        return self.output(self.intermediate(attention_output), attention_output)


class BERTEncoder(nn.Module):
    """``num_hidden_layers`` :class:`BERTLayer` s in a ``ModuleList`` named ``layer``."""

    def __init__(self, config: BERTConfig):
        super().__init__()
        self.layer = nn.ModuleList([BERTLayer(config, i) for i in range(config.num_hidden_layers)])

    def forward(self, hidden_states, attention_mask=None, encoder_hidden_states=None, encoder_attention_mask=None,
                cache=None, packing=None, first_only=False):
        last = len(self.layer) - 1 if first_only else None  # the last layer: first positions only
        for i, layer in enumerate(self.layer):
            if i == last:
                return layer.first_tokens(hidden_states, attention_mask, packing)
            hidden_states = layer(hidden_states, attention_mask, encoder_hidden_states, encoder_attention_mask, cache,
                                  packing)
        return hidden_states


class BERTPooler(nn.Module):
    """``tanh(dense(h[:, 0]))``: the ``[CLS]`` token's representation for classification."""

    def __init__(self, config: BERTConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = nn.Tanh()

    def forward(self, hidden_states):
        return self.activation(self.dense(hidden_states[:, 0]))


class BERT(SharedMethods, PretrainedMixin, nn.Module):
    """The BERT encoder: embeddings, ``num_hidden_layers`` transformer layers and (with
    ``config.add_pooling_layer``) the ``[CLS]`` pooler.

    Args:
        config: the model's :class:`BERTConfig`.
        add_pooling_layer: (keyword-only, a lucid addition) override ``config.add_pooling_layer``
            (the masked-LM model builds its backbone without a pooler, as Hugging Face does).

    It has the methods every BERT model shares: ``get_input_embeddings``,
    ``set_input_embeddings``, ``get_output_embeddings`` (None: the backbone has no LM head),
    ``set_output_embeddings`` and ``tie_weights``.

    ``forward(input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
    inputs_embeds=None, *, encoder_hidden_states=None, encoder_attention_mask=None,
    past_key_values=None, use_cache=None)`` returns ``(sequence_output, pooled_output)``:
    hidden states of shape ``(batch, seq, hidden)`` and the pooled ``(batch, hidden)``
    ``[CLS]`` features, or ``None`` without a pooler. Pass exactly one of ``input_ids`` and
    ``inputs_embeds``.

    A decoder (``config.is_decoder``) attends causally. It may take a
    :class:`~lucid.nn.KVCache` as ``past_key_values``: the cache the caller owns, which the
    forward reads and then extends with this call's positions (their default position ids
    follow the cached ones, and a 2-D ``attention_mask`` covers cached and new positions,
    ``(batch, past + seq)``). ``use_cache`` None or True goes with a cache; ``use_cache=True``
    without one, or ``False`` with one, is an error (the forward returns no cache, so there
    would be nothing to keep). ``config.use_cache`` is stored for Hugging Face's
    ``config.json`` and does not change a forward. With ``config.add_cross_attention``,
    ``encoder_hidden_states`` ``(batch, source, hidden)`` and its ``encoder_attention_mask``
    ``(batch, source)`` feed each layer's cross-attention (skipped when not given, as in
    Hugging Face).

    Example:
        >>> import lucid
        >>> from lucid.models import BERT, BERTConfig
        >>> cfg = BERTConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
        ...                  intermediate_size=32, max_position_embeddings=32)
        >>> model = BERT(cfg).eval()
        >>> seq, pooled = model(input_ids=lucid.tensor([[2, 7, 9, 0]]), attention_mask=lucid.tensor([[1, 1, 1, 0]]))
        >>> seq.shape, pooled.shape
        ((1, 4, 16), (1, 16))
    """

    _hf_architecture = "BertModel"
    #: Run batches packed (a lucid addition; class-wide, or per model instance): with a 2-D
    #: ``attention_mask`` (or none), only the real tokens are computed and padded positions of
    #: the outputs are zeros. False computes every position, as Hugging Face does.
    packing = True

    def __init__(self, config: BERTConfig, *, add_pooling_layer: bool | None = None):
        super().__init__()
        if not isinstance(config, BERTConfig):
            raise TypeError(f"config must be a BERTConfig, got {type(config).__name__}")
        if config.add_cross_attention and not config.is_decoder:
            raise ValueError("add_cross_attention=True needs is_decoder=True (cross-attention belongs to a decoder)")
        self.config = config
        self.embeddings = BERTEmbeddings(config)
        self.encoder = BERTEncoder(config)
        pool = config.add_pooling_layer if add_pooling_layer is None else add_pooling_layer
        self.pooler = BERTPooler(config) if pool else None
        self.apply(lambda m: init_bert_weights(m, config))

    @property
    def device(self) -> str:
        """The device of the model's parameters (``"cpu"`` or ``"gpu"``)."""
        return self.embeddings.word_embeddings.weight.device

    @property
    def dtype(self):
        """The floating dtype of the model's parameters."""
        return self.embeddings.word_embeddings.weight.dtype

    def _as_ids(self, ids, name):
        """``ids`` as an integer tensor on the model's device (lists and arrays are accepted)."""
        if ids is None:
            return None
        if not isinstance(ids, Tensor):
            try:
                ids = Tensor(ids, device=self.device)
            except (TypeError, ValueError) as err:
                raise (TypeError if isinstance(err, TypeError) else ValueError)(f"{name} must be integer token ids (a Tensor, an array or nested lists of "
                                f"ints), got {type(ids).__name__}: {err}") from err
        else:
            _backend.check_on(self.device, ids, name)
        if ids.dtype.kind not in "iu":
            raise TypeError(f"{name} must be an integer tensor, got dtype {ids.dtype}")
        return ids

    @staticmethod
    def _check_ids(ids, name, bound, field, shape=None):
        """Every id of ``ids`` in ``[0, bound)`` (``field`` names the config value) and, with
        ``shape`` (the input's ``(batch, seq)``), ``ids`` of that shape or ``(1, seq)``. One
        min and one max over the ids: cheap next to the forward."""
        if ids is None:
            return
        if shape is not None and ids.shape != shape and ids.shape != (1, shape[1]):
            raise ValueError(f"{name} of shape {ids.shape} does not match the input's (batch, sequence) shape {shape}")
        if ids.data.size:
            lo, hi = int(ids.data.min()), int(ids.data.max())
            if lo < 0 or hi >= bound:
                raise IndexError(f"{name} holds id {lo if lo < 0 else hi}, outside [0, {bound}) ({field}={bound})")

    def _cache(self, past_key_values, use_cache):
        """The KV cache this forward reads and extends, or None (checks the combination)."""
        if past_key_values is None:
            if use_cache:
                raise ValueError("use_cache=True needs past_key_values=lucid.nn.KVCache() to fill: the forward "
                                 "returns no cache of its own")
            return None
        if not isinstance(past_key_values, KVCache):
            raise TypeError(f"past_key_values must be a lucid.nn.KVCache, got {type(past_key_values).__name__}")
        if not self.config.is_decoder:
            raise ValueError("past_key_values needs a decoder (config.is_decoder=True); this model attends "
                             "both ways, so earlier positions change with every new one")
        if use_cache is False:
            raise ValueError("use_cache=False contradicts past_key_values: pass one or the other")
        return past_key_values

    def _encoder_states(self, encoder_hidden_states, encoder_attention_mask, batch, seq, dtype):
        """The checked cross-attention inputs: the states and their additive mask."""
        if encoder_hidden_states is None:
            if encoder_attention_mask is not None:
                raise ValueError("encoder_attention_mask was given without encoder_hidden_states")
            return None, None
        if not self.config.add_cross_attention:
            raise ValueError("encoder_hidden_states needs a model with cross-attention "
                             "(config.is_decoder=True and config.add_cross_attention=True)")
        states = encoder_hidden_states
        if not isinstance(states, Tensor):
            states = Tensor(states, device=self.device, dtype=self.dtype)
        _backend.check_on(self.device, states, "encoder_hidden_states")
        if states.ndim != 3 or states.shape[0] != batch or states.shape[-1] != self.config.hidden_size:
            raise ValueError(f"encoder_hidden_states must have shape (batch={batch}, source, "
                             f"{self.config.hidden_size}), got {states.shape}")
        mask = extended_attention_mask(encoder_attention_mask, batch, seq, dtype, self.device, key_len=states.shape[1])
        return states, mask

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, *, encoder_hidden_states=None, encoder_attention_mask=None,
                past_key_values=None, use_cache=None):
        hidden, packing = self.hidden_rows(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                                           encoder_hidden_states=encoder_hidden_states,
                                           encoder_attention_mask=encoder_attention_mask,
                                           past_key_values=past_key_values, use_cache=use_cache)
        if packing is None:
            return hidden, self.pooler(hidden) if self.pooler is not None else None
        pooled_output = self.pooler(packing.firsts(hidden).unsqueeze(1)) if self.pooler is not None else None
        return packing.unpack(hidden), pooled_output

    def hidden_rows(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                    inputs_embeds=None, *, encoder_hidden_states=None, encoder_attention_mask=None,
                    past_key_values=None, use_cache=None, pack=None):
        """The last hidden states as :meth:`forward` computes them, before they are laid out
        as ``(batch, seq, hidden)``: ``(rows, packing)``. With packing (see :attr:`packing`),
        ``rows`` are the real tokens' ``(tokens, hidden)`` states and ``packing`` a
        :class:`~lucid.models.bert._packing.Packing` that puts them back in place
        (``packing.unpack(rows)``); otherwise ``rows`` is the ``(batch, seq, hidden)`` output
        and ``packing`` None. Token-wise heads run on the rows, so they skip padding too.
        ``pack=False`` computes every position for this call (None: :attr:`packing` decides).

        Example:
            >>> import lucid
            >>> from lucid.models import BERT, BERTConfig
            >>> model = BERT(BERTConfig.tiny(vocab_size=30)).eval()
            >>> rows, packing = model.hidden_rows(lucid.tensor([[2, 5, 0], [2, 0, 0]]),
            ...                                   attention_mask=lucid.tensor([[1, 1, 0], [1, 0, 0]]))
            >>> rows.shape, packing.unpack(rows).shape
            ((3, 128), (2, 3, 128))
        """
        return self._run(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds, encoder_hidden_states,
                         encoder_attention_mask, past_key_values, use_cache, pack, False)

    def pooled_output(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                      inputs_embeds=None):
        """The pooled ``[CLS]`` features ``(batch, hidden)`` of :meth:`forward`, computing in
        the last layer only what the pooler reads: the first position's query, attention output
        and feed-forward. Its attention still reads every real token, with the key and value
        projections folded into that one query (``BERTSelfAttention.first_query``).

        Example:
            >>> import lucid
            >>> from lucid.models import BERT, BERTConfig
            >>> model = BERT(BERTConfig.tiny(vocab_size=30)).eval()
            >>> ids, mask = lucid.tensor([[2, 5, 7], [2, 6, 0]]), lucid.tensor([[1, 1, 1], [1, 1, 0]])
            >>> float(abs(model.pooled_output(ids, mask) - model(ids, mask)[1]).max()) < 1e-6
            True
        """
        if self.pooler is None:
            raise ValueError("this model has no pooler (add_pooling_layer=False): there is no pooled output")
        first = self._run(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds, None, None, None,
                          None, None, True)
        return self.pooler(first.unsqueeze(1))

    def _run(self, input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds, encoder_hidden_states,
             encoder_attention_mask, past_key_values, use_cache, pack, first_only):
        """:meth:`hidden_rows`; with ``first_only`` (no cache, no cross-attention), the last layer computes each
        sequence's first position only and the ``(batch, hidden)`` rows are returned."""
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("pass exactly one of input_ids and inputs_embeds")
        cfg = self.config
        if input_ids is not None:
            input_ids = self._as_ids(input_ids, "input_ids")
            if input_ids.ndim != 2:
                raise ValueError(f"input_ids must be 2-D (batch, sequence), got shape {input_ids.shape}")
            b, s = input_ids.shape
        else:
            if not isinstance(inputs_embeds, Tensor):
                inputs_embeds = Tensor(inputs_embeds, device=self.device, dtype=self.dtype)
            _backend.check_on(self.device, inputs_embeds, "inputs_embeds")
            if inputs_embeds.ndim != 3 or inputs_embeds.shape[-1] != self.config.hidden_size:
                raise ValueError(
                    f"inputs_embeds must have shape (batch, sequence, {self.config.hidden_size}), "
                    f"got {inputs_embeds.shape}"
                )
            b, s = inputs_embeds.shape[:2]
        if b == 0 or s == 0:
            raise ValueError(f"the input of shape {(b, s)} is empty: give at least one sequence of one token")
        cache = self._cache(past_key_values, use_cache)
        past = cache.get_seq_length() if cache is not None else 0
        # the sequence length is checked once, by the embeddings (they hold the position table)
        token_type_ids = self._as_ids(token_type_ids, "token_type_ids")
        position_ids = self._as_ids(position_ids, "position_ids")
        # checked here so a bad id is named by its argument, not as an embedding row
        self._check_ids(input_ids, "input_ids", cfg.vocab_size, "vocab_size")
        self._check_ids(token_type_ids, "token_type_ids", cfg.type_vocab_size, "type_vocab_size", (b, s))
        self._check_ids(position_ids, "position_ids", cfg.max_position_embeddings, "max_position_embeddings", (b, s))
        pack = self.packing if pack is None else pack
        packing = Packing.of(attention_mask, b, s, self.device) if pack and not cfg.is_decoder else None
        hidden = self.embeddings(input_ids=input_ids, token_type_ids=token_type_ids, position_ids=position_ids,
                                 inputs_embeds=inputs_embeds, past_length=past, packing=packing)
        if packing is not None:
            rows = self.encoder(hidden, packing=packing, first_only=first_only)
            return rows if first_only else (rows, packing)
        if cfg.is_decoder:
            mask = causal_attention_mask(attention_mask, b, s, past, hidden.dtype, self.device)
        else:
            mask = extended_attention_mask(attention_mask, b, s, hidden.dtype, self.device)
        states, states_mask = self._encoder_states(encoder_hidden_states, encoder_attention_mask, b, s, hidden.dtype)
        if first_only:
            return self.encoder(hidden, mask, first_only=True)
        return self.encoder(hidden, mask, states, states_mask, cache), None
