"""The ``explain`` command: a thin layer over the Python API.

TensorFlow is imported only by the commands that need it (``explain --help``
answers at once), and its C++ start-up log is hidden unless ``--verbose``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

EPILOG = """\
examples:
  explain tour --data sample         walk through the Hello World on the shipped sample
  explain tour --data mnist.npz      ... on the full MNIST (a Keras-layout .npz or idx folder)
  explain tour --epochs 1 --index 3  one epoch, following test digit 3
  explain figures --out slides/      every teaching figure as PNG (trained model cached)
  explain diagnose train.log         what went wrong in a run, from the log model.fit printed
  explain faults raw-inputs          reproduce a classic failure, log beside diagnosis

data (--data auto): $EXPLAIN_MNIST, then ~/.keras/datasets/mnist.npz, then Keras's
download, then the sample of real MNIST shipped with explain.
"""


def _parser() -> argparse.ArgumentParser:
    from explain import __version__

    parser = argparse.ArgumentParser(
        prog="explain",
        description="TensorFlow's Hello World (the MNIST classifier), taken apart line by line and layer by layer.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"explain {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    tour = sub.add_parser(
        "tour",
        help="run the Hello World step by step, explaining each line with real numbers",
        description="Run the Hello World step by step: load, look, normalize, build, trace one digit through "
        "every layer, compile, fit, evaluate. Prints what each line produced and writes the figures (PNG) "
        "and a summary (Markdown, JSON) to --out.",
    )
    tour.add_argument("--data", default="auto", metavar="auto|sample|PATH",
                      help="where MNIST comes from (default: auto)")  # fmt: skip
    tour.add_argument("--epochs", type=_positive_int, default=5, help="epochs to train (default: 5, as the tutorial)")
    tour.add_argument("--index", type=_non_negative_int, default=0, help="which test digit to follow (default: 0)")
    tour.add_argument("--seed", type=_non_negative_int, default=0, help="random seed (default: 0)")
    tour.add_argument("--out", default="explain-tour", help="folder for figures and summary (default: ./explain-tour)")
    tour.add_argument("--no-progress", action="store_true", help="hide Keras's progress bar while training")
    tour.add_argument("--verbose", action="store_true", help="show TensorFlow's start-up log")
    figs = sub.add_parser(
        "figures",
        help="save every teaching figure (PNG) for slides",
        description="Save every figure explain draws, for one test digit and the trained model (trained once, "
        "then loaded from the cache), and print the call that makes each.",
    )
    figs.add_argument("--out", default="explain-figures", help="folder for the PNGs (default: ./explain-figures)")
    figs.add_argument("--data", default="auto", metavar="auto|sample|PATH", help="where MNIST comes from")
    figs.add_argument("--epochs", type=_positive_int, default=5, help="epochs of the trained model (default: 5)")
    figs.add_argument("--index", type=_non_negative_int, default=0, help="which test digit to follow (default: 0)")
    figs.add_argument("--seed", type=_non_negative_int, default=0, help="random seed (default: 0)")
    figs.add_argument("--verbose", action="store_true", help="show TensorFlow's start-up log")
    from explain.cli_diagnose import add_commands  # diagnose and faults

    add_commands(sub, _positive_int, _non_negative_int)
    return parser


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, received {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, received {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, received {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``explain`` command; returns the exit status.

    Examples:
        >>> from explain.cli import main
        >>> main(["--version"])  # doctest: +SKIP
        explain 0.1.0
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if getattr(args, "verbose", False):
        os.environ["EXPLAIN_VERBOSE"] = "1"

    from explain.errors import DataError, InputError, LayerNotFoundError, ModelError

    try:
        if args.command == "tour":
            from explain.tour import run_tour

            run_tour(
                args.data, epochs=args.epochs, index=args.index, seed=args.seed, out=args.out,
                progress=not args.no_progress,
            )  # fmt: skip
        elif args.command == "figures":
            from explain.gallery import write_figures

            write_figures(args.out, data=args.data, epochs=args.epochs, seed=args.seed, index=args.index)
        elif args.command in ("diagnose", "faults"):
            from explain.cli_diagnose import run_command

            return run_command(args)
    except (DataError, InputError, ModelError, LayerNotFoundError, ValueError) as e:
        print(f"explain: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nexplain: interrupted; files already written are complete, nothing half-written.", file=sys.stderr)
        return 130
    return 0


def run() -> None:
    """Entry point of the ``explain`` console script."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
