"""Module: the base class of layers and models, with PyTorch's names and semantics."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .. import _backend
from .._dtype import to_dtype
from .._tensor import Tensor, mark_modified
from .parameter import Buffer, Parameter


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What :meth:`Module.load_state_dict` returns: the keys the module expected but did
    not get, and the keys it got but has no place for.

    Example:
        >>> IncompatibleKeys([], [])
        <All keys matched successfully>
    """

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _indent(text, spaces):
    """Indent every line of ``text`` but the first (nested reprs line up under their key)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    pad = " " * spaces
    return lines[0] + "\n" + "\n".join(pad + line for line in lines[1:])


def _parse_to_args(args, kwargs):
    """``(device, dtype)`` from the arguments of ``Module.to``; either may be None."""
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, str) and (arg in _backend.DEVICES or arg not in np.sctypeDict):
            device = arg
        elif isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        else:
            dtype = arg
    if device is not None:
        device = _backend.check_device(device)
    if dtype is not None:
        dtype = to_dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Module.to() only casts to floating-point dtypes, got {dtype}")
    return device, dtype


class Module:
    """Base class of every layer and model.

    Assigning a :class:`Parameter`, a :class:`Buffer` or a ``Module`` to an attribute
    registers it, so ``parameters()``, ``state_dict()``, ``to()`` and ``train()`` see it.
    Subclasses call ``super().__init__()`` first and define ``forward``.

    Example:
        >>> import lucid
        >>> import lucid.nn as nn
        >>> class Net(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = nn.Linear(4, 2)
        ...     def forward(self, x):
        ...         return self.fc(x).tanh()
        >>> net = Net()
        >>> net(lucid.ones(3, 4)).shape
        (3, 2)
        >>> list(net.state_dict())
        ['fc.weight', 'fc.bias']
    """

    training: bool

    def __init__(self):
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}

    def forward(self, *args, **kwargs):
        """The computation; every subclass defines it."""
        raise NotImplementedError(f"Module [{type(self).__name__}] is missing the required \"forward\" function")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ---- registration -----------------------------------------------------------------
    def _check_name(self, name, kind):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if name == "" or "." in name:
            raise KeyError(f"{kind} name can't be empty or contain \".\", got {name!r}")

    def register_parameter(self, name, param):
        """Register ``param`` (a :class:`Parameter` or None) under ``name``.

        Example:
            >>> import lucid
            >>> m = lucid.nn.Module()
            >>> m.register_parameter("w", lucid.nn.Parameter([1.0]))
            >>> [n for n, _ in m.named_parameters()]
            ['w']
        """
        self._check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute {name!r} already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign {type(param).__name__} object to parameter {name!r} (lucid.nn.Parameter or None required)"
            )
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register ``tensor`` (or None) as a buffer: module state that is not trained.
        Persistent buffers are part of ``state_dict()``.

        Example:
            >>> import lucid
            >>> m = lucid.nn.Module()
            >>> m.register_buffer("ids", lucid.arange(4), persistent=False)
            >>> m.ids.tolist(), list(m.state_dict())
            ([0, 1, 2, 3], [])
        """
        self._check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute {name!r} already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign {type(tensor).__name__} object to buffer {name!r} (lucid.Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Register ``module`` (or None) as a child under ``name``.

        Example:
            >>> import lucid
            >>> m = lucid.nn.Module()
            >>> m.add_module("act", lucid.nn.ReLU())
            >>> [n for n, _ in m.named_children()]
            ['act']
        """
        self._check_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute {name!r} already exists")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter {name!r} (lucid.nn.Parameter or None expected)"
                )
            params[name] = None
            return
        modules = d.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign a module before Module.__init__() call")
            self._forget(name)
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r} (Module or None expected)")
            modules[name] = None
            return
        buffers = d.get("_buffers")
        if isinstance(value, Buffer):
            if buffers is None:
                raise AttributeError("cannot assign buffers before Module.__init__() call")
            self._forget(name)
            self.register_buffer(name, value, value.persistent)
            return
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} (lucid.Tensor or None expected)")
            buffers[name] = value
            return
        object.__setattr__(self, name, value)

    def _forget(self, name):
        """Drop ``name`` from every store before it is registered in one of them."""
        d = self.__dict__
        d.pop(name, None)
        for store in ("_parameters", "_buffers", "_modules"):
            d[store].pop(name, None)
        d["_non_persistent_buffers_set"].discard(name)

    def __getattr__(self, name):
        # only reached when normal lookup fails; read __dict__ directly so that a half-built
        # object (copy, pickle) never recurses
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            s = d.get(store)
            if s is not None and name in s:
                return s[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            s = d.get(store)
            if s is not None and name in s:
                del s[name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        extra = list(self._parameters) + list(self._buffers) + list(self._modules)
        return sorted(set(super().__dir__()) | set(extra))

    # ---- traversal ----------------------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Yield ``(dotted_name, module)`` for this module and every descendant, depth first
        (this module first, with name ``prefix``); a module reachable twice is yielded once.

        Example:
            >>> import lucid.nn as nn
            >>> [n for n, _ in nn.Sequential(nn.Linear(2, 2), nn.ReLU()).named_modules()]
            ['', '0', '1']
        """
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from child.named_modules(memo, sub, remove_duplicate)

    def modules(self):
        """Yield this module and every descendant (see :meth:`named_modules`).

        Example:
            >>> import lucid.nn as nn
            >>> len(list(nn.Sequential(nn.Linear(2, 2), nn.ReLU()).modules()))
            3
        """
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        """Yield ``(name, module)`` for the direct children, each module once.

        Example:
            >>> import lucid.nn as nn
            >>> [n for n, _ in nn.Sequential(nn.Tanh()).named_children()]
            ['0']
        """
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self):
        """Yield the direct child modules.

        Example:
            >>> import lucid.nn as nn
            >>> [type(c).__name__ for c in nn.Sequential(nn.Tanh(), nn.ReLU()).children()]
            ['Tanh', 'ReLU']
        """
        for _, child in self.named_children():
            yield child

    def _named_members(self, store, prefix, recurse, remove_duplicate):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for name, value in getattr(mod, store).items():
                if value is None:
                    continue
                if remove_duplicate:
                    if id(value) in seen:
                        continue
                    seen.add(id(value))
                yield mod_prefix + ("." if mod_prefix else "") + name, value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(dotted_name, parameter)`` in registration order; a parameter shared by
        two modules (tied weights) is yielded once, under its first name.

        Example:
            >>> import lucid.nn as nn
            >>> [n for n, _ in nn.Linear(2, 3).named_parameters()]
            ['weight', 'bias']
        """
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """Yield every parameter once (see :meth:`named_parameters`).

        Example:
            >>> import lucid.nn as nn
            >>> sum(p.size for p in nn.Linear(2, 3).parameters())
            9
        """
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield ``(dotted_name, buffer)`` in registration order, persistent or not.

        Example:
            >>> import lucid
            >>> m = lucid.nn.Module()
            >>> m.register_buffer("ids", lucid.arange(2))
            >>> [n for n, _ in m.named_buffers()]
            ['ids']
        """
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        """Yield every buffer once.

        Example:
            >>> import lucid
            >>> m = lucid.nn.Module()
            >>> m.register_buffer("ids", lucid.arange(2))
            >>> [b.tolist() for b in m.buffers()]
            [[0, 1]]
        """
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target):
        """The descendant at dotted path ``target`` (``""`` is this module).

        Example:
            >>> import lucid.nn as nn
            >>> type(nn.Sequential(nn.Tanh()).get_submodule("0")).__name__
            'Tanh'
        """
        mod = self
        if target == "":
            return mod
        for part in target.split("."):
            child = mod._modules.get(part) if isinstance(mod, Module) else None
            if child is None:
                raise AttributeError(f"{type(mod).__name__} has no submodule {part!r} (looking for {target!r})")
            mod = child
        return mod

    def apply(self, fn):
        """Call ``fn(module)`` on every descendant, children before parents, then on this
        module; returns this module (the usual way to run a custom weight init).

        Example:
            >>> import lucid.nn as nn
            >>> names = []
            >>> _ = nn.Sequential(nn.Tanh()).apply(lambda m: names.append(type(m).__name__))
            >>> names
            ['Tanh', 'Sequential']
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ---- modes --------------------------------------------------------------------------
    def train(self, mode=True):
        """Set training mode (dropout active) on this module and every descendant.

        Example:
            >>> import lucid.nn as nn
            >>> m = nn.Sequential(nn.Dropout(0.1)).train(False)
            >>> m[0].training
            False
        """
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be a bool, got {mode!r}")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self):
        """Set evaluation mode (same as ``train(False)``); returns this module.

        Example:
            >>> import lucid.nn as nn
            >>> nn.Dropout().eval().training
            False
        """
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on every parameter (freeze with ``False``); returns self.

        Example:
            >>> import lucid.nn as nn
            >>> [p.requires_grad for p in nn.Linear(2, 2).requires_grad_(False).parameters()]
            [False, False]
        """
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Forget the gradients of every parameter: ``grad = None``, or fresh zeros with
        ``set_to_none=False``.

        Example:
            >>> import lucid, lucid.nn as nn
            >>> lin = nn.Linear(2, 1)
            >>> lin(lucid.ones(1, 2)).sum().backward()
            >>> lin.zero_grad(); lin.weight.grad is None
            True
        """
        for p in self.parameters():
            if p.grad is None:
                continue
            # grads may be shared arrays, so never zero them in place
            p.grad = None if set_to_none else p.xp.zeros_like(p.grad)

    # ---- devices and dtypes -------------------------------------------------------------
    def _apply(self, fn):
        """Replace the array of every parameter, gradient and buffer by ``fn(array)``."""
        seen = set()
        for m in self.modules():
            for t in list(m._parameters.values()) + list(m._buffers.values()):
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                t.data = fn(t.data)
                if t.grad is not None:
                    t.grad = fn(t.grad)
        return self

    def to(self, *args, **kwargs):
        """Move parameters, gradients and buffers to a device and/or cast the floating ones
        to a dtype, in place: ``to("gpu")``, ``to(lucid.Float16)``, ``to("cpu", lucid.Float64)``,
        ``to(device=..., dtype=...)``. Returns this module.

        Integer buffers keep their dtype. Create optimizers after moving a model: their
        state lives where the parameters were when it was made.

        Example:
            >>> import lucid, lucid.nn as nn
            >>> lin = nn.Linear(2, 2).to(lucid.Float64)
            >>> lin.weight.dtype, lin.weight.device
            (dtype('float64'), 'cpu')
        """
        device, dtype = _parse_to_args(args, dict(kwargs))

        def convert(arr):
            if device is not None:
                arr = _backend.to_device(arr, device)
            if dtype is not None and arr.dtype.kind == "f" and arr.dtype != dtype:
                arr = arr.astype(dtype)
            return arr

        return self._apply(convert)

    def cpu(self):
        """Move everything to the CPU (same as ``to("cpu")``).

        Example:
            >>> import lucid.nn as nn
            >>> nn.Linear(2, 2).cpu().weight.device
            'cpu'
        """
        return self.to("cpu")

    def gpu(self):
        """Move everything to the GPU (same as ``to("gpu")``); needs CuPy and a CUDA device."""
        return self.to("gpu")

    def half(self):
        """Cast floating parameters and buffers to float16.

        Example:
            >>> import lucid.nn as nn
            >>> nn.Linear(2, 2).half().weight.dtype
            dtype('float16')
        """
        return self.to(dtype="float16")

    def float(self):
        """Cast floating parameters and buffers to float32.

        Example:
            >>> import lucid.nn as nn
            >>> nn.Linear(2, 2).double().float().weight.dtype
            dtype('float32')
        """
        return self.to(dtype="float32")

    def double(self):
        """Cast floating parameters and buffers to float64.

        Example:
            >>> import lucid.nn as nn
            >>> nn.Linear(2, 2).double().weight.dtype
            dtype('float64')
        """
        return self.to(dtype="float64")

    # ---- state --------------------------------------------------------------------------
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """A dict from dotted name to tensor for every parameter and persistent buffer, in
        registration order, with PyTorch's key names. Tied weights appear under each name.
        The tensors share the module's arrays (detached unless ``keep_vars``).

        Example:
            >>> import lucid.nn as nn
            >>> sd = nn.Sequential(nn.Linear(2, 3), nn.LayerNorm(3)).state_dict()
            >>> [(k, v.shape) for k, v in sd.items()]
            [('0.weight', (3, 2)), ('0.bias', (3,)), ('1.weight', (3,)), ('1.bias', (3,))]
        """
        if destination is None:
            destination = {}
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict=True):
        """Copy the values of ``state_dict`` (Tensors or NumPy/CuPy arrays) into this module's
        parameters and persistent buffers, in place, on the module's device and dtype.

        With ``strict=True`` a missing or unexpected key raises ``RuntimeError``; with
        ``strict=False`` they are only reported. A shape mismatch always raises
        ``RuntimeError`` naming the key and both shapes. Nothing is copied when an error is
        raised. Each changed tensor's version counter is bumped, as for any in-place change.
        Returns ``IncompatibleKeys(missing_keys, unexpected_keys)``.

        Example:
            >>> import lucid.nn as nn
            >>> a, b = nn.Linear(2, 2), nn.Linear(2, 2)
            >>> b.load_state_dict(a.state_dict())
            <All keys matched successfully>
            >>> bool((a.weight == b.weight).data.all())
            True
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"expected a dict-like state_dict, got {type(state_dict).__name__}")
        local = self.state_dict(keep_vars=True)
        missing = [k for k in local if k not in state_dict]
        unexpected = [k for k in state_dict if k not in local]
        errors, copies = [], []
        for key, target in local.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            arr = value.data if isinstance(value, Tensor) else value
            if not _backend.is_array(arr):
                try:
                    arr = np.asarray(arr)
                except Exception:
                    arr = None
                if arr is None or arr.dtype.kind not in "fiub":
                    errors.append(f"value for {key!r} is a {type(value).__name__}, not a tensor or array")
                    continue
            if tuple(arr.shape) != tuple(target.data.shape):
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {tuple(arr.shape)} from the "
                    f"state_dict, the shape in the current model is {tuple(target.data.shape)}"
                )
                continue
            copies.append((target, arr))
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ".")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ".")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        for target, arr in copies:
            dst = target.data
            src = _backend.to_device(arr, _backend.device_of(dst))
            if src is not dst:
                dst[...] = src  # casts to the parameter's dtype, keeps its array (and aliases)
                mark_modified(target)  # a graph that saved the old weights must not backward
        return IncompatibleKeys(missing, unexpected)

    # ---- repr ---------------------------------------------------------------------------
    def extra_repr(self):
        """The text between the parentheses of this module's repr line; layers override it.

        Example:
            >>> import lucid.nn as nn
            >>> nn.Linear(2, 3).extra_repr()
            'in_features=2, out_features=3, bias=True'
        """
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _indent(repr(child), 2) for name, child in self._modules.items()]
        lines = extra_lines + child_lines
        if not lines:
            return self._get_name() + "()"
        if len(extra_lines) == 1 and not child_lines:
            return f"{self._get_name()}({extra_lines[0]})"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"
