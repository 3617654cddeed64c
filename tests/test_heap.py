"""The loaded model's objects are frozen once per model, so full garbage collections stop pausing the server."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from bot import heap


class Agent:
    """Stands in for Rasa's agent: a processor once a model is loaded, and the model's many objects."""

    def __init__(self, loaded: bool = True) -> None:
        self.processor = object() if loaded else None
        self.model = [{"weights": list(range(100))} for _ in range(1000)]


class Node:
    """A cycle's member, to see what the collector still frees."""

    def __init__(self) -> None:
        self.partner: Node | None = None


@pytest.fixture(autouse=True)
def fresh_heap() -> Iterator[None]:
    heap.reset()
    yield
    heap.reset()


def test_settling_freezes_the_loaded_model_once() -> None:
    agent = Agent()
    pause = heap.settle(agent)
    assert pause is not None and pause >= 0
    assert heap.settled(agent)
    assert gc.get_freeze_count() > len(agent.model)
    assert heap.settle(agent) is None  # every later turn with the same model does nothing


def test_full_collections_skip_the_frozen_model_but_still_free_new_garbage() -> None:
    agent = Agent()
    heap.settle(agent)
    first, second = Node(), Node()
    first.partner, second.partner = second, first
    gone = weakref.ref(first)
    del first, second
    gc.collect()
    assert gone() is None


def test_a_newly_loaded_model_unfreezes_the_old_one_so_it_can_be_collected() -> None:
    old = Agent()
    left_behind = Node()
    left_behind.partner = left_behind  # a cycle frozen with the old model
    gone = weakref.ref(left_behind)
    heap.settle(old)
    del left_behind
    gc.collect()
    assert gone() is not None  # frozen: the collector does not look at it
    new = Agent()
    assert heap.settle(new) is not None
    assert gone() is None
    assert heap.settled(new) and not heap.settled(old)


def test_a_switched_off_heap_is_never_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_enabled", True)
    heap.disable()
    assert heap.settle(Agent()) is None
    assert gc.get_freeze_count() == 0


def test_nothing_is_frozen_before_a_model_is_loaded() -> None:
    assert heap.settle(None) is None
    assert heap.settle(Agent(loaded=False)) is None
    assert gc.get_freeze_count() == 0
