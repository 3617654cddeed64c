import pytest

from bench.sms_channel import rate_limit_from
from channels.outbox import RateLimit

PRODUCTION = RateLimit(overall_per_second=10.0)


def test_unset_pacing_keeps_the_channels_production_limit():
    assert rate_limit_from(None, PRODUCTION) is PRODUCTION
    assert rate_limit_from("  ", PRODUCTION) is PRODUCTION


def test_zero_lifts_the_limit_and_a_number_sets_it():
    assert rate_limit_from("0", PRODUCTION).overall_per_second is None
    assert rate_limit_from("100", PRODUCTION).overall_per_second == 100.0


@pytest.mark.parametrize("garbage", ["-1", "nan", "fast"])
def test_garbage_pacing_is_refused(garbage):
    with pytest.raises(ValueError):
        rate_limit_from(garbage, PRODUCTION)
