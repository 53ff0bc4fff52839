"""``BERTConfig``: the hyper-parameters of a BERT model, with Hugging Face field names.

The fields come in the original Lucid's order (so positional construction written for it
gives the same config), then lucid's own; their names mirror ``transformers.BertConfig``, so
a Hugging Face ``config.json`` maps onto them one to one (``tie_word_embedding`` is HF's
``tie_word_embeddings``). Keys of a ``config.json`` that lucid does not use (``problem_type``,
...) are kept in ``extra`` and written back on save.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["BERTConfig", "ACTIVATIONS"]

# hidden_act names lucid implements (Hugging Face's spellings; gelu_new and gelu_pytorch_tanh
# are the tanh approximation, gelu the exact erf form).
ACTIVATIONS = ("gelu", "gelu_new", "gelu_pytorch_tanh", "relu", "tanh")

# Defaults of the special-token ids used by masked-LM masking when the config names none:
# the ids of the bert-base-uncased vocabulary.
DEFAULT_SPECIAL_IDS = {"mask_token_id": 103, "cls_token_id": 101, "sep_token_id": 102, "pad_token_id": 0}

_SIZE_FIELDS = (
    "vocab_size", "hidden_size", "num_attention_heads", "num_hidden_layers", "intermediate_size",
    "max_position_embeddings", "type_vocab_size",
)
_PROB_FIELDS = ("hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout")
_TOKEN_FIELDS = ("pad_token_id", "bos_token_id", "eos_token_id", "mask_token_id", "cls_token_id", "sep_token_id")
_BOOL_FIELDS = ("tie_word_embedding", "use_cache", "is_decoder", "add_cross_attention", "add_pooling_layer")
# lucid name -> Hugging Face config.json name, where they differ
_HF_RENAMES = {"tie_word_embedding": "tie_word_embeddings"}


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _preset(hidden, layers, doc):
    """A classmethod building a config of one public BERT size: ``hidden`` wide, ``layers`` deep,
    hidden / 64 heads, a 4 x hidden feed-forward; keyword overrides win."""

    def preset(cls, *, is_decoder=False, use_cache=False, add_pooling_layer=True, vocab_size=30522, **overrides):
        params = dict(hidden_size=hidden, num_attention_heads=hidden // 64, num_hidden_layers=layers,
                      intermediate_size=4 * hidden, is_decoder=is_decoder, use_cache=use_cache,
                      add_pooling_layer=add_pooling_layer, vocab_size=vocab_size)
        params.update(overrides)
        return cls(**params)

    preset.__doc__ = doc
    return classmethod(preset)


def _label_maps(id2label, label2id):
    """``(id2label, label2id)`` checked and completed: int ids (JSON's string keys converted),
    string names, label2id the mirror of id2label; ``(None, None)`` when neither is given."""
    if id2label is None and label2id is None:
        return None, None
    if id2label is not None:
        if not isinstance(id2label, dict):
            raise ValueError(f"id2label must be a dict of id -> label name, got {id2label!r}")
        ids = {}
        for k, v in id2label.items():
            i = int(k) if isinstance(k, str) and k.isdigit() else k
            if not _is_int(i) or i < 0 or not isinstance(v, str):
                raise ValueError(f"id2label must map class ids >= 0 to label names (strings), got {k!r}: {v!r}")
            ids[i] = v
        # Written by hand, a checkpoint's label2id sometimes disagrees with its id2label (still
        # LABEL_0, ...); id2label names the outputs, so it wins and label2id is rebuilt from it.
        derived = {v: i for i, v in sorted(ids.items())}
        return dict(sorted(ids.items())), derived
    if not isinstance(label2id, dict):
        raise ValueError(f"label2id must be a dict of label name -> id, got {label2id!r}")
    for k, v in label2id.items():
        if not isinstance(k, str) or not _is_int(v) or v < 0:
            raise ValueError(f"label2id must map label names (strings) to ids >= 0, got {k!r}: {v!r}")
    return _label_maps({v: k for k, v in label2id.items()}, None)


@dataclass
class BERTConfig:
    """Hyper-parameters of a BERT model (defaults: ``bert-base-uncased``).

    Args:
        vocab_size: number of token ids.
        hidden_size: width of every hidden state; a multiple of ``num_attention_heads``.
        num_attention_heads: attention heads per layer.
        num_hidden_layers: number of encoder layers.
        intermediate_size: width of the feed-forward layer.
        hidden_act: feed-forward activation: one of ``ACTIVATIONS`` (``"gelu"`` is the exact erf
            form) or a callable taking and returning a Tensor (such a config cannot be saved as JSON).
        hidden_dropout_prob: dropout on embeddings and sub-layer outputs.
        attention_probs_dropout_prob: dropout on attention probabilities.
        max_position_embeddings: longest sequence the position table covers.
        tie_word_embedding: share the LM decoder weight with the word embeddings.
        type_vocab_size: number of segment (token type) ids.
        initializer_range: standard deviation of the normal weight initialisation.
        layer_norm_eps: epsilon of every LayerNorm.
        use_cache: let a decoder keep past keys and values (a KV cache) for incremental decoding.
        is_decoder: make self-attention causal (each position sees itself and earlier ones).
        add_cross_attention: give each layer cross-attention to ``encoder_hidden_states``.
        chunk_size_feed_forward: when > 0, run the feed-forward block over that many positions
            at a time (same result, less memory); 0 runs it at once.
        pad_token_id: id of ``[PAD]``; its word-embedding row starts at zero (``None``: no padding row).
        bos_token_id, eos_token_id: ids that start and end a generated sequence (``None``: unset).
        classifier_dropout: dropout before the classifier (``None``: ``hidden_dropout_prob``).
        add_pooling_layer: give the backbone its ``[CLS]`` pooler (dense + tanh).
        mask_token_id, cls_token_id, sep_token_id: special ids used by
            ``BERTForMaskedLM.create_masked_lm_inputs``; ``None`` means the
            bert-base-uncased ids 103, 101 and 102.
        id2label, label2id: class names of a classifier, ``{id: name}`` and ``{name: id}`` (Hugging
            Face's fields; either one is enough: label2id is always rebuilt as id2label's mirror).
            ``config.json`` stores the ids as strings; here they are ints, as in ``transformers``.
            ``None``: unnamed.
        extra: keys of a Hugging Face ``config.json`` lucid does not use, kept for saving.

    Raises:
        ValueError: naming the field, for sizes below 1, a ``hidden_size`` not divisible by
            ``num_attention_heads``, probabilities outside ``[0, 1]``, non-finite numbers, an
            unknown ``hidden_act`` or a special-token id outside the vocabulary.

    Example:
        >>> from lucid.models import BERTConfig
        >>> cfg = BERTConfig.base(num_hidden_layers=2)
        >>> cfg.hidden_size, cfg.num_hidden_layers
        (768, 2)
        >>> BERTConfig(1000, 64, 4, 2).num_attention_heads  # the original's positional order
        4
        >>> BERTConfig(hidden_size=30, num_attention_heads=4)
        Traceback (most recent call last):
        ...
        ValueError: hidden_size (30) must be a multiple of num_attention_heads (4)
    """

    vocab_size: int = 30522
    hidden_size: int = 768
    num_attention_heads: int = 12
    num_hidden_layers: int = 12
    intermediate_size: int = 3072
    hidden_act: str | Callable = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    tie_word_embedding: bool = True
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    use_cache: bool = False
    is_decoder: bool = False
    add_cross_attention: bool = False
    chunk_size_feed_forward: int = 0
    pad_token_id: int | None = 0
    bos_token_id: int | None = None
    eos_token_id: int | None = None
    classifier_dropout: float | None = None
    add_pooling_layer: bool = True
    mask_token_id: int | None = None
    cls_token_id: int | None = None
    sep_token_id: int | None = None
    id2label: dict | None = None
    label2id: dict | None = None
    extra: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        for name in _SIZE_FIELDS:
            v = getattr(self, name)
            if not _is_int(v) or v < 1:
                raise ValueError(f"{name} must be an int >= 1, got {v!r}")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) must be a multiple of num_attention_heads "
                f"({self.num_attention_heads})"
            )
        for name in _PROB_FIELDS:
            v = getattr(self, name)
            if v is None and name == "classifier_dropout":
                continue
            if not _is_number(v) or not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1], got {v!r}")
        if not callable(self.hidden_act) and self.hidden_act not in ACTIVATIONS:
            raise ValueError(f"hidden_act {self.hidden_act!r} is not supported; choose one of {list(ACTIVATIONS)} "
                             "or pass a callable")
        if not _is_number(self.initializer_range) or self.initializer_range < 0:
            raise ValueError(f"initializer_range must be a finite number >= 0, got {self.initializer_range!r}")
        if not _is_number(self.layer_norm_eps) or self.layer_norm_eps <= 0:
            raise ValueError(f"layer_norm_eps must be a finite number > 0, got {self.layer_norm_eps!r}")
        if not _is_int(self.chunk_size_feed_forward) or self.chunk_size_feed_forward < 0:
            raise ValueError(f"chunk_size_feed_forward must be an int >= 0, got {self.chunk_size_feed_forward!r}")
        for name in _TOKEN_FIELDS:
            v = getattr(self, name)
            if v is not None and (not _is_int(v) or not 0 <= v < self.vocab_size):
                raise ValueError(f"{name} must be None or an id in [0, vocab_size={self.vocab_size}), got {v!r}")
        for name in _BOOL_FIELDS:
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be a bool, got {getattr(self, name)!r}")
        self.id2label, self.label2id = _label_maps(self.id2label, self.label2id)
        if not isinstance(self.extra, dict):
            raise ValueError(f"extra must be a dict, got {type(self.extra).__name__}")
        # Hugging Face options that change the math lucid implements must not pass silently.
        unsupported = {"model_type": "bert", "position_embedding_type": "absolute"}
        for key, ok in unsupported.items():
            if key in self.extra and self.extra[key] not in (ok, None):
                raise ValueError(f"{key}={self.extra[key]!r} is not supported by lucid's BERT (only {ok!r})")

    # ---- presets ----------------------------------------------------------------------
    base = _preset(768, 12, """The BERT-Base shape (12 layers, hidden 768, 12 heads, 3072 wide), with ``overrides``.

        Example:
            >>> BERTConfig.base(vocab_size=1000).vocab_size
            1000
        """)
    large = _preset(1024, 24, """The BERT-Large shape (24 layers, hidden 1024, 16 heads, 4096 wide), with ``overrides``.

        Example:
            >>> BERTConfig.large().num_hidden_layers
            24
        """)
    tiny = _preset(128, 2, """BERT-Tiny: 2 layers, hidden 128, 2 heads, 512 wide, with ``overrides``.

        Example:
            >>> c = BERTConfig.tiny()
            >>> c.num_hidden_layers, c.hidden_size, c.num_attention_heads, c.intermediate_size
            (2, 128, 2, 512)
        """)
    mini = _preset(256, 4, """BERT-Mini: 4 layers, hidden 256, 4 heads, 1024 wide, with ``overrides``.

        Example:
            >>> BERTConfig.mini().hidden_size
            256
        """)
    small = _preset(512, 4, """BERT-Small: 4 layers, hidden 512, 8 heads, 2048 wide, with ``overrides``.

        Example:
            >>> BERTConfig.small().num_attention_heads
            8
        """)
    medium = _preset(512, 8, """BERT-Medium: 8 layers, hidden 512, 8 heads, 2048 wide, with ``overrides``.

        Example:
            >>> BERTConfig.medium().num_hidden_layers
            8
        """)

    # ---- derived values -----------------------------------------------------------------
    @property
    def head_dim(self) -> int:
        """Width of one attention head (``hidden_size // num_attention_heads``)."""
        return self.hidden_size // self.num_attention_heads

    def special_token_id(self, name: str) -> int:
        """The id of ``"mask_token_id"``, ``"cls_token_id"``, ``"sep_token_id"`` or
        ``"pad_token_id"``, falling back to bert-base-uncased's ids when unset.

        Example:
            >>> BERTConfig().special_token_id("mask_token_id")
            103
        """
        v = getattr(self, name)
        return DEFAULT_SPECIAL_IDS[name] if v is None else v

    def replace(self, **changes) -> "BERTConfig":
        """A validated copy with ``changes`` applied.

        Example:
            >>> BERTConfig().replace(num_hidden_layers=3).num_hidden_layers
            3
        """
        changes.setdefault("extra", dict(self.extra))
        return dataclasses.replace(self, **changes)

    # ---- dict / JSON --------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: dict) -> "BERTConfig":
        """Build a config from a (Hugging Face) ``config.json`` dict; unknown keys go to ``extra``.

        Example:
            >>> cfg = BERTConfig.from_dict({"hidden_size": 64, "num_attention_heads": 4, "output_past": True})
            >>> cfg.hidden_size, cfg.extra
            (64, {'output_past': True})
        """
        if not isinstance(d, dict):
            raise TypeError(f"expected a dict of config values, got {type(d).__name__}")
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        hf_to_lucid = {v: k for k, v in _HF_RENAMES.items()}
        known, extra = {}, dict(d.get("extra", {}) or {})
        for key, value in d.items():
            if key == "extra":
                continue
            name = hf_to_lucid.get(key, key)
            if name in names:
                known[name] = value
            else:
                extra[key] = value
        return cls(**known, extra=extra)

    def to_dict(self) -> dict:
        """A Hugging Face style dict: ``model_type`` ``"bert"``, HF spellings, ``extra`` merged in.

        Example:
            >>> d = BERTConfig().to_dict()
            >>> d["model_type"], d["tie_word_embeddings"]
            ('bert', True)
        """
        out = {"model_type": "bert"}
        out.update(self.extra)
        for f in dataclasses.fields(self):
            if f.name == "extra":
                continue
            value = getattr(self, f.name)
            if f.name in ("id2label", "label2id"):
                # from id2label alone, so one assigned by hand saves consistently (and validated)
                value = _label_maps(self.id2label, None if self.id2label is not None else self.label2id)
                value = value[f.name == "label2id"]
                if value is not None and f.name == "id2label":
                    value = {str(k): v for k, v in value.items()}  # JSON object keys are strings
            if f.name in ("mask_token_id", "cls_token_id", "sep_token_id", "id2label", "label2id") and value is None:
                continue  # unset: leave Hugging Face's own defaults alone
            out[_HF_RENAMES.get(f.name, f.name)] = value
        return out

    @classmethod
    def from_json(cls, path) -> "BERTConfig":
        """Read a ``config.json`` file (Hugging Face or lucid).

        Example:
            >>> import os, tempfile
            >>> path = os.path.join(tempfile.mkdtemp(), "config.json")
            >>> BERTConfig(num_hidden_layers=2).to_json(path)
            >>> BERTConfig.from_json(path).num_hidden_layers
            2
        """
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"no config file at {path!r}")
        with open(path, encoding="utf-8") as f:
            try:
                d = json.load(f)
            except ValueError as err:  # bad JSON or bad UTF-8
                raise ValueError(f"{path!r} is not valid JSON: {err}") from err
        if not isinstance(d, dict):
            raise ValueError(f"{path!r} must hold a JSON object of config values, got {type(d).__name__}")
        try:
            return cls.from_dict(d)
        except (TypeError, ValueError) as err:  # name the file as well as the field
            raise (TypeError if isinstance(err, TypeError) else ValueError)(f"{path!r}: {err}") from err

    def _json_bytes(self, **more) -> bytes:
        if callable(self.hidden_act):
            raise ValueError(f"hidden_act {self.hidden_act!r} is a callable; config.json can only hold an "
                             f"activation name, one of {list(ACTIVATIONS)}")
        d = self.to_dict()
        d.update(more)
        return (json.dumps(d, indent=2, sort_keys=True) + "\n").encode("utf-8")

    def to_json(self, path, **more) -> None:
        """Write the config (plus any ``more`` keys, e.g. ``architectures``) as JSON, atomically."""
        from ...serialization import atomic_write_bytes

        atomic_write_bytes(os.fspath(path), self._json_bytes(**more))

    @classmethod
    def from_pretrained(cls, folder) -> "BERTConfig":
        """Read ``folder/config.json``; FileNotFoundError naming the folder when it or its
        ``config.json`` is missing.

        Example:
            >>> import tempfile
            >>> folder = tempfile.mkdtemp()
            >>> BERTConfig(vocab_size=50).save_pretrained(folder)
            >>> BERTConfig.from_pretrained(folder).vocab_size
            50
        """
        folder = os.fspath(folder)
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"no model folder at {folder!r}")
        path = os.path.join(folder, "config.json")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"model folder {folder!r} has no config.json")
        return cls.from_json(path)

    def save_pretrained(self, folder, **more) -> None:
        """Write ``folder/config.json`` (the folder is created when missing)."""
        folder = os.fspath(folder)
        os.makedirs(folder, exist_ok=True)
        self.to_json(os.path.join(folder, "config.json"), **more)
