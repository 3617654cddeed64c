"""Run one prepared training job in its own process: `python -m bot.model_ops.worker <project root> <job id>`.

The console starts this detached, so the training outlives the request (and the console) that started it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.model_ops.jobs import run


def main(argv: list[str]) -> int:
    """Run the job named on the command line; return 0 when it succeeded."""
    if len(argv) != 2:
        print("usage: python -m bot.model_ops.worker <project root> <job id>", file=sys.stderr)
        return 2
    status = run(Path(argv[0]), argv[1])
    return 0 if status.state == "succeeded" else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
