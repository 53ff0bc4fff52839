"""Neural-network building blocks: Module, Parameter, layers, functional ops, init, utils.

Example:
    >>> import lucid
    >>> import lucid.nn as nn
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 2))
    >>> model(lucid.ones(3, 4)).shape
    (3, 2)
"""

from . import functional, init, utils
from .kv_cache import KVCache
from .module import IncompatibleKeys, Module
from .modules import (
    GELU, Dropout, Embedding, Identity, LayerNorm, Linear, ModuleDict, ModuleList, ReLU, Sequential, Tanh,
)
from .parameter import Buffer, Parameter

__all__ = [
    "Buffer", "Dropout", "Embedding", "GELU", "Identity", "IncompatibleKeys", "KVCache", "LayerNorm", "Linear", "Module",
    "ModuleDict", "ModuleList", "Parameter", "ReLU", "Sequential", "Tanh", "functional", "init", "utils",
]
