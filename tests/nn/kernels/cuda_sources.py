"""Every CUDA kernel source lucid ships, in full, and a compiler for them that needs no GPU.

:func:`shipped_kernels` runs each entry point of :mod:`lucid.nn.kernels.cuda` on NumPy
arrays of float32 and float16 over its options, with the three kernel builders of
``_build`` replaced by recorders, so the kernels are the ones lucid builds, with the
element types of the arguments lucid passes them:

- a ``RawKernel``'s source is ``_build.raw_source`` itself, exactly what CuPy compiles;
- an ``ElementwiseKernel`` / ``ReductionKernel`` body is wrapped into a full kernel the way
  CuPy generates one (typedefs of the type placeholders, each non-raw argument bound as
  ``const T &x = _raw_x[_ind.get()]``, outputs as ``T &y``, raw ones as ``CArray`` s, the
  loop index ``i``; the reduction's ``REDUCE`` / ``POST_MAP`` macros, identity and
  ``_type_reduce``), against :data:`CUPY_MODEL`, a small header with the parts of CuPy's
  ``carray.cuh`` / ``float16.cuh`` that such a body sees. That part is a model of CuPy,
  not CuPy: it catches errors in what lucid writes, not differences in CuPy's own headers.

:func:`compile_sources` puts the sources in one translation unit (each in its own
namespace) and compiles it with ``nvcc`` for each architecture, or, without ``nvcc``, with
CuPy's NVRTC; a failure raises :class:`CompileFailed` naming the kernels the errors are in.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass

import numpy as np

from lucid.nn.kernels import cuda
from lucid.nn.kernels.cuda import _build

#: CuPy's C type of each element type (``cupy/_core/_scalar.pyx``).
C_NAMES = {np.dtype(np.float16): "float16", np.dtype(np.float32): "float", np.dtype(np.float64): "double",
           np.dtype(np.bool_): "bool", np.dtype(np.int32): "int", np.dtype(np.int64): "long long"}
#: Element types by the names CuPy's ``in_params`` / ``out_params`` use.
PARAM_DTYPES = {"float16": np.float16, "float32": np.float32, "float64": np.float64, "bool": np.bool_,
                "int32": np.int32, "int64": np.int64}

CUPY_MODEL = r"""
#include <cuda_fp16.h>
// CuPy's float16: a class over __half, built from float, read as float (cupy/float16.cuh)
class float16 {
  __half h_;
 public:
  __device__ float16() {}
  __device__ float16(float v) : h_(__float2half_rn(v)) {}
  explicit __device__ float16(double v) : h_(__float2half_rn((float)v)) {}
  explicit __device__ float16(int v) : h_(__float2half_rn((float)v)) {}
  explicit __device__ float16(long long v) : h_(__float2half_rn((float)v)) {}
  explicit __device__ float16(bool v) : h_(__float2half_rn((float)v)) {}
  __device__ operator float() const { return __half2float(h_); }
  template <typename T> __device__ float16& operator=(const T& v) { *this = static_cast<float16>(v); return *this; }
};
// CuPy's CArray and CIndexer, as far as a kernel body sees them (cupy/carray.cuh)
template <int ndim> struct CIndexer {
  ptrdiff_t size_, index_[ndim];
  __device__ ptrdiff_t size() const { return size_; }
  __device__ void set(ptrdiff_t i) { index_[ndim - 1] = i; }
  __device__ const ptrdiff_t (&get() const)[ndim] { return index_; }
};
template <typename T, int ndim> struct CArray {
  T* data_;
  ptrdiff_t size_, shape_[ndim], strides_[ndim];
  __device__ ptrdiff_t size() const { return size_; }
  __device__ T& operator[](const ptrdiff_t (&idx)[ndim]) { return data_[idx[ndim - 1]]; }
  __device__ const T& operator[](const ptrdiff_t (&idx)[ndim]) const { return data_[idx[ndim - 1]]; }
  __device__ T& operator[](ptrdiff_t i) { return data_[i]; }
  __device__ const T& operator[](ptrdiff_t i) const { return data_[i]; }
};
#define CUPY_FOR(i, n) for (ptrdiff_t i = (ptrdiff_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
                            i += (ptrdiff_t)blockDim.x * gridDim.x)
