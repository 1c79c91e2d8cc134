"""``explain trace-image PHOTO.png``: your own digit, prepared as MNIST's were, through the trained model.

Prints each step of `explain.prepare_digit` with its numbers, writes the figure of the steps
(`explain.figures.digit_steps`), then traces the prepared 28 × 28 image through the Hello World trained
5 epochs (from explain's cache, or trained once) and prints every layer and the ten probabilities. The
picture is read and checked before TensorFlow is imported, so a wrong file fails at once.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from explain import figures
from explain._core.formatting import plural
from explain._core.report import Report, Table, wrap
from explain.cli.output import check_out
from explain.data.digit import prepare_digit
from explain.data.sources import load_mnist
from explain.errors import OutputError
from explain.forward.trace import trace


def default_out(picture: str) -> Path:
    """Where the steps figure goes without ``--out``: ``<picture's name>-steps.png`` in the current folder.

    Examples:
        >>> str(default_out("photos/seven.jpg"))
        'seven-steps.png'
    """
    return Path(f"{Path(picture).stem}-steps.png")


def steps_path(picture: str, out: str | None) -> Path:
    """Where the steps figure goes: ``out`` when it names a file; ``<picture's name>-steps.png`` inside ``out``
    when it names a folder (one that exists, or a name ending in ``/``); without ``out``, `default_out`.

    Examples:
        >>> str(steps_path("photos/seven.jpg", "slides/")), str(steps_path("seven.jpg", "seven.svg"))
        ('slides/seven-steps.png', 'seven.svg')
    """
    if not out:
        return default_out(picture)
    if out.endswith(("/", os.sep)) or Path(out).is_dir():
        return Path(out) / default_out(picture)
    return Path(out)


def _check_target(picture: str, target: Path) -> None:
    """Refuse, before any work, a target that is the picture itself or lies in a folder that takes no file."""
    if target.exists() and Path(picture).exists() and os.path.samefile(target, picture):
        raise OutputError(
            f"Expected --out to name a new file for the figure of the steps, not the picture it is made from. "
            f"Received: {target}, which is the picture. Pass another name, e.g. --out {default_out(picture)}."
        )
    check_out(target.parent, need=1 << 20)  # (its own messages name --out and the fix)


def run_trace_image(args: argparse.Namespace) -> int:
    """Run ``explain trace-image``; returns the exit status."""
    target = steps_path(args.picture, args.out)
    _check_target(args.picture, target)
    prepared = prepare_digit(args.picture)
    print(prepared)
    out = figures.save(figures.digit_steps(prepared, title=f"{Path(args.picture).name}, prepared as MNIST's were"),
                       target)  # fmt: skip
    print(f"\nThe steps, as a figure: {out}\n")
    data = load_mnist(args.data)
    # Only now TensorFlow (explain.fit imports it): a picture that cannot be read has failed already, at once.
    from explain.fit.cache import trained

    print(f"Loading the model trained {plural(args.epochs, 'epoch')} from explain's cache, or training it once …",
          flush=True)  # fmt: skip
    t = trained(data, epochs=args.epochs, seed=args.seed)
    how = "from explain's cache" if t.from_cache else "trained now, then cached"
    print(wrap(f"Model: the Hello World trained {plural(args.epochs, 'epoch')} on {data.source}, seed {args.seed}, "
               f"test accuracy {t.test_accuracy:.4f} ({how}).") + "\n")  # fmt: skip
    result = trace(t.model, prepared.image)
    print(result)
    probabilities = result.output
    order = np.argsort(-probabilities)
    table = Table(
        ("class", "probability"),
        tuple((data.class_names[i], f"{probabilities[i]:.4f}") for i in order),
        align="lr",
    )
    print()
    print(Report("The ten probabilities, most likely first", (table,)).to_text())
    return 0
