"""Optimizer base class: parameter groups, per-parameter state, state_dict, zero_grad."""

from __future__ import annotations

import copy
import math

import numpy as np

from .. import _backend
from .._function import enable_grad
from .._tensor import Tensor, mark_modified

# Elements per piece when an update walks a large parameter on the CPU. Each update is a
# dozen array passes; doing them piece by piece keeps the temporaries in cache, so memory
# sees about one pass instead of a dozen.
_CPU_CHUNK = 1 << 15


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()


def check_number(name, value, low=None, high=None, low_open=False, high_open=False):
    """``float(value)``, or ValueError naming ``name`` and the value when it is not a number
    in the given range (``low``/``high`` inclusive unless ``*_open``)."""
    bad = isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating))
    if not bad:
        v = float(value)
        bad = math.isnan(v) or (low is not None and (v <= low if low_open else v < low)) \
            or (high is not None and (v >= high if high_open else v > high))
    if bad:
        lo = "" if low is None else ("(" if low_open else "[") + f"{low}, "
        hi = "" if high is None else f"{high}" + (")" if high_open else "]")
        where = f" (expected a number in {lo or '(-inf, '}{hi or 'inf)'})"
        raise ValueError(f"Invalid {name}: {value!r}{where}")
    return float(value)


def _check_ordered(params):
    if isinstance(params, (set, frozenset)):
        raise TypeError("optimizer parameters must be an ordered collection, not a set (its order changes between runs)")


def grad_with_l2(xp, p, g, wd, out):
    """``g + wd * p`` written into ``out`` (never into ``g``, which may be shared), or ``g``
    itself when ``wd`` is 0: the L2-penalised gradient of SGD and Adam."""
    if not wd:
        return g
    xp.multiply(p, wd, out=out)
    out += g
    return out


