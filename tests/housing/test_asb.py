import pytest

from bot.housing import asb
from bot.housing.db import session_scope
from bot.housing.enums import AsbCategory, CaseStatus, Urgency
from bot.housing.errors import EmptyDescription, InvalidChoice, InvalidStatusTransition, TenancyNotFound


def _report(session, tenancy, now, **overrides):
    values = {
        "tenancy_reference": tenancy,
        "category": "noise",
        "description": "Loud music from the flat above",
        "occurred": "Every night after 11pm",
        "location": "Flat above",
        "ongoing": True,
        "now": now,
    }
    values.update(overrides)
    return asb.create(session=session, **values)


def test_noise_report_is_a_normal_priority_case(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        case = _report(session, tenancy, now)
    assert (case.category, case.urgency, case.status, case.ongoing) == (
        AsbCategory.NOISE,
        Urgency.NORMAL,
        CaseStatus.OPEN,
        True,
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"involves_threats": True},
        {"hate_related": True},
        {"category": "threats"},
        {"category": "hate"},
        {"category": "violence"},
    ],
)
def test_threats_or_hate_make_a_case_urgent(session_factory, tenancy, now, overrides) -> None:
    with session_scope(session_factory) as session:
        case = _report(session, tenancy, now, **overrides)
    assert case.urgency is Urgency.HIGH


def test_case_status_changes_and_closed_cases_drop_off_the_open_list(
    session_factory, assert_refused, tenancy, now
) -> None:
    with session_scope(session_factory) as session:
        case = _report(session, tenancy, now)
        asb.update(session=session, reference=case.reference, status="closed", now=now)
        assert asb.list(session=session, tenancy_reference=tenancy, open_only=True) == []
    assert_refused(
        InvalidStatusTransition, lambda session: asb.update(session=session, reference=case.reference, status="closed")
    )


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"tenancy_reference": "TN999999"}, TenancyNotFound),
        ({"category": "annoying"}, InvalidChoice),
        ({"description": ""}, EmptyDescription),
        ({"occurred": " "}, EmptyDescription),
        ({"location": ""}, EmptyDescription),
    ],
)
def test_create_asb_case_refuses_invalid_input_and_writes_nothing(
    assert_refused, tenancy, now, overrides, error
) -> None:
    assert_refused(error, lambda session: _report(session, tenancy, now, **overrides))
