"""`python -m bench` (what `make bench` runs): measure, then write bench/results/<run>/REPORT.md and plots.

The latest run's report and plots are also copied to bench/results/latest/, the copy kept in git. Trained models,
Rasa's caches and the servers' logs go to the work folder (var/bench), where the next run finds the models again.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from bot.settings import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "bench" / "results"
WORK = PROJECT_ROOT / "var" / "bench"
PHASES = ("understanding", "training", "load", "bare-rasa")
"""In the order they run: the trainings come before anything that needs a model, so a fresh clone trains once."""
MAX_CONCURRENCY = 50
"""Each concurrent conversation needs a tenant of its own (the bench's database has 460: bench/tenants.py)."""
DEFAULT_SECONDS = 20.0

T = TypeVar("T")


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
    """Return the phases named in "understanding,load", in the order they run.

    Raises:
        argparse.ArgumentTypeError: For an unknown or empty phase list.
    """
    phases = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [p for p in phases if p not in PHASES]
    if not phases or unknown:
        raise argparse.ArgumentTypeError(f"phases are {', '.join(PHASES)}; got {text!r}")
    return [p for p in PHASES if p in phases]


def parse_without(text: str) -> list[str]:
    """Return the changes from Rasa's defaults to leave out of TenantLine's server ("" leaves none out).

    Raises:
        argparse.ArgumentTypeError: For a name that is not a switchable change.
    """
    from bench.changes import SWITCHABLE

    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in SWITCHABLE]
    if unknown:
        raise argparse.ArgumentTypeError(f"--without takes {', '.join(SWITCHABLE)}; got {text!r}")
    return names


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
    parser.add_argument("--phases", type=parse_phases, default=list(PHASES), help=",".join(PHASES))
    parser.add_argument("--levels", type=parse_levels, default=[1, 10, 50], help="concurrent conversations")
    parser.add_argument("--seconds", type=positive_seconds, default=DEFAULT_SECONDS, help="length of each load phase")
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
    parser.add_argument(
        "--without",
        type=parse_without,
        default=[],
        help="run TenantLine's server without these changes from Rasa's defaults, to measure what they buy "
        "(see bench/changes.py)",
    )
    parser.add_argument("--work", type=Path, default=WORK, help="work folder for models, caches and logs")
    parser.add_argument("--out", type=Path, default=None, help="run folder (default bench/results/<timestamp>)")
    return parser


def _tenants(database: Path) -> list[tuple[str, date]]:
    from bot.housing import tenants
    from bot.housing.db import create_engine_for, make_session_factory

    engine = create_engine_for(f"sqlite:///{database}")
    try:
        with make_session_factory(engine)() as session:
            people = tenants.list(session=session, limit=1000)
            return [(str(p.phone), p.date_of_birth) for p in people if p.phone and p.date_of_birth]
    finally:
        engine.dispose()


async def _load_tenantline(model: Path, work: Path, args: argparse.Namespace, results: dict[str, Any]) -> None:
    from bench.load import nlu_phase, tenantline_phase, warm_up
    from bench.phone import CountingTwilio
    from bench.stack import tenantline_stack
    from bench.tenants import TenantPool, add_tenants
    from tests.support.fake_twilio import SMS_NUMBER
    from tests.support.housing import seeded_database

    if work.exists():
        shutil.rmtree(work)  # a fresh housing database and tracker store for every run
    work.mkdir(parents=True)
    database = seeded_database(work / "housing.db")
    add_tenants(database)
    people = _tenants(database)
    if len(people) < max(args.levels) + 1:
        raise RuntimeError(f"the housing database has {len(people)} tenants with phones; {max(args.levels) + 1} needed")
    # The warm-up's tenant holds no measured conversation; every other one is new to the run when its turn comes.
    warm_up_tenant, pool = people[-1], TenantPool(people[:-1])
    fake = CountingTwilio()
    await fake.start()
    pacing = "unpaced" if args.sms_per_second == "0" else (args.sms_per_second or "10") + " SMS/s"
    without = f"; without {', '.join(args.without)}" if args.without else ""
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
            without=args.without,
        ) as stack:
            _say(f"warm-up: {await warm_up(stack, fake, warm_up_tenant)} of 4 steps went as planned")
            for level in args.levels:
                _say(f"TenantLine, {level} conversation(s), {args.seconds:.0f} s ...")
                phase = await tenantline_phase(
                    stack,
                    fake,
                    pool,
                    level,
                    args.seconds,
                    f"tracker store {args.tracker_store}; outbox {pacing}; each conversation by a tenant new to the "
                    f"run, from {pool.size}{without}",
                )
                results["load"].append(asdict(phase))
            _say("NLU parse ceiling ...")
            results["load"].append(asdict(await nlu_phase(stack, 10, min(args.seconds, 20.0))))
    finally:
        await fake.stop()


async def _load_bare(model: Path, work: Path, args: argparse.Namespace, results: dict[str, Any]) -> None:
    from bench.load import bare_phase
    from bench.stack import bare_stack

    work.mkdir(parents=True, exist_ok=True)
    with bare_stack(model, work) as stack:
        await bare_phase(stack, 1, 3.0)  # warm-up, not reported
        for level in args.levels:
            _say(f"bare Rasa, {level} conversation(s), {args.seconds:.0f} s ...")
            results["load"].append(asdict(await bare_phase(stack, level, args.seconds)))


_STARTED = time.perf_counter()


