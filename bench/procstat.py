"""CPU seconds and memory of a running process, read from Linux's /proc (no extra dependency)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessSample:
    """What /proc says about a process at one moment."""

    cpu_seconds: float
    rss_mb: float
    peak_rss_mb: float


def parse_cpu_seconds(stat_line: str, ticks_per_second: int) -> float:
    """Return user + system CPU seconds from the one line of /proc/<pid>/stat.

    The command name (field 2) is in parentheses and may contain spaces, so fields are counted after its closing
    parenthesis: utime and stime are fields 14 and 15 of the whole line.

    Raises:
        ValueError: If the line does not have the shape of /proc/<pid>/stat.
    """
    closing = stat_line.rfind(")")
    if closing < 0:
        raise ValueError("not a /proc/<pid>/stat line: no command name")
    fields = stat_line[closing + 1 :].split()
    if len(fields) < 13:
        raise ValueError("not a /proc/<pid>/stat line: too few fields")
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / ticks_per_second


def parse_memory_mb(status_text: str) -> tuple[float, float]:
    """Return (current RSS, peak RSS) in MB from the text of /proc/<pid>/status.

    Raises:
        ValueError: If VmRSS or VmHWM is missing (a kernel thread, or not a status file).
    """
    values: dict[str, float] = {}
    for line in status_text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024  # kB
    if "VmRSS" not in values or "VmHWM" not in values:
        raise ValueError("no VmRSS/VmHWM in the status text")
    return values["VmRSS"], values["VmHWM"]


def sample(pid: int, proc: Path = PROC) -> ProcessSample:
    """Return the CPU seconds used so far and the current and peak resident memory of process `pid`.

    Raises:
        ProcessLookupError: If the process is gone.
    """
    try:
        stat_line = (proc / str(pid) / "stat").read_text()
        status_text = (proc / str(pid) / "status").read_text()
    except FileNotFoundError as error:
        raise ProcessLookupError(pid) from error
    rss, peak = parse_memory_mb(status_text)
    return ProcessSample(parse_cpu_seconds(stat_line, os.sysconf("SC_CLK_TCK")), round(rss, 1), round(peak, 1))


def parse_machine_busy(proc_stat_text: str, ticks_per_second: int) -> float:
    """Return the CPU seconds all CPUs have spent busy since boot, from the text of /proc/stat.

    Busy is everything but idle and I/O wait on the first ("cpu") line: user, nice, system, irq, softirq and
    steal (guest time is already counted in user).

    Raises:
        ValueError: If the text has no aggregate "cpu" line with numbers.
    """
    for line in proc_stat_text.splitlines():
        fields = line.split()
        if fields and fields[0] == "cpu":
            try:
                values = [int(v) for v in fields[1:9]]
            except ValueError as error:
                raise ValueError("the cpu line of /proc/stat holds something other than numbers") from error
            if len(values) < 8:
                raise ValueError("the cpu line of /proc/stat has too few fields")
            user, nice, system, _idle, _iowait, irq, softirq, steal = values
            return (user + nice + system + irq + softirq + steal) / ticks_per_second
    raise ValueError("no aggregate cpu line in /proc/stat")


@dataclass(frozen=True)
class MachineSample:
    """CPU time used so far by the whole machine and by this process with its finished children."""

    at: float
    machine_busy: float
    ours: float


def machine_busy_seconds(proc: Path = PROC) -> MachineSample:
    """Return the machine's busy CPU seconds and this process's own (itself plus children it has waited for)."""
    import resource
    import time

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    ours = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    busy = parse_machine_busy((proc / "stat").read_text(), os.sysconf("SC_CLK_TCK"))
    return MachineSample(time.monotonic(), busy, ours)


def other_work_share(before: MachineSample, after: MachineSample, cpus: int | None = None) -> float | None:
    """Return the share of the machine's CPU time that processes other than the bench's used between samples.

    The bench's own processes are counted once they have exited and been waited for, so take `after` when every
    server the bench started has stopped. None when no time passed.
    """
    wall = after.at - before.at
    capacity = wall * (cpus or os.cpu_count() or 1)
    if capacity <= 0:
        return None
    others = (after.machine_busy - before.machine_busy) - (after.ours - before.ours)
    return round(min(max(others / capacity, 0.0), 1.0), 3)
