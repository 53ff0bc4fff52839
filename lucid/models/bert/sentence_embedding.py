"""``BERTForSentenceEmbedding``: one vector per text, as sentence-transformers computes it.

A sentence-transformers folder is a Hugging Face BERT folder plus ``modules.json`` (the
pipeline: Transformer, Pooling, optionally Normalize), ``1_Pooling/config.json`` (the
pooling mode) and ``sentence_bert_config.json`` (``max_seq_length``). Lucid reads those
three module types; pooling is the mean of the last hidden states over the attention mask,
the ``[CLS]`` state, or their maximum. A plain BERT folder (no ``modules.json``) gets mean
pooling without normalisation, as sentence-transformers gives it.
"""

from __future__ import annotations

import json
import os

import numpy as np

from ..._tensor import Tensor
from ...ops import where
from ._batching import EncodedTexts
from ._task import TaskModel
from .config import BERTConfig
from .modeling import BERT

__all__ = ["BERTForSentenceEmbedding", "POOLING_MODES", "read_sentence_settings"]

#: Pooling modes, each with its key in sentence-transformers' ``1_Pooling/config.json``.
POOLING_MODES = {"mean": "pooling_mode_mean_tokens", "cls": "pooling_mode_cls_token", "max": "pooling_mode_max_tokens"}
_OTHER_MODES = ("pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken")
_ST = "sentence_transformers.models."


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except ValueError as err:
        raise ValueError(f"{path!r} is not valid JSON: {err}") from err


def _pooling_mode(path) -> str:
    cfg = _read_json(path)
    if not isinstance(cfg, dict):
        raise ValueError(f"{path!r} must hold a JSON object of pooling settings")
    on = [mode for mode, key in POOLING_MODES.items() if cfg.get(key)] + [k for k in _OTHER_MODES if cfg.get(k)]
    if len(on) != 1 or on[0] not in POOLING_MODES:
        raise ValueError(f"{path!r} turns on pooling {on}; lucid pools with exactly one of {list(POOLING_MODES)}")
    return on[0]


def read_sentence_settings(folder) -> dict:
    """``{"pooling", "normalize", "max_seq_length"}`` of a sentence-transformers folder (the
    keys its files set; ``{}`` for a plain BERT folder).

    Raises:
        ValueError: naming the file, for a module lucid does not run (Dense, ...), a
            transformer kept outside the folder's top level, or a pooling mode other than one
            of mean / cls / max.

    Example:
        >>> import json, os, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> with open(os.path.join(folder, "modules.json"), "w") as f:
        ...     json.dump([{"path": "", "type": "sentence_transformers.models.Transformer"},
        ...                {"path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}], f)
        >>> read_sentence_settings(folder)
        {'normalize': True}
    """
    folder = os.fspath(folder)
    settings = {}
    modules_path = os.path.join(folder, "modules.json")
    if os.path.isfile(modules_path):
        modules = _read_json(modules_path)
        if not isinstance(modules, list) or not all(isinstance(m, dict) for m in modules):
            raise ValueError(f"{modules_path!r} must hold a JSON list of modules")
        for m in modules:
            kind, path = str(m.get("type", "")), str(m.get("path", ""))
            if kind == _ST + "Transformer" and path in ("", "."):
                continue
            if kind == _ST + "Pooling":
                settings["pooling"] = _pooling_mode(os.path.join(folder, path, "config.json"))
            elif kind == _ST + "Normalize":
                settings["normalize"] = True
            else:
                where_ = f" at {path!r}" if kind == _ST + "Transformer" else ""
                raise ValueError(f"{modules_path!r}: module {kind!r}{where_} is not supported; lucid runs a "
                                 "Transformer at the folder's top, Pooling and Normalize")
    st_config = os.path.join(folder, "sentence_bert_config.json")
    if os.path.isfile(st_config):
        length = (_read_json(st_config) or {}).get("max_seq_length")
        if length is not None:
            settings["max_seq_length"] = length
    return settings


def _positive_int(name, v):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"{name} must be an int >= 1, got {v!r}")
    return int(v)


def _l2_normalize(x):
    norm = (x * x).sum(axis=-1, keepdims=True).sqrt()
    return x / where(norm > 1e-12, norm, 1e-12)  # torch's F.normalize floor: a zero vector stays zero


