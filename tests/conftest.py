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
