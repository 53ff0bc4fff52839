"""Containers: Sequential, ModuleList and ModuleDict."""

from __future__ import annotations

import operator
from collections import OrderedDict

from ..module import Module, _indent


def _index(idx, n, kind):
    """A non-negative position from a possibly negative int ``idx``; IndexError when out of range."""
    idx = operator.index(idx)
    if not -n <= idx < n:
        raise IndexError(f"index {idx} is out of range for a {kind} of length {n}")
    return idx % n


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: modules kept in order under "0", "1", ..."""

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        """Add ``module`` at the end; returns self.

        Example:
            >>> import lucid.nn as nn
            >>> len(nn.Sequential().append(nn.ReLU())), len(nn.ModuleList().append(nn.Tanh()))
            (1, 1)
        """
        self.add_module(str(len(self)), module)
        return self


class Sequential(_ModuleSequence):
    """Modules applied one after another: ``forward(x)`` feeds each output to the next.

    Takes modules as arguments, or one ``OrderedDict`` of name -> module.

    Example:
        >>> import lucid, lucid.nn as nn
        >>> net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
        >>> net(lucid.ones(2, 3)).shape
        (2, 1)
        >>> len(net), type(net[1]).__name__
        (3, 'ReLU')
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_index(idx, len(self), "Sequential")]

    def __setitem__(self, idx, module):
        key = list(self._modules)[_index(idx, len(self), "Sequential")]
        self.add_module(key, module)

    def __delitem__(self, idx):
        keys = list(self._modules)
        for key in (keys[idx] if isinstance(idx, slice) else [keys[_index(idx, len(self), "Sequential")]]):
            del self._modules[key]
        if all(k.isdigit() for k in self._modules):  # keep default names contiguous, as torch does
            self.__dict__["_modules"] = {str(i): m for i, m in enumerate(self._modules.values())}



class ModuleList(_ModuleSequence):
    """A list of modules whose parameters are registered (names ``"0"``, ``"1"``, ...).

    Example:
        >>> import lucid.nn as nn
        >>> layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
        >>> len(layers), [n for n, _ in layers.named_parameters()][:2]
        (3, ['0.weight', '0.bias'])
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[str(_index(idx, len(self), "ModuleList"))]

    def __setitem__(self, idx, module):
        self.add_module(str(_index(idx, len(self), "ModuleList")), module)

    def __delitem__(self, idx):
        mods = list(self._modules.values())
        del mods[idx if isinstance(idx, slice) else _index(idx, len(self), "ModuleList")]
        self.__dict__["_modules"] = {str(i): m for i, m in enumerate(mods)}

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList(list(self) + list(other))


    def extend(self, modules):
        """Append every module of an iterable; returns self.

        Example:
            >>> import lucid.nn as nn
            >>> len(nn.ModuleList().extend([nn.Tanh(), nn.ReLU()]))
            2
        """
        if isinstance(modules, (Module, str)) or not hasattr(modules, "__iter__"):
            raise TypeError(f"ModuleList.extend takes an iterable of modules, got {type(modules).__name__}")
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Insert ``module`` before position ``index``.

        Example:
            >>> import lucid.nn as nn
            >>> ml = nn.ModuleList([nn.Tanh()]); ml.insert(0, nn.ReLU())
            >>> type(ml[0]).__name__
            'ReLU'
        """
        mods = list(self._modules.values())
        mods.insert(index, module)
        self.__dict__["_modules"] = {}
        for m in mods:
            self.append(m)

    def __repr__(self):
        # runs of identical children collapse into one line, e.g. "(0-11): 12 x BertLayer(...)"
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        runs = []  # [start, end, text]
        for i, text in enumerate(reprs):
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        lines = []
        for start, end, text in runs:
            head = f"({start}): " if start == end else f"({start}-{end}): {end - start + 1} x "
            lines.append(_indent(head + text, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules whose parameters are registered under their keys (insertion order).

    Example:
        >>> import lucid.nn as nn
        >>> heads = nn.ModuleDict({"act": nn.Tanh(), "proj": nn.Linear(2, 2)})
        >>> list(heads.keys()), "act" in heads
        (['act', 'proj'], True)
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        if key not in self._modules:
            raise KeyError(key)
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        """The keys, in insertion order."""
        return self._modules.keys()

    def items(self):
        """``(key, module)`` pairs, in insertion order."""
        return self._modules.items()

    def values(self):
        """The modules, in insertion order."""
        return self._modules.values()

    def pop(self, key):
        """Remove ``key`` and return its module."""
        module = self[key]
        del self[key]
        return module

    def clear(self):
        """Remove every module."""
        self._modules.clear()

    def update(self, modules):
        """Add the modules of a mapping or of an iterable of ``(key, module)`` pairs.

        Example:
            >>> import lucid.nn as nn
            >>> d = nn.ModuleDict(); d.update([("a", nn.ReLU())])
            >>> list(d)
            ['a']
        """
        items = modules.items() if hasattr(modules, "items") else modules
        for pair in items:
            if len(pair) != 2:
                raise ValueError(f"ModuleDict.update expects (key, module) pairs, got an element of length {len(pair)}")
            self[pair[0]] = pair[1]
