import pytest

from lucid.nn import kernels


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def threads(request):
    """Run the test with lucid's kernel pool at 1 and at 2 threads (restored afterwards)."""
    old = kernels.get_num_threads()
    kernels.set_num_threads(request.param)
    yield request.param
    kernels.set_num_threads(old)
