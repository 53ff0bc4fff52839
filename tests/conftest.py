import pytest

import lucid


def pytest_collection_modifyitems(config, items):
    if lucid.gpu_available():
        return
    skip = pytest.mark.skip(reason="no CUDA GPU with CuPy on this machine")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seed():
    lucid.random.seed(0)