"""


@dataclass
class Kernel:
    """One kernel instance: its name (with the element types) and full CUDA source."""

    name: str
    source: str
    module: str  # the lucid.nn.kernels.cuda module that builds it
    builder: str  # the _build function that builds it: raw_kernel, elementwise or reduction


class CompileFailed(AssertionError):
    """A kernel source did not compile; ``kernels`` names the kernels with errors."""

    def __init__(self, message, kernels):
        super().__init__(message)
        self.kernels = kernels


# ---- what lucid builds -------------------------------------------------------------------
def _params(spec):
    """CuPy's parameter list ``"T x, raw B b, int32 n"`` as ``(raw, type, name)`` triples."""
    out = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        words = part.split()
        out.append(("raw" in words[:-2], words[-2], words[-1]))
    return out


def _bind(params, args, types):
    """Bind type placeholders (one capital letter) to the dtypes of ``args``, as CuPy does."""
    for (_, typ, _), arg in zip(params, args):
        if len(typ) == 1 and typ not in types:
            types[typ] = np.asarray(arg).dtype


def _c(typ, types):
    return C_NAMES[np.dtype(types[typ] if typ in types else PARAM_DTYPES[typ])]


def _bound(typ, types):
    """The type a body's variable is declared with: the placeholder itself, else the C type."""
    return typ if len(typ) == 1 else _c(typ, types)


def _typed_name(name, types):
    """The kernel name with its element types: CuPy compiles each instance in a module of its
    own under the one name, but here all instances share one translation unit."""
    return name + "".join(f"_{t}{np.dtype(d).name}" for t, d in sorted(types.items()))


def _elementwise_source(name, in_params, out_params, body, preamble, args):
    ins, outs = _params(in_params), _params(out_params)
    types = {}
    _bind(ins, args, types)
    decls, binds = [], []
    for params, values, const in ((ins, args, "const "), (outs, [None] * len(outs), "")):
        for (raw, typ, pname), arg in zip(params, values):
            ctype = _c(typ, types)
            if raw:
                decls.append(f"{const}CArray<{ctype}, {max(1, np.ndim(arg))}> {pname}")
            elif arg is not None and np.ndim(arg) == 0:  # a scalar argument is passed by value
                decls.append(f"const {ctype} {pname}")
            else:  # an array: after CuPy's dimension reduction, 1-D for contiguous arguments
                decls.append(f"{const}CArray<{ctype}, 1> _raw_{pname}")
                binds.append(f"{const}{_bound(typ, types)} &{pname} = _raw_{pname}[_ind.get()];")
    typedefs = "".join(f"typedef {C_NAMES[np.dtype(d)]} {t};\n" for t, d in sorted(types.items()))
    return (f"{typedefs}{preamble}\n"
            f'extern "C" __global__ void {_typed_name(name, types)}({", ".join(decls + ["CIndexer<1> _ind"])}) {{\n'
            f"  CUPY_FOR(i, _ind.size()) {{\n    _ind.set(i);\n    {' '.join(binds)}\n    {body};\n  }}\n}}\n"), types


def _reduction_source(name, in_params, out_params, map_expr, reduce_expr, post_map, identity, args):
    ins, outs = _params(in_params), _params(out_params)
    types = {}
    _bind(ins, args, types)
    decls = [f"const CArray<{_c(t, types)}, 1> _raw_{n}" for _, t, n in ins]
    decls += [f"CArray<{_c(t, types)}, 1> _raw_{n}" for _, t, n in outs]
    reads = " ".join(f"const {_bound(t, types)} &{n} = _raw_{n}[_in_ind.get()];" for _, t, n in ins)
    writes = " ".join(f"{_bound(t, types)} &{n} = _raw_{n}[_out_ind.get()];" for _, t, n in outs)
    typedefs = "".join(f"typedef {C_NAMES[np.dtype(d)]} {t};\n" for t, d in sorted(types.items()))
    reduce_type = _c(outs[0][1], types)  # CuPy's default reduce_type: the first output's type
    return (f"{typedefs}#define REDUCE(a, b) ({reduce_expr})\n#define POST_MAP(a) ({post_map})\n"
            f"typedef {reduce_type} _type_reduce;\n"
            f'extern "C" __global__ void {_typed_name(name, types)}({", ".join(decls)}, CIndexer<1> _in_ind, '
            "CIndexer<1> _out_ind, "
            "int _block_stride) {\n"
            "  __shared__ char _sdata_raw[512 * sizeof(_type_reduce)];\n"
            "  _type_reduce *_sdata = reinterpret_cast<_type_reduce*>(_sdata_raw);\n"
            "  const unsigned int _tid = threadIdx.x;\n"
            "  for (ptrdiff_t _i = blockIdx.x * _block_stride + _tid; _i < _out_ind.size(); _i += gridDim.x * "
            "_block_stride) {\n"
            f"    _type_reduce _s = _type_reduce({identity});\n"
            "    for (ptrdiff_t _j = _i; _j < _in_ind.size(); _j += _out_ind.size()) {\n"
            f"      _in_ind.set(_j); {reads}\n"
            f"      _type_reduce _a = static_cast<_type_reduce>({map_expr});\n"
            "      _s = REDUCE(_s, _a);\n    }\n"
            "    _sdata[_tid] = _s; __syncthreads();\n"
            "    if (_tid < 256) { _type_reduce _a = _sdata[_tid], _b = _sdata[_tid + 256]; _sdata[_tid] = REDUCE(_a, _b); }\n"
            f"    _out_ind.set(_i); {writes}\n    POST_MAP(_s);\n  }}\n}}\n"
            "#undef REDUCE\n#undef POST_MAP\n"), types


