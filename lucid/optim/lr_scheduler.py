"""Learning-rate schedules that set ``group["lr"]`` of an optimizer at each ``step()``.

They follow ``torch.optim.lr_scheduler``: building one records each group's
``initial_lr`` and applies step 0; call ``scheduler.step()`` after ``optimizer.step()``.
"""

from __future__ import annotations

import math
import types

from .optimizer import Optimizer

__all__ = [
    "CosineAnnealingLR", "LRScheduler", "LambdaLR", "LinearLR", "LinearWarmupDecayLR", "StepLR",
    "get_linear_schedule_with_warmup",
]


def _check_int(name, value, low):
    """ValueError naming ``name`` unless ``value`` is an int (not a bool) >= ``low``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")


class LRScheduler:
    """Base class: subclasses define :meth:`get_lr`, the learning rates for ``last_epoch``.

    Args:
        optimizer: the optimizer whose groups' ``"lr"`` this schedule sets.
        last_epoch: the index of the last step taken; ``-1`` starts fresh (to resume, load
            a :meth:`state_dict` instead).

    Example:
        >>> import lucid
        >>> class Halve(lucid.optim.lr_scheduler.LRScheduler):
        ...     def get_lr(self):
        ...         return [base * 0.5 ** self.last_epoch for base in self.base_lrs]
        >>> opt = lucid.optim.SGD([lucid.nn.Parameter([0.0])], lr=1.0)
        >>> sched = Halve(opt)
        >>> opt.step(); sched.step(); sched.get_last_lr()
        [0.5]
    """

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] when resuming with last_epoch={last_epoch}")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        self.step()
        self._is_initial = False

    def get_lr(self):
        """The learning rate of each group for step ``last_epoch``."""
        raise NotImplementedError

    def step(self):
        """Advance one step and write the new learning rates into the optimizer."""
        self._step_count += 1
        self.last_epoch += 1
        values = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The learning rates the last :meth:`step` set, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self):
        """The schedule's state as plain data (everything but the optimizer)."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore what :meth:`state_dict` returned."""
        self.__dict__.update(state_dict)


class LambdaLR(LRScheduler):
    """``lr = initial_lr * lr_lambda(step)``; ``lr_lambda`` is one function or one per group.

    Example:
        >>> import lucid
        >>> opt = lucid.optim.SGD([lucid.nn.Parameter([0.0])], lr=1.0)
        >>> sched = lucid.optim.lr_scheduler.LambdaLR(opt, lambda step: 0.5 ** step)
        >>> for _ in range(2):
        ...     opt.step(); sched.step()
        >>> sched.get_last_lr()
        [0.25]
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise ValueError(f"expected {n} lr_lambdas (one per parameter group), got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda must be callable, got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * fn(self.last_epoch) for base, fn in zip(self.base_lrs, self.lr_lambdas)]

    def state_dict(self):
        """Plain state; a lambda that is a callable object keeps its attributes, functions
        are not saved (they are code, rebuilt by the constructor)."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [
            None if isinstance(fn, (types.FunctionType, types.BuiltinFunctionType)) or not hasattr(fn, "__dict__")
            else dict(fn.__dict__)
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        lambdas = state.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        self.__dict__.update(state)
        for fn, saved in zip(self.lr_lambdas, lambdas):
            if saved is not None:
                fn.__dict__.update(saved)


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps.

    Example:
        >>> import lucid
        >>> opt = lucid.optim.SGD([lucid.nn.Parameter([0.0])], lr=1.0)
        >>> sched = lucid.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
        >>> lrs = []
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 6))
        >>> lrs
        [1.0, 0.1, 0.1, 0.01]
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        _check_int("step_size", step_size, 1)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        # relative to the current lr, so it composes with other changes, as in torch
        lrs = [group["lr"] for group in self.optimizer.param_groups]
        if self.last_epoch == 0 or self.last_epoch % self.step_size:
            return lrs
        return [lr * self.gamma for lr in lrs]


