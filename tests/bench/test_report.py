import math

from bench.report import INTENT_PLOT, LATENCY_PLOT, THROUGHPUT_PLOT, plot, render
from bench.targets import check


def _system(name, macro_f1, emergency=1.0, concern=1.0):
    return {
        "system": name,
        "accuracy": macro_f1,
        "macro_f1": macro_f1,
        "per_intent": {"greet": 1.0, "report_emergency": emergency},
        "emergency_recall": emergency,
        "concern_recall": concern,
        "out_of_scope_recall": 0.9,
        "parse_ms": 12.5,
        "safety_examples": 130,
        "examples": 370,
    }


def _phase(system, concurrency, rate, p50, p95, ack_p99, rss):
    latency = {"count": 100, "p50_ms": p50, "p95_ms": p95, "p99_ms": p95 * 1.2, "max_ms": p95 * 2}
    ack = {"count": 100, "p50_ms": 3.0, "p95_ms": 8.0, "p99_ms": ack_p99, "max_ms": 60.0}
    return {
        "system": system,
        "concurrency": concurrency,
        "seconds": 30.0,
        "messages": 900,
        "replies": int(rate * 30),
        "replies_per_second": rate,
        "messages_per_second": 30.0,
        "reply_latency": latency,
        "ack_latency": ack,
        "cpu_seconds": {"rasa server": 20.0},
        "cpu_per_message": 0.022,
        "peak_rss_mb": rss,
        "steps_done": 40,
        "steps_failed": 2,
        "conversations": 10,
        "errors": 0,
        "notes": "tracker store sqlite",
    }


FULL = "TenantLine (SMS, full path)"


def results(**overrides):
    base = {
        "started": "2026-11-21T13:00:00+00:00",
        "machine": "2 cores",
        "duration_s": 800.0,
        "notes": ["measured under load"],
        "understanding": [
            _system("TenantLine", 0.96),
            _system("Rasa default pipeline", 0.93, emergency=0.9),
            _system("TF-IDF + logistic regression", 0.97, concern=0.85),
        ],
        "load": [
            _phase(FULL, 1, 3.0, 45.0, 80.0, 12.0, {"rasa server": 900.0, "action server": 150.0}),
            _phase(FULL, 50, 42.0, 300.0, 650.0, 70.0, {"rasa server": 1100.0, "action server": 320.0}),
            _phase("bare Rasa (default pipeline, REST)", 50, 55.0, 200.0, 400.0, 0.0, {"rasa server": 800.0}),
        ],
        "training": {"full_seconds": 170.0, "nlu_only_seconds": 75.0, "model_mb": 90.1, "restored": ["TEDPolicy"]},
        "skipped": [],
    }
    base.update(overrides)
    return base


def verdicts(figures):
    return {t.name: t.met for t in check(figures)}


def test_targets_mark_each_figure_met_or_not():
    found = verdicts(results())
    assert found["held-out macro-F1"] is True
    assert found["macro-F1 ahead of both baselines"] is False  # TF-IDF scored higher
    assert found["replies/s at 50 conversations"] is False
    assert found["p95 reply latency at 50 conversations"] is False
    assert found["p50 reply latency at 1 conversation"] is True
    assert found["webhook acknowledgement p99, every load"] is False  # 70 ms at 50
    assert found["Rasa server peak RSS"] is True
    assert found["action server peak RSS"] is False
    assert found["full training (cold cache)"] is True
    assert found["retraining after an NLU-only change"] is False
    assert found["whole `make bench`"] is True


def test_targets_not_measured_in_a_partial_run_say_so_instead_of_failing():
    found = verdicts(results(load=[], training=None, understanding=[]))
    assert found["replies/s at 50 conversations"] is None
    assert found["full training (cold cache)"] is None
    assert found["held-out macro-F1"] is None


def test_duration_of_a_run_that_skipped_phases_does_not_count_against_the_15_minutes():
    assert verdicts(results(skipped=["training"]))["whole `make bench`"] is None
    assert verdicts(results(duration_s=1000.0))["whole `make bench`"] is False


def test_report_shows_every_target_with_its_verdict_and_every_system():
    text = render(results(), ["per-intent-f1.png"])
    assert "| held-out macro-F1 | >= 0.95 | 0.960 | met |" in text
    assert "| replies/s at 50 conversations | >= 60 | 42.0 | **not met** |" in text
    for system in ("TenantLine", "Rasa default pipeline", "TF-IDF + logistic regression"):
        assert f"| {system} |" in text
    assert "![per-intent-f1](per-intent-f1.png)" in text
    assert "> measured under load" in text
    assert "restored from the cache: TEDPolicy" in text


def test_report_of_an_empty_run_still_renders_and_lists_what_was_skipped():
    text = render(results(load=[], training=None, understanding=[], skipped=["training"]))
    assert "not measured" in text and "## Skipped in this run" in text and "- training" in text


def test_report_shows_a_dash_for_latencies_never_measured():
    phase = _phase(FULL, 1, 0.0, math.nan, math.nan, 0.0, {"rasa server": 1.0})
    assert "| - / - / - |" in render(results(load=[phase]))


def test_plots_are_written_as_png_files(tmp_path):
    written = plot(results(), tmp_path)
    assert written == [INTENT_PLOT, LATENCY_PLOT, THROUGHPUT_PLOT]
    for name in written:
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")