@contextlib.contextmanager
def _recording(found):
    """Replace the kernel builders of ``_build`` by recorders appending to ``found``."""

    def module_of():
        frame = sys._getframe(2)
        while frame is not None:
            mod = frame.f_globals.get("__name__", "")
            if mod.startswith("lucid.nn.kernels.cuda.") and not mod.endswith("._build"):
                return mod
            frame = frame.f_back
        return "?"

    def raw_kernel(name, template, dtype):
        found.append(Kernel(f"{name}_{_build._suffix(dtype)}", _build.raw_source(template, dtype), module_of(),
                            "raw_kernel"))
        return lambda grid, block, args, **kw: None

    def elementwise(name, in_params, out_params, body, preamble=""):
        mod = module_of()

        def call(*args):
            src, types = _elementwise_source(name, in_params, out_params, body, preamble, args)
            found.append(Kernel(_typed_name(name, types), src, mod, "elementwise"))
            shape = np.broadcast_shapes(*(np.shape(a) for (raw, _, _), a in zip(_params(in_params), args) if not raw))
            outs = tuple(np.zeros(shape, types.get(t) or PARAM_DTYPES[t]) for _, t, _ in _params(out_params))
            return outs if len(outs) > 1 else outs[0]

        return call

    def reduction(name, in_params, out_params, map_expr, reduce_expr, post_map, identity):
        mod = module_of()

        def call(*args, axis=None):
            src, types = _reduction_source(name, in_params, out_params, map_expr, reduce_expr, post_map, identity, args)
            found.append(Kernel(_typed_name(name, types), src, mod, "reduction"))
            out_t = _params(out_params)[0][1]
            return np.zeros(np.delete(np.shape(args[0]), axis), types.get(out_t) or PARAM_DTYPES[out_t])

        return call

    with contextlib.ExitStack() as stack:
        import pytest

        mp = stack.enter_context(pytest.MonkeyPatch.context())
        mp.setattr(_build, "raw_kernel", raw_kernel)
        mp.setattr(_build, "elementwise", elementwise)
        mp.setattr(_build, "reduction", reduction)
        yield


