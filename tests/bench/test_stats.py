import math

import pytest

from bench.stats import percentile, summarise


def test_percentile_interpolates_between_closest_ranks():
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile([10.0, 20.0, 30.0, 40.0, 50.0], 95) == pytest.approx(48.0)


def test_percentile_ignores_input_order_and_hits_the_extremes():
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 5.0
    assert percentile(values, 50) == 3.0


def test_percentile_of_one_value_is_that_value():
    assert percentile([0.042], 99) == 0.042


def test_percentile_of_nothing_is_nan():
    assert math.isnan(percentile([], 50))


@pytest.mark.parametrize("q", [-1, 100.5, 1000])
def test_percentile_outside_0_to_100_is_refused(q):
    with pytest.raises(ValueError, match="between 0 and 100"):
        percentile([1.0], q)


def test_summarise_reports_milliseconds_from_seconds():
    summary = summarise([0.010, 0.020, 0.030, 0.040, 1.0])
    assert summary.count == 5
    assert summary.p50_ms == 30.0
    assert summary.max_ms == 1000.0
    assert summary.p95_ms > summary.p50_ms


def test_summarise_of_nothing_counts_zero_and_has_no_figures():
    summary = summarise([])
    assert summary.count == 0 and math.isnan(summary.p99_ms)
