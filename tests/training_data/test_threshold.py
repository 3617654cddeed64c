from bot.training_data.threshold import build_report, render


def test_threshold_report_counts_caught_mistakes_and_inbox_volume() -> None:
    pairs = [
        (True, 0.99, False),
        (True, 0.55, False),
        (False, 0.40, False),
        (False, 0.62, False),
        (False, 0.95, True),  # the fallback caught it whatever the threshold
    ]

    report = build_report(pairs)

    by_threshold = {row.threshold: row for row in report.rows}
    assert report.wrong == 3 and report.wrong_confidences == [0.4, 0.62, 0.95]
    assert (round(by_threshold[0.5].wrong_caught, 2), by_threshold[0.5].flagged) == (0.67, 0.4)
    assert (by_threshold[0.65].wrong_caught, by_threshold[0.65].flagged) == (1.0, 0.8)
    assert "| 0.65 | 100% | 80% |" in render(report)


def test_threshold_report_of_nothing_is_empty_not_an_error() -> None:
    report = build_report([])
    assert report.examples == 0 and all(row.flagged == 0.0 for row in report.rows)
