"""``explain diagnose LOG``: what went wrong in a training run, from the text ``model.fit`` printed.

It never imports TensorFlow, so it answers in well under a second.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from explain.diagnosis.diagnose import diagnose
from explain.diagnosis.logparse import parse_log
from explain.errors import LogError


def run_diagnose(args: argparse.Namespace) -> int:
    """``explain diagnose LOG``: read the log (``-``: standard input), print its diagnosis; returns the exit status."""
    if args.log == "-":
        data = sys.stdin.buffer.read()
    else:
        path = Path(args.log)
        try:
            data = path.read_bytes()
        except OSError as e:
            raise LogError(f"Expected a readable log file. Received: {path} ({e.strerror or e}).") from None
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