class LinearLR(LRScheduler):
    """Scale the learning rate by a factor that moves linearly from ``start_factor`` to
    ``end_factor`` over ``total_iters`` steps, then stays there.

    Example:
        >>> import lucid
        >>> opt = lucid.optim.SGD([lucid.nn.Parameter([0.0])], lr=1.0)
        >>> sched = lucid.optim.lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=2)
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(3):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 6))
        >>> lrs
        [0.5, 0.75, 1.0, 1.0]
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        if not 0 < start_factor <= 1:
            raise ValueError(f"start_factor must be in (0, 1], got {start_factor!r}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"end_factor must be in [0, 1], got {end_factor!r}")
        _check_int("total_iters", total_iters, 1)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        lrs = [group["lr"] for group in self.optimizer.param_groups]
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in lrs]
        if self._is_initial or self.last_epoch > self.total_iters:
            return lrs
        # the ratio of consecutive factors, so the change is relative to the current lr
        delta = self.end_factor - self.start_factor
        ratio = 1.0 + delta / (self.total_iters * self.start_factor + (self.last_epoch - 1) * delta)
        return [lr * ratio for lr in lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from the initial lr to ``eta_min`` over ``T_max`` steps (then back
    up, as PyTorch's does): ``eta_min + (lr0 - eta_min) * (1 + cos(pi * t / T_max)) / 2``.

    Example:
        >>> import lucid
        >>> opt = lucid.optim.SGD([lucid.nn.Parameter([0.0])], lr=1.0)
        >>> sched = lucid.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=2)
        >>> lrs = []
        >>> for _ in range(2):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 6))
        >>> lrs
        [0.5, 0.0]
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        _check_int("T_max", T_max, 1)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        # the recursive form torch uses, so lrs agree with it to the last bit and compose
        # with outside changes to group["lr"]
        groups, t, T, lo = self.optimizer.param_groups, self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return [g["lr"] for g in groups]
        if self._step_count == 1 and t > 0:
            return [lo + (base - lo) * (1 + math.cos(t * math.pi / T)) / 2 for base in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:
            return [g["lr"] + (base - lo) * (1 - math.cos(math.pi / T)) / 2 for base, g in zip(self.base_lrs, groups)]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (g["lr"] - lo) + lo for g in groups]


class _WarmupDecay:
    """The factor of the linear warm-up then linear decay schedule (a picklable callable)."""

    def __init__(self, num_warmup_steps, num_training_steps):
        self.num_warmup_steps = num_warmup_steps
        self.num_training_steps = num_training_steps

    def __call__(self, step):
        if step < self.num_warmup_steps:
            return float(step) / float(max(1, self.num_warmup_steps))
        return max(0.0, float(self.num_training_steps - step) / float(max(1, self.num_training_steps - self.num_warmup_steps)))


class LinearWarmupDecayLR(LambdaLR):
    """The BERT fine-tuning schedule: the learning rate rises linearly from 0 to the
    optimizer's lr over ``num_warmup_steps`` steps, then falls linearly to 0 at
    ``num_training_steps`` (and stays 0). Equal to ``transformers.get_linear_schedule_with_warmup``.

    Example:
        >>> import lucid
        >>> opt = lucid.optim.AdamW([lucid.nn.Parameter([0.0])], lr=1.0)
        >>> sched = lucid.optim.lr_scheduler.LinearWarmupDecayLR(opt, num_warmup_steps=2, num_training_steps=6)
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(7):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """

    def __init__(self, optimizer, num_warmup_steps, num_training_steps, last_epoch=-1):
        _check_int("num_warmup_steps", num_warmup_steps, 0)
        _check_int("num_training_steps", num_training_steps, 0)
        self.num_warmup_steps = num_warmup_steps
        self.num_training_steps = num_training_steps
        super().__init__(optimizer, _WarmupDecay(num_warmup_steps, num_training_steps), last_epoch)


def get_linear_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps, last_epoch=-1):
    """A :class:`LinearWarmupDecayLR` (a ``LambdaLR``), with the signature of Hugging Face's
    ``transformers.get_linear_schedule_with_warmup``.

    Example:
        >>> import lucid
        >>> opt = lucid.optim.AdamW([lucid.nn.Parameter([0.0])], lr=2e-5)
        >>> sched = lucid.optim.lr_scheduler.get_linear_schedule_with_warmup(opt, 10, 100)
        >>> sched.get_last_lr()
        [0.0]
    """
    return LinearWarmupDecayLR(optimizer, num_warmup_steps, num_training_steps, last_epoch)
