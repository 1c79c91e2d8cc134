"""``explain diagnose LOG``: what went wrong in a training run, from the text ``model.fit`` printed.

It never imports TensorFlow, so it answers in well under a second.
"""

from __future__ import annotations

import argparse
import sys

from explain.diagnosis.diagnose import diagnose
from explain.diagnosis.logparse import MAX_LOG_BYTES, parse_log, read_log_file
from explain.errors import LogError


def run_diagnose(args: argparse.Namespace) -> int:
    """``explain diagnose LOG``: read the log (``-``: standard input), print its diagnosis; returns the exit status."""
    # "-": standard input, which the user pipes in on purpose; a path: a regular file only (a FIFO would block)
    data = sys.stdin.buffer.read(MAX_LOG_BYTES + 1) if args.log == "-" else read_log_file(args.log)
    if len(data) > MAX_LOG_BYTES:
        raise LogError(
            f"Expected a log of at most {MAX_LOG_BYTES >> 20} MB on standard input. Received: more. Pipe in the part "
            f"of interest, e.g. the last lines: tail -c 10M train.log | explain diagnose -"
        )
    log = parse_log(data)
    result = diagnose(log)
    if args.json:
        print(result.to_json())
    else:
        if args.parsed:
            print(log)
            print()
        print(result)
    return 0
