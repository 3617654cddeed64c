"""Which model is live when none was activated, and the swap's check that Rasa really serves the new archive."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.console.rasa_api import RasaClient
from bot.model_ops.activate import SwapFailed, current_live, swap
from bot.model_ops.fingerprints import input_fingerprints
from bot.model_ops.registry import Registry
from bot.training import model_path
from tests.model_ops.support import FakeModelApi

TOKEN = "swap-token"


@pytest.fixture
def model_api() -> Iterator[FakeModelApi]:
    server = FakeModelApi(TOKEN).start()
    yield server
    server.stop()


def _tar(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        archive.addfile(tarfile.TarInfo("metadata.json"), io.BytesIO(b""))
    return path


def test_without_activation_the_fingerprinted_model_is_live_and_known_to_fit_the_current_inputs(
    project: Path,
) -> None:
    built = _tar(model_path(project))

    live = current_live(Registry(project))

    assert live is not None and live.name == built.name.removesuffix(".tar.gz")
    prints = input_fingerprints(project, project / "data", project / "config.yml")
    assert (live.meta.core_fingerprint, live.meta.nlu_fingerprint) == (prints.core, prints.nlu)
    assert live.meta.kind == "imported"


def test_without_any_model_nothing_is_live(project: Path) -> None:
    assert current_live(Registry(project)) is None


async def test_swap_loads_the_archive_and_returns_the_new_model_id(model_api: FakeModelApi, tmp_path: Path) -> None:
    archive = _tar(tmp_path / "tenantline-new.tar.gz")
    client = RasaClient(model_api.url, TOKEN)
    try:
        model_id = await swap(client, archive)
    finally:
        await client.close()

    assert model_api.loads == [str(archive.resolve())]
    assert model_id == "id-1"


async def test_swap_fails_when_rasa_still_reports_the_old_model(
    model_api: FakeModelApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = _tar(tmp_path / "tenantline-new.tar.gz")
    client = RasaClient(model_api.url, TOKEN)

    async def ignored(model_file: str, *, timeout: float = 1.0) -> None:
        return None  # the server said yes but kept serving the old model

    monkeypatch.setattr(client, "replace_model", ignored)
    try:
        with pytest.raises(SwapFailed, match="reports tenantline-live.tar.gz instead of tenantline-new.tar.gz"):
            await swap(client, archive)
    finally:
        await client.close()


async def test_swap_with_the_wrong_token_fails_without_loading(model_api: FakeModelApi, tmp_path: Path) -> None:
    client = RasaClient(model_api.url, "wrong")
    try:
        with pytest.raises(SwapFailed, match="refused the console's token"):
            await swap(client, _tar(tmp_path / "tenantline-new.tar.gz"))
    finally:
        await client.close()
    assert model_api.loads == []


def test_plots_are_drawn_from_the_evaluation_and_skipped_when_it_is_empty(tmp_path: Path) -> None:
    from bot.evaluate import Evaluation
    from bot.model_ops.evaluation import write_plots
    from tests.model_ops.support import GOOD_PAIRS, evaluation

    drawn = write_plots(evaluation("m", GOOD_PAIRS), tmp_path / "full")
    empty = write_plots(Evaluation("m", 0, 0.0, 0.0, [], [], []), tmp_path / "empty")

    assert [p.name for p in drawn] == ["confusion-matrix.png", "per-intent.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in drawn)
    assert empty == []
