"""Mixed precision: an autocast context that runs the matmul-heavy ops in float16 while the
parameters stay float32 ("master weights"), and a gradient scaler that keeps small float16
gradients from flushing to zero.

Inside ``with lucid.amp.autocast(device="gpu"):`` the floating inputs of ``linear``,
``matmul`` and ``scaled_dot_product_attention`` on that device are cast to float16, and
those of ``layer_norm``, ``softmax``, ``log_softmax`` and ``cross_entropy`` to float32
(PyTorch's autocast lists for these ops). The casts are ops in the graph, so gradients
flow back to the float32 parameters in float32. Everything else runs in the dtype it is
given; element-wise ops between a float16 and a float32 tensor give float32.

:class:`GradScaler` multiplies the loss by a large factor before ``backward()``, divides
the gradients by it before the optimizer step, skips steps whose gradients hold inf or
NaN and adapts the factor as ``torch.amp.GradScaler`` does.

Autocast also works on ``device="cpu"``, where NumPy computes float16 matmuls without
BLAS (slowly): it is there to test mixed-precision code without a GPU.

Example:
    >>> import lucid, lucid.nn as nn
    >>> model = nn.Linear(4, 2)
    >>> opt = lucid.optim.SGD(model.parameters(), lr=0.1)
    >>> scaler = lucid.amp.GradScaler(device="cpu")
    >>> with lucid.amp.autocast(device="cpu"):
    ...     out = model(lucid.ones(3, 4))
    ...     loss = out.float().mean()
    >>> out.dtype, model.weight.dtype
    (dtype('float16'), dtype('float32'))
    >>> scaler.scale(loss).backward()
    >>> scaler.step(opt)
    >>> scaler.update()
    >>> model.weight.grad.dtype, scaler.get_scale()
    (dtype('float32'), 65536.0)
"""

from __future__ import annotations

import math

import numpy as np

from ._autocast import autocast, get_autocast_dtype, is_autocast_enabled
from ._backend import check_device

__all__ = ["GradScaler", "autocast", "get_autocast_dtype", "is_autocast_enabled"]

_FLOAT16 = np.dtype(np.float16)
_FLOAT32 = np.dtype(np.float32)
_READY, _UNSCALED, _STEPPED = 0, 1, 2


def _f32(v) -> float:
    """``v`` rounded to float32 (PyTorch keeps the scale in a float32 tensor)."""
    return float(np.float32(v))