def _say(line: str) -> None:
    print(f"[{(time.perf_counter() - _STARTED) / 60:5.1f} min] {line}", flush=True)


@contextmanager
def _step(results: dict[str, Any], name: str) -> Iterator[None]:
    """Time one step of the run; its wall time goes to the report, so a slow run says where the time went."""
    _say(f"{name} ...")
    started = time.perf_counter()
    try:
        yield
    finally:
        results["steps"].append({"name": name, "seconds": round(time.perf_counter() - started, 1)})


def _timed(results: dict[str, Any], name: str, work: Callable[[], T]) -> T:
    """Run `work` as a timed step; return what it returns."""
    with _step(results, name):
        return work()


def run(args: argparse.Namespace) -> Path:
    """Run the chosen phases and write the report; return the run folder."""
    from bench import procstat, report
    from bench.targets import DEFAULT, TENANTLINE, TFIDF
    from bot.training import ensure_model, model_path

    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    run_dir = (args.out or RESULTS / stamp).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    machine_before = procstat.machine_busy_seconds()
    load = os.getloadavg()
    results: dict[str, Any] = {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}",
        "load_at_start": [round(x, 2) for x in load],
        "notes": [
            "The load generator and the fake Twilio run on the same machine as the servers and share its CPUs.",
        ],
        "phases": list(args.phases),
        "levels": list(args.levels),
        "seconds_per_phase": args.seconds,
        "without": list(args.without),
        "understanding": [],
        "load": [],
        "training": None,
        "baseline": None,
        "steps": [],
        "skipped": [p for p in PHASES if p not in args.phases],
    }
    scores: dict[str, dict[str, Any]] = {}
    if "understanding" in args.phases:
        from bench.understanding import summarise_evaluation, tfidf_evaluation

        tfidf = _timed(results, "understanding: TF-IDF + logistic regression", tfidf_evaluation)
        scores[TFIDF] = asdict(summarise_evaluation(TFIDF, tfidf))
    if "training" in args.phases:
        from bench.training import measure

        outcome = _timed(
            results,
            "training: TenantLine cold, then after an NLU-only change",
            lambda: measure(work / "training", adopt_as=model_path(PROJECT_ROOT)),
        )
        results["training"] = asdict(outcome)
    model: Path | None = None
    if {"understanding", "load"} & set(args.phases):
        model = _timed(results, "TenantLine's model (trained only if missing)", lambda: ensure_model(PROJECT_ROOT))
    default_model: Path | None = None
    if {"understanding", "bare-rasa"} & set(args.phases):
        from bench.baseline import ensure_default_model

        baseline = _timed(
            results, "Rasa's default pipeline: model (trained only if missing)", lambda: ensure_default_model(work)
        )
        default_model = baseline.path
        results["baseline"] = _baseline_figures(baseline)
    if "understanding" in args.phases:
        from bench.understanding import rasa_evaluation, summarise_evaluation

        assert model is not None and default_model is not None
        for name, path in ((TENANTLINE, model), (DEFAULT, default_model)):
            with _step(results, f"understanding: {name}"):
                scores[name] = asdict(summarise_evaluation(name, rasa_evaluation(path)))
        results["understanding"] = [scores[name] for name in (TENANTLINE, DEFAULT, TFIDF) if name in scores]
    if "load" in args.phases:
        assert model is not None
        with _step(results, "speed and memory: TenantLine"):
            asyncio.run(_load_tenantline(model, work / "load" / "tenantline", args, results))
    if "bare-rasa" in args.phases:
        assert default_model is not None
        with _step(results, "speed and memory: bare Rasa"):
            asyncio.run(_load_bare(default_model, work / "load" / "bare", args, results))
    results["duration_s"] = round(time.perf_counter() - started, 1)
    results["other_cpu_share"] = procstat.other_work_share(machine_before, procstat.machine_busy_seconds())
    results["notes"].insert(0, _load_note(load, results["other_cpu_share"]))
    (run_dir / "results.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    plots = report.plot(results, run_dir)
    (run_dir / "REPORT.md").write_text(report.render(results, plots), encoding="utf-8")
    if is_complete(args):
        publish(run_dir, RESULTS / "latest", plots)
    else:
        _say("a partial run (phases left out, or changes switched off): bench/results/latest/ left as it was")
    return run_dir


def is_complete(args: argparse.Namespace) -> bool:
    """Return whether the run measures everything as shipped, so its report may replace the committed one."""
    return list(args.phases) == list(PHASES) and not args.without


def _baseline_figures(baseline: Any) -> dict[str, Any]:
    from bench.training import component_seconds

    components: list[tuple[str, float]] = []
    if baseline.train_seconds is not None and baseline.log.exists():
        components = component_seconds(baseline.log.read_text(errors="replace"))
    return {
        "model": baseline.path.name,
        "train_seconds": baseline.train_seconds,
        "components": components,
        "model_mb": round(baseline.path.stat().st_size / 1e6, 1),
    }


def _load_note(load: tuple[float, float, float], other_share: float | None) -> str:
    note = (
        f"Load average when the run started: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} cores."
    )
    if other_share is not None:
        note += f" Other work on the machine used {other_share:.0%} of its CPU time during the run" + (
            " (figures are inflated by it)." if other_share >= 0.1 else "."
        )
    return note


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
    copied = " (copied to bench/results/latest/)" if is_complete(args) else ""
    print(f"report: {run_dir / 'REPORT.md'}{copied}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