def _calls(dtype):
    """``(entry point, args)`` for each CUDA entry point over its options, on NumPy arrays of ``dtype``."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 8)).astype(dtype)
    w = np.ones(8, np.float32)
    for approximate in ("none", "tanh"):
        for want in (False, True):
            yield cuda.gelu_arrays, (x, approximate, want)
            for bias_dtype in {np.dtype(dtype), np.dtype(np.float32)}:
                yield cuda.gelu_arrays, (x, approximate, want, np.ones(8, bias_dtype))
    yield cuda.dropout_forward, (x, rng.random(x.shape, dtype=np.float32), 0.1, 1 / 0.9)
    yield cuda.dropout_backward, (x, x > 0, 1 / 0.9)
    yield cuda.layer_norm_arrays, (x, w, None, 1e-5, True)
    yield cuda.layer_norm_backward_arrays, (x, x.astype(np.float32), np.ones(3, np.float32), w, True, True, True)
    yield cuda.softmax_rows_, (x.copy(),)
    yield cuda.softmax_backward_rows_, (x.copy(), x)
    yield cuda.cross_entropy_arrays, (x, np.array([1, -100, 7]), w, "mean", -100, 0.1, True)


def shipped_kernels():
    """Every kernel lucid builds, one :class:`Kernel` per name and element types."""
    found = []
    with _recording(found), np.errstate(all="ignore"):
        for dtype in _build.C_TYPES:
            for fn, args in _calls(dtype):
                fn(*args)
    return list({k.name: k for k in found}.values())


def builder_calls():
    """``(module, builder)`` for every ``_build.raw_kernel/elementwise/reduction`` call written
    in the sources of :mod:`lucid.nn.kernels.cuda` (to hold :func:`shipped_kernels` complete)."""
    folder = os.path.dirname(_build.__file__)
    calls = set()
    for fname in sorted(os.listdir(folder)):
        if fname.endswith(".py") and fname != "_build.py":
            text = open(os.path.join(folder, fname), encoding="utf-8").read()
            for kind in re.findall(r"_build\.(raw_kernel|elementwise|reduction)\(", text):
                calls.add((f"lucid.nn.kernels.cuda.{fname[:-3]}", kind))
    return calls


# ---- compiling -----------------------------------------------------------------------------
def compiler():
    """``"nvcc"`` where it is on PATH, else ``"nvrtc"`` where a real CuPy sees a CUDA device
    (CuPy's NVRTC path looks the device up), else None."""
    if shutil.which("nvcc"):
        return "nvcc"
    try:
        import cupy
        import cupy.cuda.compiler  # noqa: F401  (the double has none)

        return "nvrtc" if cupy.cuda.runtime.getDeviceCount() > 0 else None
    except Exception:
        return None


def arches_supported():
    """The ``sm_XX`` names the compiler can build for."""
    if compiler() == "nvcc":
        out = subprocess.run(["nvcc", "--list-gpu-arch"], capture_output=True, text=True, check=True).stdout
        return {a.replace("compute_", "sm_") for a in out.split()}
    from cupy.cuda import nvrtc

    return {f"sm_{a}" for a in nvrtc.getSupportedArchs()}


def _bundle(kernels):
    """One translation unit: the CuPy model, then each kernel in a namespace of its own;
    returns the text and ``(first_line, last_line, kernel)`` per kernel."""
    lines, spans = CUPY_MODEL.splitlines(), []
    for i, k in enumerate(kernels):
        body = [f"namespace k{i} {{  // {k.name}"] + k.source.splitlines() + ["}"]
        spans.append((len(lines) + 1, len(lines) + len(body), k))
        lines += body
    return "\n".join(lines) + "\n", spans


def compile_sources(kernels, arches, timeout=600):
    """Compile ``kernels`` for every ``sm_XX`` in ``arches``; raise :class:`CompileFailed`."""
    text, spans = _bundle(kernels)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "lucid_kernels.cu")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        if compiler() == "nvcc":
            gencode = [f"-gencode=arch=compute_{a[3:]},code={a}" for a in sorted(arches)]
            proc = subprocess.run(["nvcc", "--fatbin", "--threads", "2", *gencode, "-o", os.path.join(tmp, "k.fatbin"), path],
                                  capture_output=True, text=True, timeout=timeout)
            ok, log = proc.returncode == 0, proc.stdout + proc.stderr
        else:
            ok, log = _nvrtc(text, arches)
    if ok:
        return
    lines = [int(n) for n in re.findall(r"lucid_kernels\.cu\((\d+)\): (?:catastrophic )?error", log)]
    bad = sorted({k.name for lo, hi, k in spans for n in lines if lo <= n <= hi})
    raise CompileFailed(f"CUDA kernels failed to compile for {sorted(arches)}: {bad or 'see log'}\n{log[-4000:]}", bad)


def _nvrtc(text, arches):
    """CuPy's NVRTC, for machines with CuPy and without nvcc. (Not run where this was
    written: that machine has nvcc and no CuPy.)"""
    from cupy.cuda import compiler as cc

    for arch in sorted(arches):
        try:
            cc.compile_using_nvrtc(text, options=("-std=c++17",), arch=arch[3:])
        except cc.CompileException as err:
            return False, str(err).replace("kern.cu", "lucid_kernels.cu")
    return True, ""
