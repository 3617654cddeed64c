"""Fixtures for the training data tests: a private copy of the project's NLU data (the real data/ is never edited)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.training_data.nlu_files import NluData

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Return a copy of data/ (NLU files only) in a temporary folder."""
    target = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "data" / "nlu", target / "nlu")
    return target


@pytest.fixture
def nlu(data_dir: Path) -> NluData:
    """Return the training data copy, reading entity names from the project's domain."""
    return NluData(data_dir, PROJECT_ROOT / "domain")
