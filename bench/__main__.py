"""`python -m bench` (what `make bench` runs): measure, then write bench/results/<run>/REPORT.md and plots.

The latest run's report and plots are also copied to bench/results/latest/, the copy kept in git.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sys
import time
from dataclasses import asdict
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from bot.settings import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "bench" / "results"
PHASES = ("understanding", "load", "training")
MAX_CONCURRENCY = 50
"""The demo landlord has 60 tenants with phone numbers; each concurrent conversation needs its own."""


def parse_levels(text: str) -> list[int]:
    """Return the concurrency levels in "1,10,50".

    Raises:
        argparse.ArgumentTypeError: For anything but comma-separated whole numbers from 1 to 50.
    """
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"levels must be whole numbers separated by commas, got {text!r}") from error
    if not levels or any(not 1 <= level <= MAX_CONCURRENCY for level in levels):
        raise argparse.ArgumentTypeError(f"each level must be between 1 and {MAX_CONCURRENCY}, got {text!r}")
    return levels


def parse_phases(text: str) -> list[str]:
    """Return the phases named in "understanding,load".

    Raises:
        argparse.ArgumentTypeError: For an unknown or empty phase list.
    """
    phases = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [p for p in phases if p not in PHASES]
    if not phases or unknown:
        raise argparse.ArgumentTypeError(f"phases are {', '.join(PHASES)}; got {text!r}")
    return phases


def positive_seconds(text: str) -> float:
    """Return a phase length in seconds.

    Raises:
        argparse.ArgumentTypeError: Unless it is a number from 1 to 600.
    """
    try:
        value = float(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"seconds must be a number, got {text!r}") from error
    if not 1 <= value <= 600:
        raise argparse.ArgumentTypeError(f"seconds must be between 1 and 600, got {text!r}")
    return value


def tracker_store(text: str) -> str:
    """Return a tracker store choice after checking it.

    Raises:
        argparse.ArgumentTypeError: Unless it is sqlite, memory or a postgresql:// URL.
    """
    from bench.stack import tracker_store_config

    try:
        tracker_store_config(text, Path("."))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return text


def sms_pacing(text: str) -> str:
    """Return an SMS pacing choice after checking it.

    Raises:
        argparse.ArgumentTypeError: Unless it is empty or a non-negative number.
    """
    from bench.sms_channel import rate_limit_from
    from channels.outbox import RateLimit

    try:
        rate_limit_from(text, RateLimit())
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"--sms-per-second must be empty or a number >= 0, got {text!r}") from error
    return text


def build_parser() -> argparse.ArgumentParser:
    """Return the command line of `python -m bench`."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--phases", type=parse_phases, default=list(PHASES), help="understanding,load,training")
    parser.add_argument("--levels", type=parse_levels, default=[1, 10, 50], help="concurrent conversations")
    parser.add_argument("--seconds", type=positive_seconds, default=30.0, help="length of each load phase")
    parser.add_argument(
        "--tracker-store",
        type=tracker_store,
        default="sqlite",
        help="TenantLine's tracker store: sqlite, memory or a postgresql:// URL",
    )
    parser.add_argument(
        "--sms-per-second",
        type=sms_pacing,
        default="0",
        help="outbox SMS pacing during the load phases: 0 = unpaced, '' = the channel's production 10/s",
    )
    parser.add_argument("--out", type=Path, default=None, help="run folder (default bench/results/<timestamp>)")
    return parser


def _tenants(database: Path) -> list[tuple[str, date]]:
    from bot.housing import tenants
    from bot.housing.db import create_engine_for, make_session_factory

    engine = create_engine_for(f"sqlite:///{database}")
    try:
        with make_session_factory(engine)() as session:
            people = tenants.list(session=session, limit=200)
            return [(str(p.phone), p.date_of_birth) for p in people if p.phone and p.date_of_birth]
    finally:
        engine.dispose()


