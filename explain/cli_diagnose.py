"""The ``explain diagnose`` and ``explain faults`` commands (wired into `explain.cli`).

``explain diagnose LOG`` reads a saved training log (``-`` for standard input)
and prints the diagnosis; it never imports TensorFlow, so it answers in well
under a second. ``explain faults`` lists the fault gallery and ``explain
faults NAME`` reproduces one (that one trains, so it imports TensorFlow).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

DIAGNOSE_EPILOG = """\
examples:
  explain diagnose train.log          findings for a log saved from model.fit
  python train.py 2>&1 | explain diagnose -
  explain diagnose train.log --json   the same as JSON

The log may come from Keras 3 (1875/1875 ━━━━ … - accuracy: … - loss: …) or older
Keras (60000/60000 [=====] … - loss: … - acc: …), with or without colour codes.
"""

FAULTS_EPILOG = """\
examples:
  explain faults                          list the faults
  explain faults raw-inputs-clipped-loss  reproduce one: its log beside its diagnosis
"""


def add_commands(sub: Any, positive_int: Any, non_negative_int: Any) -> None:
    """Add the ``diagnose`` and ``faults`` subcommands to the CLI's subparsers.

    Examples:
        >>> import argparse
        >>> parser = argparse.ArgumentParser(prog="explain")
        >>> add_commands(parser.add_subparsers(dest="command"), int, int)
        >>> parser.parse_args(["diagnose", "-", "--json"]).json
        True
    """
    diag = sub.add_parser(
        "diagnose",
        help="say what went wrong in a training run, from the log model.fit printed",
        description="Read the text model.fit / model.evaluate printed and say what went wrong (or that nothing "
        "did): each finding with its evidence, likely causes, the fix and the docs page. TensorFlow is not imported.",
        epilog=DIAGNOSE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    diag.add_argument("log", metavar="LOG", help="the log file, or - for standard input")
    diag.add_argument("--json", action="store_true", help="print the diagnosis as JSON")
    diag.add_argument("--parsed", action="store_true", help="also print what was read from the log, epoch by epoch")

    faults = sub.add_parser(
        "faults",
        help="reproduce classic training failures on the shipped sample, each with its diagnosis",
        description="Without NAME: list the faults. With NAME: train the Hello World with that one thing changed "
        "(a few epochs on the shipped MNIST sample, under 30 s) and print its log beside its diagnosis.",
        epilog=FAULTS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    faults.add_argument("name", nargs="?", metavar="NAME", help="the fault to reproduce")
    faults.add_argument("--epochs", type=positive_int, default=None, help="epochs to train (default: the fault's)")
    faults.add_argument("--seed", type=non_negative_int, default=0, help="random seed (default: 0)")
    faults.add_argument("--json", action="store_true", help="print the log and the diagnosis as JSON")
    faults.add_argument("--width", type=positive_int, default=None,
                        help="columns for the side-by-side view (default: the terminal's)")  # fmt: skip
    faults.add_argument("--verbose", action="store_true", help="show TensorFlow's start-up log")


def run_command(args: argparse.Namespace) -> int:
    """Run ``diagnose`` or ``faults``; returns the exit status (errors raise ``ValueError`` for the CLI to print)."""
    if args.command == "diagnose":
        return _diagnose(args)
    return _faults(args)


def _diagnose(args: argparse.Namespace) -> int:
    from pathlib import Path

    from explain.diagnosis import diagnose
    from explain.logparse import LogError, parse_log

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


def _faults(args: argparse.Namespace) -> int:
    from explain import faults

    if args.name is None:
        if args.json:
            listing = [
                {"name": f.name, "title": f.title, "change": f.change, "expect": f.expect, "docs": f.docs}
                for f in faults.FAULTS.values()
            ]
            print(json.dumps(listing, indent=2, ensure_ascii=False))
        else:
            print(faults.gallery().to_text())
        return 0
    try:
        faults.get(args.name)
    except KeyError as e:
        raise ValueError(e.args[0]) from None
    result = faults.run(args.name, epochs=args.epochs, seed=args.seed)
    if args.json:
        print(json.dumps({
            "fault": args.name, "seconds": round(result.seconds, 2), "error": result.error,
            "evaluation": result.evaluation, "log": result.tidy_log, "diagnosis": result.diagnosis.to_dict(),
        }, indent=2, ensure_ascii=False))  # fmt: skip
    else:
        print(result.side_by_side(args.width))
    return 0
