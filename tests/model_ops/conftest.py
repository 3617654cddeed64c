"""A throwaway project root for model operations: config, domain and data copied, models and jobs private."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Return a project root with copies of config.yml, domain/ and data/ (tests never touch the real ones)."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copyfile(PROJECT_ROOT / "config.yml", root / "config.yml")
    shutil.copytree(PROJECT_ROOT / "domain", root / "domain")
    shutil.copytree(PROJECT_ROOT / "data", root / "data")
    return root
