"""How `make conversation-tests` shares the model tests between two pytest-xdist workers (tests/conftest.py).

A group's servers start once, on one worker: splitting the production profile's tests across both workers would
start a second stack of replicas, and a module split in two would load its Rasa server twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from tests.conftest import PRODUCTION_PROFILE_GROUP, pytest_collection_modifyitems


@dataclass
class FakeItem:
    """The little of a pytest item the hook reads and writes."""

    nodeid: str
    marks: list[pytest.MarkDecorator] = field(default_factory=list)
    fixturenames: tuple[str, ...] = ()

    def get_closest_marker(self, name: str) -> Any:
        found = [mark.mark for mark in self.marks if mark.name == name]
        return found[-1] if found else None

    def add_marker(self, mark: pytest.MarkDecorator) -> None:
        self.marks.append(mark)

    @property
    def group(self) -> str | None:
        marker = self.get_closest_marker("xdist_group")
        return None if marker is None else str(marker.args[0])


MODEL = pytest.mark.model


def arrange(items: list[FakeItem]) -> list[FakeItem]:
    pytest_collection_modifyitems(cast(pytest.Config, None), cast(list[pytest.Item], items))
    return items


def test_the_production_profile_is_one_group_started_first_then_the_longest_trainings() -> None:
    items = arrange(
        [
            FakeItem("tests/channels/test_twilio_sms.py::test_photo", [MODEL]),
            FakeItem("tests/channels/test_twilio_sms.py::test_stop", [MODEL]),
            FakeItem("tests/model_ops/test_gate_real_models.py::test_gate", [MODEL, pytest.mark.timeout(1800)]),
            FakeItem("tests/scale/test_faults.py::test_kill", [MODEL], ("scale_stack",)),
            FakeItem("tests/e2e/test_sms_handoff_browser.py::test_handoff", [MODEL, pytest.mark.timeout(600)]),
            FakeItem("tests/scale/test_load.py::test_load", [MODEL, pytest.mark.timeout(900)], ("scale_stack",)),
        ]
    )

    assert [(item.nodeid.split("::")[1], item.group) for item in items] == [
        ("test_load", PRODUCTION_PROFILE_GROUP),
        ("test_kill", PRODUCTION_PROFILE_GROUP),
        ("test_gate", "tests/model_ops/test_gate_real_models.py"),
        ("test_handoff", "tests/e2e/test_sms_handoff_browser.py"),
        ("test_photo", "tests/channels/test_twilio_sms.py"),
        ("test_stop", "tests/channels/test_twilio_sms.py"),
    ]


def test_unit_tests_get_no_group_and_keep_their_order_whatever_timeouts_they_declare() -> None:
    names = ["test_a", "test_slow", "test_b", "test_garbled_timeout"]
    items = arrange(
        [
            FakeItem("tests/housing/test_x.py::test_a"),
            FakeItem("tests/housing/test_x.py::test_slow", [pytest.mark.timeout(1800)]),
            FakeItem("tests/console/test_y.py::test_b"),
            FakeItem("tests/console/test_y.py::test_garbled_timeout", [MODEL, pytest.mark.timeout("soon")]),
        ]
    )

    assert [item.nodeid.split("::")[1] for item in items] == names
    assert [item.group for item in items] == [None, None, None, "tests/console/test_y.py"]