class GradScaler:
    """Dynamic loss scaling for float16 training, with the semantics of ``torch.amp.GradScaler``.

    ``scale(loss)`` multiplies the loss by the current scale (in float32) before
    ``backward()``. ``step(optimizer)`` divides the gradients by the scale (unless
    :meth:`unscale_` did already, e.g. to clip them) and runs ``optimizer.step()`` only if
    every gradient is finite. ``update()`` then halves the scale (``backoff_factor``) after
    a skipped step, or doubles it (``growth_factor``) after ``growth_interval`` steps in a
    row without inf/NaN.

    Args:
        device: where the model lives (``"gpu"`` or ``"cpu"``); kept for symmetry with
            :class:`autocast` and PyTorch.
        init_scale: the first scale.
        growth_factor: factor (> 1) the scale grows by.
        backoff_factor: factor (in (0, 1)) the scale shrinks by after inf/NaN gradients.
        growth_interval: finite steps in a row before the scale grows.
        enabled: ``False`` makes every method a pass-through (``step`` just steps).

    Gradients must be float32 (float32 master weights); unscaling float16 gradients raises
    ``ValueError`` as in PyTorch.

    Example:
        >>> import lucid
        >>> w = lucid.nn.Parameter([1.0])
        >>> opt = lucid.optim.SGD([w], lr=0.5)
        >>> scaler = lucid.amp.GradScaler(device="cpu", init_scale=4.0, growth_interval=1)
        >>> scaler.scale((w * w).sum()).backward()
        >>> w.grad.tolist()
        [8.0]
        >>> scaler.step(opt); scaler.update()
        >>> w.tolist(), scaler.get_scale()
        ([0.0], 8.0)
    """

    def __init__(self, device="gpu", init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        self.device = check_device(device)
        self._enabled = bool(enabled)
        self._check("init_scale", init_scale, lambda v: v > 0 and math.isfinite(v), "a positive finite number")
        self._check("growth_factor", growth_factor, lambda v: v > 1 and math.isfinite(v), "a finite number > 1")
        self._check("backoff_factor", backoff_factor, lambda v: 0 < v < 1, "a number in (0, 1)")
        self._check_interval(growth_interval)
        self._scale = _f32(init_scale)
        self._init_scale = self._scale
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        self._per_optimizer = {}  # id(optimizer) -> {"stage": ..., "found_inf": bool}

    @staticmethod
    def _check(name, value, ok, what):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not ok(float(value)):
            raise ValueError(f"GradScaler {name} must be {what}, got {value!r}")

    @staticmethod
    def _check_interval(value):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"GradScaler growth_interval must be a positive int, got {value!r}")

    def is_enabled(self) -> bool:
        """Whether loss scaling is on.

        Example:
            >>> import lucid
            >>> lucid.amp.GradScaler(enabled=False).is_enabled()
            False
        """
        return self._enabled

    def get_scale(self) -> float:
        """The current scale as a Python float (1.0 when disabled).

        Example:
            >>> import lucid
            >>> lucid.amp.GradScaler(init_scale=8.0).get_scale()
            8.0
        """
        return self._scale if self._enabled else 1.0

    def scale(self, outputs):
        """``outputs`` (a tensor, or a list/tuple of them) times the scale, in float32.

        Example:
            >>> import lucid
            >>> lucid.amp.GradScaler(init_scale=4.0).scale(lucid.tensor(0.5)).item()
            2.0
        """
        from ._tensor import Tensor

        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            out = outputs if outputs.dtype == _FLOAT32 or outputs.dtype.kind != "f" else outputs.float()
            return out * self._scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        raise TypeError(f"GradScaler.scale takes a Tensor or a list/tuple of Tensors, got {type(outputs).__name__}")

    def _state_of(self, optimizer):
        return self._per_optimizer.setdefault(id(optimizer), {"stage": _READY, "found_inf": False})

    def unscale_(self, optimizer):
        """Divide the gradients of ``optimizer``'s parameters by the scale, in place, and
        note whether any is inf or NaN. Call it before clipping gradients; ``step`` then
        does not divide again. At most once per optimizer between two ``update()`` calls.

        Example:
            >>> import lucid
            >>> w = lucid.nn.Parameter([1.0]); opt = lucid.optim.SGD([w], lr=0.1)
            >>> scaler = lucid.amp.GradScaler(init_scale=4.0)
            >>> scaler.scale(w.sum()).backward(); scaler.unscale_(opt)
            >>> w.grad.tolist()
            [1.0]
        """
        if not self._enabled:
            return
        st = self._state_of(optimizer)
        if st["stage"] == _UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update()")
        if st["stage"] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step(); call update() first")
        inv = np.float32(1.0 / np.float64(self._scale))
        flags = {}  # array module -> per-gradient "all finite" flags, read once per device
        for group in optimizer.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if g.dtype == _FLOAT16:
                    raise ValueError(
                        "Attempting to unscale float16 gradients: keep the parameters in float32 "
                        "(autocast casts them per op) instead of calling model.half()"
                    )
                g *= g.dtype.type(inv)
                flags.setdefault(p.xp, []).append(p.xp.isfinite(g).all())
        found = any(not bool(xp.stack(fs).all()) for xp, fs in flags.items())
        st["found_inf"] = found
        st["stage"] = _UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """Unscale the gradients if :meth:`unscale_` has not, then run
        ``optimizer.step(*args, **kwargs)`` unless a gradient is inf or NaN. Returns what
        ``optimizer.step`` returned, or None for a skipped step.

        Example:
            >>> import lucid
            >>> w = lucid.nn.Parameter([1.0]); opt = lucid.optim.SGD([w], lr=0.1)
            >>> scaler = lucid.amp.GradScaler()
            >>> w.grad = lucid.tensor([float("inf")]).numpy()
            >>> scaler.step(opt); scaler.update()
            >>> w.tolist(), scaler.get_scale()
            ([1.0], 32768.0)
        """
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("closure use is not supported with GradScaler.step")
        st = self._state_of(optimizer)
        if st["stage"] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update()")
        if st["stage"] == _READY:
            self.unscale_(optimizer)
        result = None if st["found_inf"] else optimizer.step(*args, **kwargs)
        st["stage"] = _STEPPED
        return result

    def update(self, new_scale=None):
        """Adjust the scale after this iteration's steps: times ``backoff_factor`` if any
        optimizer saw inf/NaN gradients, times ``growth_factor`` after ``growth_interval``
        finite iterations in a row. ``new_scale`` (a number) sets the scale directly.

        Example:
            >>> import lucid
            >>> scaler = lucid.amp.GradScaler(init_scale=2.0)
            >>> scaler.update(new_scale=16.0); scaler.get_scale()
            16.0
        """
        if not self._enabled:
            return
        if new_scale is not None:
            self._check("new_scale", new_scale, lambda v: v > 0 and math.isfinite(v), "a positive finite number")
            self._scale = _f32(new_scale)
        else:
            if not self._per_optimizer:
                raise RuntimeError("No inf checks were recorded prior to update(): call step() or unscale_() first")
            found = any(st["found_inf"] for st in self._per_optimizer.values())
            if found:
                self._scale = _f32(np.float32(self._scale) * np.float32(self._backoff_factor))
                self._growth_tracker = 0
            else:
                successful = self._growth_tracker + 1
                if successful == self._growth_interval:
                    with np.errstate(over="ignore"):  # an overflowing growth is dropped below
                        grown = np.float32(self._scale) * np.float32(self._growth_factor)
                    if np.isfinite(grown):
                        self._scale = float(grown)
                    self._growth_tracker = 0
                else:
                    self._growth_tracker = successful
        self._per_optimizer = {}

    def get_growth_factor(self) -> float:
        """The growth factor.

        Example:
            >>> import lucid
            >>> lucid.amp.GradScaler().get_growth_factor()
            2.0
        """
        return self._growth_factor

    def set_growth_factor(self, new_factor) -> None:
        """Set the growth factor (> 1).

        Example:
            >>> import lucid
            >>> s = lucid.amp.GradScaler(); s.set_growth_factor(4.0); s.get_growth_factor()
            4.0
        """
        self._check("growth_factor", new_factor, lambda v: v > 1 and math.isfinite(v), "a finite number > 1")
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        """The backoff factor.

        Example:
            >>> import lucid
            >>> lucid.amp.GradScaler().get_backoff_factor()
            0.5
        """
        return self._backoff_factor

    def set_backoff_factor(self, new_factor) -> None:
        """Set the backoff factor (in (0, 1)).

        Example:
            >>> import lucid
            >>> s = lucid.amp.GradScaler(); s.set_backoff_factor(0.25); s.get_backoff_factor()
            0.25
        """
        self._check("backoff_factor", new_factor, lambda v: 0 < v < 1, "a number in (0, 1)")
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        """The number of finite steps in a row before the scale grows.

        Example:
            >>> import lucid
            >>> lucid.amp.GradScaler().get_growth_interval()
            2000
        """
        return self._growth_interval

    def set_growth_interval(self, new_interval) -> None:
        """Set the growth interval (a positive int).

        Example:
            >>> import lucid
            >>> s = lucid.amp.GradScaler(); s.set_growth_interval(10); s.get_growth_interval()
            10
        """
        self._check_interval(new_interval)
        self._growth_interval = int(new_interval)

    def state_dict(self) -> dict:
        """The scaler's state with PyTorch's keys (empty when disabled).

        Example:
            >>> import lucid
            >>> sorted(lucid.amp.GradScaler().state_dict())
            ['_growth_tracker', 'backoff_factor', 'growth_factor', 'growth_interval', 'scale']
        """
        if not self._enabled:
            return {}
        return {
            "scale": self.get_scale(), "growth_factor": self._growth_factor, "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval, "_growth_tracker": self._growth_tracker,
        }

    def load_state_dict(self, state_dict) -> None:
        """Restore a state from :meth:`state_dict` (also accepts PyTorch's scaler state).

        Example:
            >>> import lucid
            >>> a = lucid.amp.GradScaler(init_scale=8.0); b = lucid.amp.GradScaler()
            >>> b.load_state_dict(a.state_dict()); b.get_scale()
            8.0
        """
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("the loaded state dict is empty: it comes from a disabled GradScaler")
        missing = {"scale", "growth_factor", "backoff_factor", "growth_interval", "_growth_tracker"} - set(state_dict)
        if missing:
            raise KeyError(f"GradScaler state dict lacks {sorted(missing)}")
        self._scale = _f32(float(state_dict["scale"]))
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])
