"""CuPy's user-kernel classes, which cannot run without a GPU: each can be built (CuPy
compiles on first launch, not on construction) and raises :class:`KernelNotAvailable`
when launched or compiled, naming the kernel."""

from __future__ import annotations


class KernelNotAvailable(RuntimeError):
    """A CUDA kernel was launched on the CuPy double, which runs no CUDA code."""


def _refuse(kind, name):
    raise KernelNotAvailable(
        f"{kind} {name!r} cannot run: the CuPy test double runs no CUDA code (lucid's fused ops "
        "take their xp reference under it, see tests/conftest.py)"
    )


class RawKernel:
    """``cupy.RawKernel(code, name, options=(), ...)``; launching raises."""

    def __init__(self, code, name, options=(), backend="nvrtc", translate_cucomplex=False, *,
                 enable_cooperative_groups=False, jitify=False):
        self.code, self.name, self.options, self.backend = code, name, tuple(options), backend

    def __call__(self, grid, block, args, *, shared_mem=0):
        _refuse("RawKernel", self.name)

    def compile(self, log_stream=None):
        _refuse("RawKernel", self.name)


class RawModule:
    """``cupy.RawModule(code=..., options=(), ...)``; ``get_function`` and ``compile`` raise."""

    def __init__(self, code=None, *, path=None, options=(), backend="nvrtc", translate_cucomplex=False,
                 enable_cooperative_groups=False, name_expressions=None, jitify=False):
        self.code, self.path, self.options = code, path, tuple(options)

    def get_function(self, name):
        _refuse("RawModule function", name)

    def compile(self, log_stream=None):
        _refuse("RawModule", self.path or "<code>")


class ElementwiseKernel:
    """``cupy.ElementwiseKernel(in_params, out_params, operation, name, ...)``; calling raises."""

    def __init__(self, in_params, out_params, operation, name="kernel", reduce_dims=True, preamble="",
                 no_return=False, return_tuple=False, **kwargs):
        self.in_params, self.out_params, self.operation = in_params, out_params, operation
        self.name, self.preamble = name, preamble

    def __call__(self, *args, **kwargs):
        _refuse("ElementwiseKernel", self.name)


class ReductionKernel:
    """``cupy.ReductionKernel(in_params, out_params, map_expr, reduce_expr, post_map_expr,
    identity, name, ...)``; calling raises."""

    def __init__(self, in_params, out_params, map_expr, reduce_expr, post_map_expr, identity,
                 name="reduce_kernel", reduce_type=None, reduce_dims=True, preamble="", options=()):
        self.in_params, self.out_params, self.name = in_params, out_params, name
        self.map_expr, self.reduce_expr, self.post_map_expr, self.identity = map_expr, reduce_expr, post_map_expr, identity

    def __call__(self, *args, **kwargs):
        _refuse("ReductionKernel", self.name)


def fuse(*args, **kwargs):
    """``cupy.fuse``: not modeled (it compiles CUDA code)."""
    _refuse("fuse", getattr(args[0], "__name__", "kernel") if args else "kernel")
