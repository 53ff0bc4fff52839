import pytest

import lucid


def pytest_collection_modifyitems(config, items):
    if lucid.gpu_available():
        return
    skip = pytest.mark.skip(reason="no CUDA GPU with CuPy on this machine")
    for item in items:
        # the marker itself, not item.keywords: a parameter id such as "gpu" is a keyword too
        if item.get_closest_marker("gpu") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seed():
    lucid.random.seed(0)


@pytest.fixture(params=["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
def device(request):
    """Each test that takes ``device`` runs once on ``"cpu"`` and once on ``"gpu"`` (the
    latter carries the ``gpu`` marker, so it is skipped where no CUDA GPU is present)."""
    return request.param
