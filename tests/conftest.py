"""Suite-wide options and fixtures.

- `--update-golden` rewrites the expected outputs of the map cases in `edi_maps/**.cases/`.
- `shared_dir` is the public corpus and design notes beside the repository (`../shared`, or
  `GATEWAY_SHARED_DIR`); tests read it in place and never copy it in.
- Database and queue fixtures live in `tests/db_fixtures.py`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = ["tests.db_fixtures"]

REPO_ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the expected outputs of map cases instead of comparing",
    )


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    env = os.environ.get("GATEWAY_SHARED_DIR")
    path = Path(env) if env else REPO_ROOT.parent / "shared"
    if not (path / "corpus").is_dir():
        pytest.fail(f"the shared corpus is missing at {path}/corpus (set GATEWAY_SHARED_DIR)")
    return path


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
