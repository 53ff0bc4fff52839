"""Optimizers and learning-rate schedules.

Example:
    >>> import lucid
    >>> w = lucid.nn.Parameter([2.0])
    >>> opt = lucid.optim.SGD([w], lr=0.25)
    >>> (w * w).sum().backward()
    >>> opt.step(); opt.zero_grad()
    >>> w.tolist()
    [1.0]
"""

from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Adam", "AdamW", "Optimizer", "SGD", "lr_scheduler"]
