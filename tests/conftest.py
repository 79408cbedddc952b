"""Shared fixtures: the path to ../shared and small real objects for fast tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("DROIDLENS_SHARED", REPO_ROOT.parent / "shared"))

# Tests run on few cores; one intra-op thread keeps them from fighting each other.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """Return the read-only shared folder, or skip when this checkout has none."""
    if not SHARED_DIR.is_dir():
        pytest.skip(f"{SHARED_DIR} is absent: real data and reference values are not available")
    return SHARED_DIR


@pytest.fixture(scope="session")
def real_apps_path(shared_dir: Path) -> Path:
    """Return the real-app JSON Lines file under ../shared/data."""
    path = shared_dir / "data" / "android_api_sequences.jsonl.gz"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture(scope="session")
def genlasso_dir(shared_dir: Path) -> Path:
    """Return the folder of genlasso reference values."""
    path = shared_dir / "reference" / "genlasso"
    if not path.is_dir():
        pytest.skip(f"{path} is absent")
    return path
