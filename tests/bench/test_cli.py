import pytest

from bench.__main__ import build_parser, is_complete, main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--levels", "ten"], "whole numbers"),
        (["--levels", "0,10"], "between 1 and 50"),
        (["--levels", "51"], "between 1 and 50"),
        (["--levels", ","], "between 1 and 50"),
        (["--phases", "understanding,speed"], "phases are"),
        (["--phases", ""], "phases are"),
        (["--seconds", "-5"], "between 1 and 600"),
        (["--seconds", "soon"], "must be a number"),
        (["--tracker-store", "mongo"], "sqlite, memory or a postgresql"),
        (["--sms-per-second", "lots"], "empty or a number"),
        (["--sms-per-second", "-3"], "empty or a number"),
        (
            ["--without", "turbo"],
            "--without takes nlu-off-loop, hot-path, lean-load, turn-thread, heap-freeze, process-settings",
        ),
        (["--without", "nlu-off-loop,gpu"], "--without takes"),
    ],
)
def test_bench_cli_refuses_garbage_naming_the_problem_and_runs_nothing(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_bench_cli_defaults_are_every_phase_at_1_10_and_50_conversations_with_every_change():
    args = build_parser().parse_args([])
    assert args.phases == ["understanding", "training", "load", "bare-rasa"]
    assert args.levels == [1, 10, 50]
    assert args.tracker_store == "sqlite"
    assert args.without == []
    assert is_complete(args)


def test_bench_cli_accepts_a_subset_of_phases_and_levels():
    args = build_parser().parse_args(["--phases", "load", "--levels", "1, 5", "--seconds", "20"])
    assert args.phases == ["load"] and args.levels == [1, 5] and args.seconds == 20.0


def test_bench_cli_runs_phases_in_their_fixed_order_whatever_order_they_are_named_in():
    args = build_parser().parse_args(["--phases", "bare-rasa,training,understanding"])
    assert args.phases == ["understanding", "training", "bare-rasa"]


def test_bench_run_without_a_change_never_replaces_the_committed_report():
    args = build_parser().parse_args(["--without", "nlu-off-loop, process-settings"])
    assert args.without == ["nlu-off-loop", "process-settings"]
    assert not is_complete(args)
    assert not is_complete(build_parser().parse_args(["--phases", "load"]))


def test_report_note_warns_that_figures_are_inflated_when_other_work_shared_the_machine():
    from bench.__main__ import _load_note

    busy = _load_note((3.2, 2.0, 1.5), 0.35)
    assert "Load average when the run started: 3.2 / 2.0 / 1.5" in busy
    assert "Other work on the machine used 35% of its CPU time during the run (figures are inflated by it)." in busy
    assert "inflated" not in _load_note((0.1, 0.1, 0.1), 0.02)