async def _load_tenantline(model: Path, run: Path, args: argparse.Namespace, results: dict[str, Any]) -> None:
    from bench.load import nlu_phase, tenantline_phase, warm_up
    from bench.phone import CountingTwilio
    from bench.stack import tenantline_stack
    from tests.support.fake_twilio import SMS_NUMBER
    from tests.support.housing import seeded_database

    work = run / "work" / "tenantline"
    work.mkdir(parents=True, exist_ok=True)
    database = seeded_database(work / "housing.db")
    people = _tenants(database)
    if len(people) < max(args.levels) + 1:
        raise RuntimeError(f"the demo data has {len(people)} tenants with phones; {max(args.levels) + 1} needed")
    fake = CountingTwilio()
    await fake.start()
    pacing = "unpaced" if args.sms_per_second == "0" else (args.sms_per_second or "10") + " SMS/s"
    try:
        with tenantline_stack(
            model,
            work,
            database,
            fake.base_url,
            account_sid=fake.account_sid,
            auth_token=fake.auth_token,
            sms_from=SMS_NUMBER,
            tracker_store=args.tracker_store,
            sms_per_second=args.sms_per_second,
        ) as stack:
            print(f"warm-up: {await warm_up(stack, fake, people[-1])} of 4 steps went as planned", flush=True)
            for level in args.levels:
                print(f"TenantLine, {level} conversation(s), {args.seconds:.0f} s ...", flush=True)
                phase = await tenantline_phase(
                    stack, fake, people[:level], args.seconds, f"tracker store {args.tracker_store}; outbox {pacing}"
                )
                results["load"].append(asdict(phase))
            print("NLU parse ceiling ...", flush=True)
            results["load"].append(asdict(await nlu_phase(stack, 10, min(args.seconds, 20.0))))
    finally:
        await fake.stop()


async def _load_bare(model: Path, run: Path, args: argparse.Namespace, results: dict[str, Any]) -> None:
    from bench.load import bare_phase
    from bench.stack import bare_stack

    work = run / "work" / "bare"
    work.mkdir(parents=True, exist_ok=True)
    with bare_stack(model, work) as stack:
        await bare_phase(stack, 1, 3.0)  # warm-up, not reported
        for level in args.levels:
            print(f"bare Rasa, {level} conversation(s), {args.seconds:.0f} s ...", flush=True)
            results["load"].append(asdict(await bare_phase(stack, level, args.seconds)))


def run(args: argparse.Namespace) -> Path:
    """Run the chosen phases and write the report; return the run folder."""
    from bench import report
    from bench.baseline import ensure_default_model
    from bench.targets import DEFAULT, TENANTLINE, TFIDF
    from bot.training import ensure_model

    started = time.perf_counter()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    run_dir = (args.out or RESULTS / stamp).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    results: dict[str, Any] = {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}",
        "notes": [
            f"Load average when the run started: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on "
            f"{os.cpu_count()} cores. Figures measured while other work loads the machine are inflated.",
            "The load generator and the fake Twilio run on the same machine as the servers and share its CPUs.",
        ],
        "understanding": [],
        "load": [],
        "training": None,
        "baseline_training_s": None,
        "skipped": [p for p in PHASES if p not in args.phases],
    }
    if {"understanding", "load"} & set(args.phases):
        print("models (TenantLine's from models/, Rasa's default from bench/results/work/) ...", flush=True)
        model = ensure_model(PROJECT_ROOT)
        default_model, results["baseline_training_s"] = ensure_default_model(RESULTS / "work")
    if "understanding" in args.phases:
        from bench.understanding import rasa_evaluation, summarise_evaluation, tfidf_evaluation

        print("understanding ...", flush=True)
        for name, evaluation in (
            (TENANTLINE, lambda: rasa_evaluation(model)),
            (DEFAULT, lambda: rasa_evaluation(default_model)),
            (TFIDF, tfidf_evaluation),
        ):
            results["understanding"].append(asdict(summarise_evaluation(name, evaluation())))
    if "load" in args.phases:
        asyncio.run(_load_tenantline(model, run_dir, args, results))
        asyncio.run(_load_bare(default_model, run_dir, args, results))
    if "training" in args.phases:
        from bench.training import measure

        print("training (cold, then after an NLU-only change) ...", flush=True)
        results["training"] = asdict(measure(run_dir / "work" / "training"))
    results["duration_s"] = round(time.perf_counter() - started, 1)
    (run_dir / "results.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    plots = report.plot(results, run_dir)
    (run_dir / "REPORT.md").write_text(report.render(results, plots), encoding="utf-8")
    publish(run_dir, RESULTS / "latest", plots)
    return run_dir


def publish(run_dir: Path, latest: Path, plots: list[str]) -> None:
    """Copy a run's report and plots to `latest` (replacing what was there)."""
    if latest.exists():
        shutil.rmtree(latest)
    latest.mkdir(parents=True)
    for name in ["REPORT.md", "results.json", *plots]:
        shutil.copy2(run_dir / name, latest / name)


def main(argv: list[str] | None = None) -> int:
    """Run the bench from the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        run_dir = run(args)
    except RuntimeError as error:
        print(f"bench failed: {error}", file=sys.stderr)
        return 1
    print(f"report: {run_dir / 'REPORT.md'} (copied to bench/results/latest/)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
