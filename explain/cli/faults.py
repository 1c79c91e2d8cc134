"""``explain faults [NAME]``: the fault gallery, and one classic failure reproduced beside its diagnosis.

Listing the faults imports no TensorFlow; reproducing one trains, so it does.
"""

from __future__ import annotations

import argparse
import json

from explain.diagnosis.fault_catalogue import FAULTS, gallery, get


def run_faults(args: argparse.Namespace) -> int:
    """``explain faults [NAME]``: list the faults, or reproduce one (which trains); returns the exit status."""

    if args.name is None:
        if args.json:
            listing = [
                {"name": f.name, "title": f.title, "change": f.change, "expect": f.expect, "docs": f.docs}
                for f in FAULTS.values()
            ]
            print(json.dumps(listing, indent=2, ensure_ascii=False))
        else:
            print(gallery().to_text())
        return 0
    try:
        get(args.name)
    except KeyError as e:
        raise ValueError(e.args[0]) from None
    from explain.diagnosis.faults import run  # trains: imports TensorFlow, only for this

    result = run(args.name, epochs=args.epochs, seed=args.seed)
    if args.json:
        print(json.dumps({
            "fault": args.name, "seconds": round(result.seconds, 2), "error": result.error,
            "evaluation": result.evaluation, "log": result.tidy_log, "diagnosis": result.diagnosis.to_dict(),
        }, indent=2, ensure_ascii=False))  # fmt: skip
    else:
        print(result.side_by_side(args.width))
    return 0
