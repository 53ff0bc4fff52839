"""Layers and containers."""

from .activation import GELU, ReLU, Tanh
from .container import ModuleDict, ModuleList, Sequential
from .dropout import Dropout
from .linear import Identity, Linear
from .norm import LayerNorm
from .sparse import Embedding

__all__ = [
    "Dropout", "Embedding", "GELU", "Identity", "LayerNorm", "Linear", "ModuleDict", "ModuleList", "ReLU",
    "Sequential", "Tanh",
]
