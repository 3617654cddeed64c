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
