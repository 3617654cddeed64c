import math

from bench.changes import SWITCHABLE
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
        "training": {
            "full_seconds": 170.0,
            "nlu_only_seconds": 75.0,
            "model_mb": 90.1,
            "restored": ["TEDPolicy"],
            "full_components": [
                ["CountVectorsFeaturizer", 2.0],
                ["DIETClassifier", 95.0],
                ["CountVectorsFeaturizer", 3.0],
                ["ResponseSelector", 30.0],
            ],
            "nlu_only_components": [["DIETClassifier", 60.0]],
            "adopted": False,
            "finetune_epoch_fraction": 0.25,
        },
        "baseline": {
            "model": "rasa-default-0123456789abcdef.tar.gz",
            "train_seconds": 610.0,
            "components": [["DIETClassifier", 540.0], ["ResponseSelector", 50.0], ["RegexFeaturizer", 0.0]],
            "model_mb": 150.4,
        },
        "steps": [{"name": "training: TenantLine cold, then after an NLU-only change", "seconds": 245.0}],
        "without": [],
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


def test_report_names_the_slowest_training_components_next_to_the_training_targets():
    text = render(results())
    assert "- full training, cold cache: 2.8 min (target < 3 min); model 90.1 MB; slowest components: " in text
    assert "DIETClassifier 95 s, ResponseSelector 30 s, CountVectorsFeaturizer 5 s" in text
    assert "(fine-tuned from the cold model for 25% of the epochs, same cache): 75 s (target < 1 min)" in text
    assert "slowest components: DIETClassifier 60 s; restored from the cache: TEDPolicy" in text


def test_report_says_whether_rasas_default_model_was_trained_in_the_run_or_reused():
    trained = render(results())
    assert (
        "- Rasa default pipeline model (150.4 MB): trained in this run in 10.2 min; slowest components: "
        "DIETClassifier 540 s, ResponseSelector 50 s\n" in trained
    )
    reused = render(results(baseline={**results()["baseline"], "train_seconds": None}))
    assert "reused from the bench's work folder" in reused and "trained in this run" not in reused


def test_report_says_when_the_cold_model_became_the_served_model():
    adopted = results()
    adopted["training"] = {**adopted["training"], "adopted": True}
    assert "the cold model is the one this run serves" in render(adopted)
    assert "the cold model is the one this run serves" not in render(results())


def test_report_lists_every_change_from_rasas_defaults_with_the_figures_that_measure_the_pipeline():
    text = render(results())
    assert "## What we changed from Rasa's defaults and what it bought" in text
    for name in ("nlu-off-loop", "process-settings", "pipeline", "policies", "tracker store"):
        assert f"| {name} | " in text
    assert "TenantLine vs Rasa's default: macro-F1 0.960 vs 0.930, parse 12.5 vs 12.5 ms/message" in text
    assert "model 90.1 vs 150.4 MB, full training 2.8 min vs 10.2 min" in text
    bought = SWITCHABLE["process-settings"].bought
    assert f"{bought} ([docs/bench.md](../../../docs/bench.md))" in text


def test_report_of_a_run_without_understanding_or_training_says_the_pipeline_was_not_measured():
    text = render(results(understanding=[], training=None, baseline=None))
    assert "| pipeline | " in text and "| not measured in this run |" in text


def test_report_of_a_run_without_a_change_says_so_at_the_top_and_in_the_changes_table():
    text = render(results(without=["nlu-off-loop"]))
    first_target = text.index("## Targets")
    assert "> TenantLine's server ran WITHOUT these changes from Rasa's defaults" in text[:first_target]
    assert "| nlu-off-loop | " in text and "switched off in this run" in text
    assert "WITHOUT" not in render(results())


def test_report_shows_where_the_time_of_the_run_went():
    text = render(results())
    assert "| training: TenantLine cold, then after an NLU-only change | 4.1 min |" in text
    assert "| whole run | 13.3 min |" in text


def test_report_of_a_results_file_from_before_steps_and_baseline_still_renders():
    old = results()
    for key in ("steps", "baseline", "without"):
        del old[key]
    old["training"] = {"full_seconds": 170.0, "nlu_only_seconds": 75.0, "model_mb": 90.1, "restored": []}
    text = render(old)
    assert "restored from the cache: nothing" in text and "## Where the time went" not in text
