import pytest

from bench.__main__ import build_parser, main


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
    ],
)
def test_bench_cli_refuses_garbage_naming_the_problem_and_runs_nothing(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_bench_cli_defaults_are_every_phase_at_1_10_and_50_conversations():
    args = build_parser().parse_args([])
    assert args.phases == ["understanding", "load", "training"]
    assert args.levels == [1, 10, 50]
    assert args.tracker_store == "sqlite"


def test_bench_cli_accepts_a_subset_of_phases_and_levels():
    args = build_parser().parse_args(["--phases", "load", "--levels", "1, 5", "--seconds", "20"])
    assert args.phases == ["load"] and args.levels == [1, 5] and args.seconds == 20.0
