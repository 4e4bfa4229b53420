"""Make tools/neuronlib importable from the tests."""

import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[2] / "tools"
sys.path.insert(0, str(TOOLS))


def pytest_configure(config):
    config.addinivalue_line("markers", "kernel: needs the audit kernel (run by the audit "
                            "preset's tools.pytest.kernel, left out of the host preset's)")
