import pytest


def pytest_addoption(parser):
    parser.addoption("--regen-golden", action="store_true",
                     help="rewrite tests/golden/*.out from the current output (review the diff)")


@pytest.fixture
def regen(request):
    return request.config.getoption("--regen-golden")
