import os

import pytest

# Run under GitHub Actions, `check` and `diff` would append to the job's step summary:
# no test (in-process or a subprocess) depends on, or writes to, the runner's.
os.environ.pop("GITHUB_STEP_SUMMARY", None)


def pytest_addoption(parser):
    parser.addoption("--regen-golden", action="store_true",
                     help="rewrite tests/golden/*.out from the current output (review the diff)")


@pytest.fixture
def regen(request):
    return request.config.getoption("--regen-golden")
