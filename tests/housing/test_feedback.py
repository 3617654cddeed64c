import pytest

from bot.housing import feedback
from bot.housing.db import session_scope
from bot.housing.enums import FeedbackKind
from bot.housing.errors import EmptyDescription, InvalidChoice, InvalidInput, TenancyNotFound


def test_feedback_is_kept_with_its_kind_and_rating(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        praise = feedback.create(
            session=session,
            kind="compliment",
            text="The plumber was brilliant",
            rating=5,
            tenancy_reference=tenancy,
            now=now,
        )
        feedback.create(session=session, kind="suggestion", text="Text me the day before", now=now)
    with session_scope(session_factory) as session:
        compliments = feedback.list(session=session, kind=FeedbackKind.COMPLIMENT)
        assert [item.reference for item in compliments] == [praise.reference]
        assert feedback.get_or_raise(session=session, reference=praise.reference).rating == 5


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"kind": "rant"}, InvalidChoice),
        ({"text": "  "}, EmptyDescription),
        ({"rating": 6}, InvalidInput),
        ({"rating": 0}, InvalidInput),
        ({"tenancy_reference": "TN999999"}, TenancyNotFound),
    ],
)
def test_create_feedback_refuses_invalid_input_and_writes_nothing(assert_refused, now, overrides, error) -> None:
    values = {"kind": "comment", "text": "Fine", "now": now} | overrides
    assert_refused(error, lambda session: feedback.create(session=session, **values))
