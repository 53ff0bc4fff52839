"""The pages whose examples use ``device="gpu"`` (the two seed pages, the GPU guide and the
family's class pages), run
as written on the CuPy double. On a real GPU tests/test_docs.py runs them as written already,
so these run only with the double (``LUCID_TEST_CUPY_DOUBLE=1 python -m pytest -m gpu``)."""

from __future__ import annotations

import pytest

from test_docs import SEED_PAGES, _run_page, doc_env  # noqa: F401  (doc_env: the pages' fixture)

cupy = pytest.importorskip("cupy")
pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not getattr(cupy, "IS_TEST_DOUBLE", False),
                                                  reason="tests/test_docs.py runs these pages on a real GPU")]


FAMILY_PAGES = [f"api/models/BERTFor{name}.rst" for name in (
    "PreTraining", "NextSentencePrediction", "TokenClassification", "QuestionAnswering", "CausalLM")]


@pytest.mark.parametrize("page", SEED_PAGES + ["guides/gpu.rst"] + FAMILY_PAGES)
def test_gpu_examples_run_on_the_double(page, doc_env):  # noqa: F811
    ns = _run_page(page)  # the rendered pages define their batch themselves
    assert any(getattr(v, "device", None) == "gpu" for v in ns.values())  # the examples did reach the GPU
