"""Every CUDA kernel lucid ships compiles for each GPU architecture the GPU guide names, with
``nvcc`` (or CuPy's NVRTC), without a GPU: a syntax or type error in a kernel fails here.
Skipped where neither compiler is present. What runs is compilation only: numerics need a GPU
(tests/nn/kernels/test_cuda_kernels.py, marked ``real_gpu``)."""

from __future__ import annotations

import os
import re

import pytest

import cuda_sources as cs
from lucid.nn.kernels.cuda import gelu, softmax

GUIDE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "guides", "gpu.rst")
#: The architectures docs/guides/gpu.rst names (test_guide_names_these_architectures holds the two equal).
ARCHES = ("sm_70", "sm_75", "sm_80", "sm_86", "sm_89", "sm_90")

needs_compiler = pytest.mark.skipif(cs.compiler() is None, reason="neither nvcc nor CuPy with a CUDA device here")


@pytest.fixture(scope="module")
def kernels():
    return cs.shipped_kernels()


def test_guide_names_these_architectures():
    with open(GUIDE, encoding="utf-8") as f:
        named = set(re.findall(r"\bsm_\d+\b", f.read()))
    assert named == set(ARCHES)


def test_every_kernel_builder_call_is_collected(kernels):
    """Each ``_build.raw_kernel/elementwise/reduction`` call in lucid.nn.kernels.cuda yields
    collected kernels: 5 raw, 8 GELU, 2 dropout and 1 reduction kernels, each for float32 and
    float16 data (GELU also for a float16 bias on float16 data)."""
    assert cs.builder_calls() == {(k.module, k.builder) for k in kernels}
    assert len({k.name for k in kernels}) == len(kernels) == 36


@needs_compiler
@pytest.mark.parametrize("arch", ARCHES)
def test_every_kernel_compiles(kernels, arch):
    if arch not in cs.arches_supported():
        pytest.skip(f"this {cs.compiler()} cannot target {arch} (CUDA 13 dropped sm_70; CUDA 12 builds it)")
    cs.compile_sources(kernels, [arch])


@needs_compiler
def test_a_planted_syntax_error_in_a_raw_kernel_fails_and_is_named(monkeypatch):
    assert "const float inv = 1.0f / warp_sum(s);" in softmax._FORWARD
    monkeypatch.setattr(softmax, "_FORWARD", softmax._FORWARD.replace("warp_sum(s);", "warp_sum(s)"))
    with pytest.raises(cs.CompileFailed) as err:
        cs.compile_sources(cs.shipped_kernels(), ["sm_80"])
    assert err.value.kernels == ["lucid_softmax_fwd_f16", "lucid_softmax_fwd_f32"]


@needs_compiler
def test_a_planted_type_error_in_an_elementwise_body_fails_and_is_named(monkeypatch):
    body = gelu._body
    # a float pointer taken as an int pointer: a type error, in every exact-GELU instance
    planted = "y = (T)(v * c); int* wrong = &v;"
    monkeypatch.setattr(gelu, "_body", lambda *a: body(*a).replace("y = (T)(v * c);", planted))
    with pytest.raises(cs.CompileFailed) as err:
        cs.compile_sources(cs.shipped_kernels(), ["sm_80"])
    failed = set(err.value.kernels)
    assert failed and all(n.startswith("lucid_gelu_none") for n in failed)
    assert len(failed) == 10  # exact GELU: with/without grad and bias, on float32 and float16 data