class Optimizer:
    """Base class of the optimizers: keeps ``param_groups`` (a list of dicts, each with a
    ``"params"`` list and its hyperparameters) and ``state`` (per-parameter dicts).

    Subclasses set their defaults and implement :meth:`step`. Updates happen in place on
    ``param.data`` with array ops on the parameter's own device, and bump each updated
    parameter's version counter (as PyTorch's do); gradients are only read.

    Args:
        params: an iterable of tensors, or of dicts that define parameter groups (a dict's
            keys override the defaults for its ``"params"``).
        defaults: the default hyperparameters.

    Example:
        >>> import lucid
        >>> w = lucid.nn.Parameter([1.0, 2.0])
        >>> opt = lucid.optim.SGD([{"params": [w], "lr": 0.5}], lr=0.1)
        >>> opt.param_groups[0]["lr"], len(opt.param_groups[0]["params"])
        (0.5, 1)
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        self._scratch = {}
        if isinstance(params, Tensor):
            raise TypeError("params should be an iterable of Tensors or dicts, got a single Tensor; wrap it in a list")
        _check_ordered(params)
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a group (a dict with ``"params"`` and optional hyperparameters); missing
        hyperparameters take the optimizer's defaults.

        Example:
            >>> import lucid
            >>> a, b = lucid.nn.Parameter([1.0]), lucid.nn.Parameter([2.0])
            >>> opt = lucid.optim.Adam([a], lr=1e-3)
            >>> opt.add_param_group({"params": [b], "lr": 1e-2})
            >>> [g["lr"] for g in opt.param_groups]
            [0.001, 0.01]
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"a parameter group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError("a parameter group needs a 'params' entry")
        if isinstance(params, Tensor):
            params = [params]
        _check_ordered(params)
        params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"an optimizer can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor (one computed by an op); use a Parameter")
            if p.data.dtype.kind != "f":
                raise TypeError(f"an optimizer can only optimize floating-point Tensors, got dtype {p.data.dtype}")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter group contains the same parameter twice")
        group["params"] = params
        for key, value in self.defaults.items():
            if value is required and key not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {key!r}")
            group.setdefault(key, value)
        self._check_group(group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def _check_group(self, group):
        """Validate a group's hyperparameters (subclasses raise ValueError naming a bad one)."""

    def zero_grad(self, set_to_none=True):
        """Forget the gradients of every parameter (``grad = None``, or new zero arrays with
        ``set_to_none=False``; existing arrays are never zeroed in place, they may be shared).

        Example:
            >>> import lucid
            >>> w = lucid.nn.Parameter([1.0]); (w * 2).sum().backward()
            >>> opt = lucid.optim.SGD([w], lr=0.1); opt.zero_grad(); w.grad is None
            True
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.grad = None if set_to_none else p.xp.zeros_like(p.grad)

    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure`` (optional) recomputes and
        returns the loss first."""
        raise NotImplementedError

    def _closure_loss(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # ---- array plumbing shared by the updates -------------------------------------------
    def _scratch_arrays(self, xp, dtype, n, count):
        """``count`` flat scratch arrays of ``n`` elements, reused across steps."""
        key = (xp.__name__, np.dtype(dtype).str, count)
        buf = self._scratch.get(key)
        if buf is None or buf.shape[1] < n:
            buf = xp.empty((count, n), dtype=dtype)
            self._scratch[key] = buf
        return [buf[i, :n] for i in range(count)]

    def _apply_update(self, p, arrays, fn, n_scratch):
        """Run ``fn(param, *arrays, *scratch)`` over ``p.data`` and the same-shaped ``arrays``,
        piece by piece on the CPU (whole arrays on the GPU or for non-contiguous params), and
        bump ``p``'s version counter: a graph that saved ``p`` must not backward afterwards."""
        mark_modified(p)
        data = p.data
        xp = p.xp
        if not data.flags.c_contiguous:
            tmps = [t.reshape(data.shape) for t in self._scratch_arrays(xp, data.dtype, data.size, n_scratch)]
            fn(data, *arrays, *tmps)
            return
        flat = data.reshape(-1)
        flats = [a.reshape(-1) for a in arrays]  # a copy only for a non-contiguous gradient
        n = flat.size
        piece = n if p.device == "gpu" else _CPU_CHUNK
        if n <= piece:
            fn(flat, *flats, *self._scratch_arrays(xp, data.dtype, n, n_scratch))
            return
        tmps = self._scratch_arrays(xp, data.dtype, piece, n_scratch)
        for start in range(0, n, piece):
            stop = min(start + piece, n)
            k = stop - start
            fn(flat[start:stop], *(a[start:stop] for a in flats), *(t[:k] for t in tmps))

    # ---- state --------------------------------------------------------------------------
    def state_dict(self):
        """A snapshot of the optimizer: ``{"state": {index: {name: array or number}},
        "param_groups": [{hyperparameters..., "params": [indices]}]}``, with parameters
        numbered in group order as PyTorch does. Arrays are copies, so later steps do not
        change a saved state_dict. Plain data and arrays only (nothing to unpickle).

        Example:
            >>> import lucid
            >>> w = lucid.nn.Parameter([1.0]); (w * 2).sum().backward()
            >>> opt = lucid.optim.Adam([w]); opt.step()
            >>> sd = opt.state_dict()
            >>> sorted(sd["state"][0]), sd["param_groups"][0]["params"]
            (['exp_avg', 'exp_avg_sq', 'step'], [0])
        """
        index, groups = {}, []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {
                        k: (v.copy() if hasattr(v, "shape") and hasattr(v, "copy") else copy.deepcopy(v))
                        for k, v in self.state[p].items()
                    }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore what :meth:`state_dict` returned (possibly from an optimizer whose
        parameters were on another device): state arrays are copied onto each parameter's
        device (floating ones in its dtype) and hyperparameters replace the current ones.

        Example:
            >>> import lucid
            >>> w = lucid.nn.Parameter([1.0]); (w * 2).sum().backward()
            >>> a = lucid.optim.Adam([w], lr=0.1); a.step()
            >>> b = lucid.optim.Adam([w]); b.load_state_dict(a.state_dict())
            >>> b.param_groups[0]["lr"], b.state[w]["step"]
            (0.1, 1)
        """
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("an optimizer state_dict is a dict with 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups, this optimizer has {len(self.param_groups)}"
            )
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"parameter group {i} of the loaded state dict has {len(saved['params'])} parameters, "
                    f"this optimizer's has {len(group['params'])}"
                )
        id_to_param = {}
        for saved, group in zip(saved_groups, self.param_groups):
            for idx, p in zip(saved["params"], group["params"]):
                id_to_param[idx] = p
        new_state = {}
        for idx, entries in state_dict["state"].items():
            p = id_to_param.get(idx)
            if p is None:
                p = id_to_param.get(int(idx)) if isinstance(idx, str) and idx.isdigit() else None
            if p is None:
                raise ValueError(f"loaded state refers to parameter index {idx!r}, which no parameter group holds")
            new_state[p] = {k: self._restore_value(p, k, v) for k, v in entries.items()}
        new_groups = []
        for saved, group in zip(saved_groups, self.param_groups):
            g = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            g["params"] = group["params"]
            new_groups.append(g)
        self.state = new_state
        self.param_groups = new_groups

    @staticmethod
    def _restore_value(p, key, value):
        if isinstance(value, Tensor):
            value = value.data
        if _backend.is_array(value):
            if value.ndim == 0 and key == "step":
                return int(value.item())
            arr = _backend.to_device(value, p.device)
            if arr.dtype.kind == "f" and arr.dtype != p.data.dtype:
                arr = arr.astype(p.data.dtype)
            return p.xp.array(arr, copy=True, order="C")
        return copy.deepcopy(value)

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)
