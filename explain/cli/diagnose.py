"""``explain diagnose LOG``: what went wrong in a training run, from the text ``model.fit`` printed.

It never imports TensorFlow, so it answers in well under a second.
"""

from __future__ import annotations

import argparse
import sys

from explain.diagnosis.diagnose import diagnose
from explain.diagnosis.logparse import MAX_LOG_BYTES, parse_log, read_log_file


def run_diagnose(args: argparse.Namespace) -> int:
    """``explain diagnose LOG``: read the log (``-``: standard input), print its diagnosis; returns the exit status."""
    # "-": standard input, which the user pipes in on purpose; a path: a regular file only (a FIFO would block)
    data = sys.stdin.buffer.read(MAX_LOG_BYTES) if args.log == "-" else read_log_file(args.log)
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