class BERTForSentenceEmbedding(TaskModel):
    """BERT and a pooling step: one embedding per text (sentence-transformers' models).

    Args:
        config: the :class:`BERTConfig`.
        pooling: ``"mean"`` (the mean of the last hidden states over the attention mask),
            ``"cls"`` (the ``[CLS]`` state) or ``"max"`` (the maximum over real tokens).
        normalize: scale each embedding to unit length (sentence-transformers' Normalize).
        max_seq_length: texts are truncated to this many tokens (``None``: the model's
            ``max_position_embeddings``).
        add_pooling_layer: keep the backbone's ``[CLS]`` pooler (unused by the embedding; kept so
            a checkpoint holding one loads and saves whole).

    ``from_pretrained`` (a sentence-transformers folder, Hub repository id or
    :mod:`lucid.weights` entry) reads ``pooling``, ``normalize`` and ``max_seq_length`` from the
    folder's module files (``ValueError`` naming the file for modules or pooling modes lucid
    does not run); keywords given to it win. A plain BERT folder gets mean pooling.

    Example:
        >>> import lucid
        >>> from lucid.models import BERTConfig, BERTForSentenceEmbedding
        >>> cfg = BERTConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        ...                  intermediate_size=32, max_position_embeddings=16)
        >>> model = BERTForSentenceEmbedding(cfg, normalize=True)
        >>> emb = model(input_ids=lucid.tensor([[2, 7, 8, 3], [2, 9, 3, 0]]),
        ...             attention_mask=lucid.tensor([[1, 1, 1, 1], [1, 1, 1, 0]]))
        >>> emb.shape, round(float((emb * emb).sum(axis=-1)[0]), 4)
        ((2, 16), 1.0)
    """

    _hf_architecture = "BertModel"

    def __init__(self, config: BERTConfig, *, pooling="mean", normalize=False, max_seq_length=None,
                 add_pooling_layer=False):
        super().__init__(config)
        if pooling not in POOLING_MODES:
            raise ValueError(f"pooling must be one of {list(POOLING_MODES)}, got {pooling!r}")
        if not isinstance(normalize, bool):
            raise ValueError(f"normalize must be a bool, got {normalize!r}")
        if max_seq_length is not None:
            max_seq_length = _positive_int("max_seq_length", max_seq_length)
        self.pooling, self.normalize, self.max_seq_length = pooling, normalize, max_seq_length
        self.bert = BERT(config, add_pooling_layer=add_pooling_layer)

    @classmethod
    def _from_checkpoint_config(cls, config, arrays, **kwargs):
        kwargs.setdefault("add_pooling_layer", any(k.endswith("pooler.dense.weight") for k in arrays))
        return cls(config, **kwargs)

    @classmethod
    def _folder_kwargs(cls, folder) -> dict:
        # from_pretrained (both forms of lucid's BERT models) reads the folder's module files here
        return read_sentence_settings(folder)

    def save_pretrained(self, folder) -> None:
        """Write a sentence-transformers folder: the BERT files (``config.json``,
        ``model.safetensors``) and ``modules.json``, ``1_Pooling/config.json``,
        ``sentence_bert_config.json`` (and ``2_Normalize/`` when normalising)."""
        from ...serialization import atomic_write_bytes

        super().save_pretrained(folder)
        folder = os.fspath(folder)
        modules = [{"idx": 0, "name": "0", "path": "", "type": _ST + "Transformer"},
                   {"idx": 1, "name": "1", "path": "1_Pooling", "type": _ST + "Pooling"}]
        if self.normalize:
            modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": _ST + "Normalize"})
            os.makedirs(os.path.join(folder, "2_Normalize"), exist_ok=True)
        pooling = {"word_embedding_dimension": self.config.hidden_size, "pooling_mode_mean_sqrt_len_tokens": False}
        pooling.update({key: mode == self.pooling for mode, key in POOLING_MODES.items()})
        os.makedirs(os.path.join(folder, "1_Pooling"), exist_ok=True)
        files = {"modules.json": modules, os.path.join("1_Pooling", "config.json"): pooling,
                 "sentence_bert_config.json": {"max_seq_length": self._max_length(None), "do_lower_case": False}}
        for name, obj in files.items():
            atomic_write_bytes(os.path.join(folder, name), (json.dumps(obj, indent=2) + "\n").encode("utf-8"))

    def _max_length(self, max_length):
        longest = self.config.max_position_embeddings
        if max_length is not None:
            return _positive_int("max_length", max_length)
        return min(self.max_seq_length or longest, longest)

    def _pool(self, hidden, attention_mask, normalize):
        if attention_mask is None:
            mask = Tensor._wrap(hidden.xp.ones(hidden.shape[:2], dtype=hidden.dtype))
        else:
            if not isinstance(attention_mask, Tensor):
                attention_mask = Tensor(np.asarray(attention_mask), device=hidden.device)
            if attention_mask.ndim != 2:
                raise ValueError(f"pooling needs a 2-D (batch, seq) attention_mask, got shape {attention_mask.shape}")
            mask = attention_mask.astype(hidden.dtype)
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        elif self.pooling == "max":
            pooled = where(mask.unsqueeze(-1) > 0, hidden, -1e9).max(axis=1)
        else:
            counts = mask.data.sum(axis=1, keepdims=True)
            counts = Tensor._wrap(hidden.xp.maximum(counts, 1e-9))  # sentence-transformers' floor
            pooled = (hidden * mask.unsqueeze(-1)).sum(axis=1) / counts
        return _l2_normalize(pooled) if normalize else pooled

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None):
        """The pooled embeddings, ``(batch, hidden_size)`` (unit length when ``normalize``);
        differentiable, so the model can be fine-tuned.

        Args:
            input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds: as in
                :class:`BERT`; the attention mask (2-D) also says which positions are pooled.
        """
        hidden, _ = self._backbone(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        return self._pool(hidden, attention_mask, self.normalize)

    def encode_from_text(self, tokenizer, texts, *, batch_size=32, normalize=None, device=None, max_length=None,
                         progress=False):
        """Embed a text or a list of texts, ``batch_size`` at a time (longest texts first, in
        tokens, so each batch pads little), in eval mode without a graph.

        Args:
            tokenizer: a :class:`BERTTokenizerFast`.
            texts: a string or a list of strings.
            batch_size: texts per forward pass (an int >= 1).
            normalize: unit-length embeddings; ``None``: the model's setting.
            device: where to run (``None``: the model's device).
            max_length: truncate to this many tokens (``None``: ``max_seq_length``).
            progress: show a progress bar on standard error.

        Returns:
            A ``(len(texts), hidden_size)`` float Tensor in the order of ``texts`` (one string
            gives one row).

        Example:
            >>> from lucid.models import BERTConfig, BERTTokenizerFast
            >>> tok = BERTTokenizerFast(vocab={w: i for i, w in enumerate(
            ...     ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "good", "movie"])})
            >>> model = BERTForSentenceEmbedding(BERTConfig(vocab_size=8, hidden_size=8, num_hidden_layers=1,
            ...                                             num_attention_heads=2, intermediate_size=16))
            >>> model.encode_from_text(tok, ["a good movie", "a movie", "good"], batch_size=2).shape
            (3, 8)
        """
        if normalize is not None and not isinstance(normalize, bool):
            raise ValueError(f"normalize must be None or a bool, got {normalize!r}")
        normalize = self.normalize if normalize is None else normalize
        encoded = EncodedTexts(self, tokenizer, texts, None, device, self._max_length(max_length))

        def step(rows):
            enc = encoded.inputs(rows)
            hidden, _ = self._backbone(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"], None, None)
            return self._pool(hidden, enc["attention_mask"], normalize)

        return encoded.run(step, batch_size=batch_size, progress=progress)

    @staticmethod
    def similarity(a, b):
        """The cosine similarity of every row of ``a`` with every row of ``b``: a
        ``(len(a), len(b))`` Tensor (a 1-D input is one row).

        Example:
            >>> import lucid
            >>> BERTForSentenceEmbedding.similarity(lucid.tensor([[1.0, 0.0], [1.0, 1.0]]),
            ...                                     lucid.tensor([[2.0, 0.0]])).tolist()
            [[1.0], [0.7071067690849304]]
        """
        rows = []
        for name, x in (("a", a), ("b", b)):
            x = x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=np.float32))
            if x.ndim == 1:
                x = x.reshape(1, -1)
            if x.ndim != 2 or x.dtype.kind != "f":
                raise ValueError(f"{name} must be float embeddings of shape (n, dim) or (dim,), got {x.dtype} "
                                 f"of shape {x.shape}")
            rows.append(_l2_normalize(x))
        if rows[0].shape[1] != rows[1].shape[1]:
            raise ValueError(f"a and b have embeddings of different sizes: {rows[0].shape[1]} and {rows[1].shape[1]}")
        return rows[0] @ rows[1].T
