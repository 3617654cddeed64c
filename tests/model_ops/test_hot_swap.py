"""Hot swap: a repair form half-way through carries on after another model is activated in the running server.

The real servers are started as `make run` starts them (action server, `rasa run --enable-api --auth-token`, SQL
tracker store) on free ports with the trained model; the swap goes through `bot.model_ops.activate.swap`, i.e.
Rasa's authenticated `PUT /model` followed by `GET /status`.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.console.rasa_api import RasaClient
from bot.housing import repairs
from bot.housing.db import create_engine_for, make_session_factory, session_scope
from bot.housing.seed import DEMO_TENANT
from bot.model_ops.activate import SwapFailed, swap
from bot.training import model_path
from tests.e2e.conftest import assistant_commands, running
from tests.support.housing import seeded_database

pytestmark = pytest.mark.model

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "hot-swap-test-token"
SENDER = "sms:hot-swap-test"


class Servers:
    def __init__(self, url: str, database: Path) -> None:
        self.url = url
        self.database = database

    def say(self, text: str) -> str:
        response = requests.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": SENDER, "message": text, "metadata": {"channel": "sms", "address": DEMO_TENANT.phone}},
            timeout=120,
        )
        response.raise_for_status()
        return "\n".join(str(reply.get("text", "")) for reply in response.json()).lower()

    def active_loop(self) -> str | None:
        response = requests.get(f"{self.url}/conversations/{SENDER}/tracker", params={"token": TOKEN}, timeout=30)
        response.raise_for_status()
        return (response.json().get("active_loop") or {}).get("name")


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    model = model_path()
    if not model.exists():
        pytest.skip(f"no trained model at {model.relative_to(PROJECT_ROOT)}: run `make train` first")
    workdir = tmp_path_factory.mktemp("hot-swap")
    database = seeded_database(workdir / "housing.db")
    env = {**os.environ, "TENANTLINE_DATABASE_URL": f"sqlite:///{database}", "TF_CPP_MIN_LOG_LEVEL": "3"}
    for key in [k for k in env if k.startswith(("TWILIO_", "TELEGRAM_"))]:
        env.pop(key)
    commands, rasa_port = assistant_commands(workdir, model, rasa_args=("--auth-token", TOKEN))
    with running(commands, env, workdir):
        yield Servers(f"http://127.0.0.1:{rasa_port}", database)


ANSWERS = [
    ("what is it that needs fixing", "the kitchen tap"),
    ("where is the", "kitchen"),
    ("describe the problem", "it drips all day and night since monday"),
    ("when can someone get in", "weekday mornings"),
    ("which slot", "1"),
    ("when can we come", "1"),
]


def _answer(transcript: str) -> str | None:
    last = transcript.rsplit("\n\n", 1)[-1]
    return next((answer for keyword, answer in ANSWERS if keyword in last), None)


async def test_repair_form_in_progress_survives_a_hot_swap(servers: Servers, tmp_path: Path) -> None:
    transcript = servers.say("the tap in my kitchen is dripping constantly")
    first = _answer(transcript)
    assert first is not None and servers.active_loop() == "repair_form", transcript
    transcript += "\n\n" + servers.say(first)
    assert servers.active_loop() == "repair_form", transcript

    replacement = tmp_path / "tenantline-hot-swap-copy.tar.gz"
    shutil.copyfile(model_path(), replacement)
    rasa = RasaClient(servers.url, TOKEN)
    try:
        model_id = await swap(rasa, replacement)
        status = await rasa.status()
    finally:
        await rasa.close()
    assert status["model_file"] == replacement.name and model_id == status["model_id"]
    assert servers.active_loop() == "repair_form"  # the conversation's state is untouched by the swap

    for _ in range(2 * len(ANSWERS)):
        answer = _answer(transcript)
        if answer is None:
            break
        transcript += "\n\n" + servers.say(answer)
    reference = re.search(r"\b(rep-\d{6}[a-z])\b", transcript)
    assert reference, transcript
    engine = create_engine_for(f"sqlite:///{servers.database}")
    try:
        with session_scope(make_session_factory(engine)) as session:
            job = repairs.get_or_raise(session=session, reference=reference.group(1).upper())
            assert job.tenancy.reference == DEMO_TENANT.tenancy_reference
            assert job.item
    finally:
        engine.dispose()


async def test_swap_with_wrong_token_is_refused_and_model_stays(servers: Servers, tmp_path: Path) -> None:
    archive = tmp_path / "tenantline-never-loaded.tar.gz"
    shutil.copyfile(model_path(), archive)
    intruder = RasaClient(servers.url, "not-the-token")
    owner = RasaClient(servers.url, TOKEN)
    try:
        with pytest.raises(SwapFailed, match="refused the console's token"):
            await swap(intruder, archive)
        assert (await owner.status())["model_file"] != archive.name
    finally:
        await intruder.close()
        await owner.close()


async def test_swap_to_a_missing_archive_fails_and_model_stays(servers: Servers, tmp_path: Path) -> None:
    owner = RasaClient(servers.url, TOKEN)
    try:
        before = (await owner.status())["model_file"]
        with pytest.raises(SwapFailed, match="did not take the new model"):
            await swap(owner, tmp_path / "tenantline-missing.tar.gz")
        assert (await owner.status())["model_file"] == before
    finally:
        await owner.close()
