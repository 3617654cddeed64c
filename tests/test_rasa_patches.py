"""Rasa's NLU runs off the event loop: the server keeps answering webhooks while a message parses."""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.nlu.training_data.message import Message
from sanic import Blueprint

from bot import rasa_patches

PARSE_SECONDS = 0.3


class SlowGraph:
    """Stands in for Rasa's graph runner: an NLU graph that takes PARSE_SECONDS and records where it ran."""

    def __init__(self, fail: bool = False) -> None:
        self.threads: list[str] = []
        self.running = 0
        self.most_at_once = 0
        self.fail = fail

    def run(self, inputs: dict[str, Any], targets: list[str]) -> dict[str, Any]:
        self.threads.append(threading.current_thread().name)
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            time.sleep(PARSE_SECONDS)  # releases the GIL, as TensorFlow does for most of a parse
            if self.fail:
                raise RuntimeError("graph failed")
            text = inputs["__message__"][0].text
            message = Message(
                data={
                    "text": text,
                    "intent": {"name": "faq", "confidence": 0.9},
                    "entities": [],
                    "response_selector": {
                        "all_retrieval_intents": ["faq"],
                        "faq": {"response": {"intent_response_key": "faq/pets", "responses": []}},
                    },
                },
                output_properties={"intent", "entities", "response_selector"},
            )
            return {targets[0]: [message]}
        finally:
            self.running -= 1


def _processor(graph: SlowGraph, http_interpreter: Any = None) -> MessageProcessor:
    processor = MessageProcessor.__new__(MessageProcessor)
    processor.http_interpreter = http_interpreter
    processor.graph_runner = graph  # type: ignore[assignment]
    processor.model_metadata = SimpleNamespace(nlu_target="run_RegexMessageHandler")  # type: ignore[assignment]
    processor.domain = None  # type: ignore[assignment]
    return processor


@pytest.fixture
def patched() -> Iterator[None]:
    assert rasa_patches.install()
    yield
    rasa_patches.uninstall()


async def _max_loop_gap(until: asyncio.Future[Any]) -> float:
    """Return the longest the event loop went without running this coroutine while `until` was pending."""
    gap = 0.0
    last = time.perf_counter()
    while not until.done():
        await asyncio.sleep(0.005)
        now = time.perf_counter()
        gap = max(gap, now - last)
        last = now
    return gap


async def test_parse_leaves_the_event_loop_free_while_the_graph_runs(patched: None) -> None:
    graph = SlowGraph()
    parse = asyncio.ensure_future(_processor(graph).parse_message(UserMessage("can I keep a cat?")))
    gap = await _max_loop_gap(parse)
    parsed = await parse
    assert gap < PARSE_SECONDS / 3, f"the loop was blocked for {gap * 1000:.0f} ms"
    assert graph.threads == [f"{rasa_patches.THREAD_NAME}_0"]
    assert parsed["intent"]["name"] == "faq"


async def test_unpatched_rasa_blocks_the_loop_for_the_whole_parse() -> None:
    rasa_patches.uninstall()
    graph = SlowGraph()
    parse = asyncio.ensure_future(_processor(graph).parse_message(UserMessage("can I keep a cat?")))
    gap = await _max_loop_gap(parse)
    await parse
    assert gap >= PARSE_SECONDS * 0.9  # the problem the patch solves, so this test notices if Rasa fixes it


async def test_patched_parse_returns_what_rasa_returns(patched: None) -> None:
    ours = await _processor(SlowGraph()).parse_message(UserMessage("can I keep a cat?", sender_id="t1"))
    rasa_patches.uninstall()
    theirs = await _processor(SlowGraph()).parse_message(UserMessage("can I keep a cat?", sender_id="t1"))
    assert ours == theirs
    # Rasa's own post-processing still ran on our result: the FAQ topic is named in full.
    assert ours["intent"]["full_retrieval_intent_name"] == "faq/pets"


async def test_concurrent_parses_run_one_at_a_time_off_the_loop(patched: None) -> None:
    graph = SlowGraph()
    processor = _processor(graph)
    parses = asyncio.ensure_future(
        asyncio.gather(*(processor.parse_message(UserMessage(f"message {n}")) for n in range(3)))
    )
    gap = await _max_loop_gap(parses)
    results = await parses
    assert [r["text"] for r in results] == ["message 0", "message 1", "message 2"]
    assert graph.most_at_once == 1
    assert gap < PARSE_SECONDS / 3


async def test_a_failing_graph_fails_the_parse_and_the_next_parse_works(patched: None) -> None:
    processor = _processor(SlowGraph(fail=True))
    with pytest.raises(RuntimeError, match="graph failed"):
        await processor.parse_message(UserMessage("hello"))
    processor.graph_runner = SlowGraph()  # type: ignore[assignment]
    assert (await processor.parse_message(UserMessage("hello again")))["text"] == "hello again"


async def test_with_an_nlu_server_rasa_parses_as_before(patched: None) -> None:
    calls: list[str] = []

    class Interpreter:
        async def parse(self, message: UserMessage) -> dict[str, Any]:
            calls.append(threading.current_thread().name)
            return {"text": message.text, "intent": {"name": "greet", "confidence": 1.0}, "entities": []}

    graph = SlowGraph()
    parsed = await _processor(graph, http_interpreter=Interpreter()).parse_message(UserMessage("hi"))
    assert parsed["intent"]["name"] == "greet"
    assert graph.threads == []
    assert calls == [threading.current_thread().name]


def test_install_is_idempotent_and_uninstall_restores_rasa() -> None:
    original = MessageProcessor.parse_message
    try:
        assert rasa_patches.install() and rasa_patches.install()
        assert rasa_patches.installed()
        rasa_patches.uninstall()
        assert not rasa_patches.installed()
        assert MessageProcessor.parse_message is not rasa_patches._parse_off_loop
    finally:
        MessageProcessor.parse_message = original  # type: ignore[method-assign]


def test_install_leaves_another_rasa_series_alone(caplog: pytest.LogCaptureFixture) -> None:
    rasa_patches.uninstall()
    with caplog.at_level(logging.WARNING, logger="bot.rasa_patches"):
        assert not rasa_patches.install("3.7.2")
    assert not rasa_patches.installed()
    assert "NLU stays on the event loop" in caplog.text


def test_rasa_still_parses_through_the_method_the_patch_wraps() -> None:
    # The patch assumes parse_message runs the graph only through _parse_message_with_graph; re-check on upgrade.
    source = inspect.getsource(rasa_patches._ORIGINAL_PARSE)
    assert source.count("self._parse_message_with_graph(") == 1
    assert "graph_runner" not in source


def test_every_channel_installs_the_patch_at_start_up() -> None:
    from channels.core.registration import install_runtime

    rasa_patches.uninstall()

    class Pipeline:
        async def replay(self, app: Any) -> int:
            return 0

        async def shutdown(self) -> None:
            return None

    install_runtime(Blueprint("bench_test_channel"), Pipeline())
    try:
        assert rasa_patches.installed()
    finally:
        rasa_patches.uninstall()
