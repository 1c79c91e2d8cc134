"""The ``explain`` command: a thin layer over the Python API.

Each command's module is imported when the command runs, so TensorFlow is
imported only by the commands that need it (``explain --help`` and ``explain
diagnose`` answer at once), and its C++ start-up log is hidden unless
``--verbose``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from explain._core.constants import VERSION
from explain.errors import DataError, InputError, LayerNotFoundError, ModelError

EPILOG = """\
examples:
  explain tour --data sample         walk through the Hello World on the shipped sample
  explain tour --data mnist.npz      ... on the full MNIST (a Keras-layout .npz or idx folder)
  explain tour --epochs 1 --index 3  one epoch, following test digit 3
  explain figures --out slides/      every teaching figure as PNG (trained model cached)
  explain trace-image seven.png      your own digit, prepared as MNIST's were, through the model
  explain diagnose train.log         what went wrong in a run, from the log model.fit printed
  explain faults raw-inputs          reproduce a classic failure, log beside diagnosis

data (--data auto): $EXPLAIN_MNIST, then ~/.keras/datasets/mnist.npz, then Keras's
download, then the sample of real MNIST shipped with explain.
"""


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="explain",
        description="TensorFlow's Hello World (the MNIST classifier), taken apart line by line and layer by layer.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"explain {VERSION}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    tour = sub.add_parser(
        "tour",
        help="run the Hello World step by step, explaining each line with real numbers",
        description="Run the Hello World step by step: load, look, normalize, build, trace one digit through "
        "every layer, compile, fit, evaluate. Prints what each line produced and writes the figures (PNG) "
        "and a summary (Markdown, JSON) to --out.",
    )
    _run_options(tour, epochs_help="epochs to train (default: 5, as the tutorial)", index=True)
    tour.add_argument("--out", default="explain-tour", help="folder for figures and summary (default: ./explain-tour)")
    tour.add_argument("--no-progress", action="store_true", help="hide Keras's progress bar while training")
    figs = sub.add_parser(
        "figures",
        help="save every teaching figure (PNG) for slides",
        description="Save every figure explain draws, for one test digit and the trained model (trained once, "
        "then loaded from the cache), and print the call that makes each.",
    )
    figs.add_argument("--out", default="explain-figures", help="folder for the PNGs (default: ./explain-figures)")
    _run_options(figs, index=True)
    image = sub.add_parser(
        "trace-image",
        help="prepare a picture of a digit as MNIST's were and trace it through the trained model",
        description="Prepare a picture of a handwritten digit (PNG, JPEG, …; dark ink on light paper or the "
        "reverse) as MNIST prepared its digits: grey, ink bright, cropped, scaled into 20×20, centred by its "
        "centre of mass in 28×28. Print each step, write the steps as a figure (--out), then trace the result "
        "through the Hello World trained --epochs (from the cache, or trained once).",
    )
    image.add_argument("picture", metavar="PICTURE", help="the picture of one digit (PNG, JPEG, …)")
    image.add_argument(
        "--out", default=None,
        help="the steps figure: a file (PNG, SVG, PDF) or a folder to put it in (default: ./PICTURE-steps.png)",
    )  # fmt: skip
    _run_options(image, index=False)
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
    faults.add_argument("--epochs", type=_positive_int, default=None, help="epochs to train (default: the fault's)")
    faults.add_argument("--seed", type=_non_negative_int, default=0, help="random seed (default: 0)")
    faults.add_argument("--json", action="store_true", help="print the log and the diagnosis as JSON")
    faults.add_argument("--width", type=_positive_int, default=None,
                        help="columns for the side-by-side view (default: the terminal's)")  # fmt: skip
    faults.add_argument("--verbose", action="store_true", help="show TensorFlow's start-up log")
    for command in (tour, figs, image, diag, faults):  # so that a wrong option is told with its command's usage
        command.set_defaults(command_parser=command)
    return parser


def _whole_number(text: str, *, least: int) -> int:
    """``text`` as an int of at least ``least``; one message for every way it can be wrong."""
    wanted = "a whole number >= 1" if least == 1 else f"a whole number >= {least}"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {wanted}, received {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"expected {wanted}, received {text!r}")
    return value


def _positive_int(text: str) -> int:
    """``--epochs``: 1, 2, …

    Examples:
        >>> _positive_int("-1")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: expected a whole number >= 1, received '-1'
    """
    return _whole_number(text, least=1)


def _non_negative_int(text: str) -> int:
    """``--seed``, ``--index``: 0, 1, …"""
    return _whole_number(text, least=0)


def _run_options(
    command: argparse.ArgumentParser, *, index: bool, epochs_help: str = "epochs of the trained model (default: 5)"
) -> None:
    """The options of every command that trains (or loads) the Hello World: data, epochs, seed, [index], verbose."""
    command.add_argument("--data", default="auto", metavar="auto|sample|PATH",
                         help="where MNIST comes from (default: auto)")  # fmt: skip
    command.add_argument("--epochs", type=_positive_int, default=5, help=epochs_help)
    if index:
        command.add_argument("--index", type=_non_negative_int, default=0,
                             help="which test digit to follow (default: 0)")  # fmt: skip
    command.add_argument("--seed", type=_non_negative_int, default=0, help="random seed (default: 0)")
    command.add_argument("--verbose", action="store_true", help="show TensorFlow's start-up log")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``explain`` command; returns the exit status.

    Examples:
        >>> from explain.cli.main import main
        >>> main(["--version"])  # doctest: +SKIP
        explain 0.1.0
    """
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # argparse would say so with the usage of `explain`, not of the command that was given
        (getattr(args, "command_parser", None) or parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command is None:
        parser.print_help()
        return 0
    if getattr(args, "verbose", False):
        os.environ["EXPLAIN_VERBOSE"] = "1"

    try:
        if args.command in ("tour", "figures"):
            from explain.cli.output import check_out
            from explain.data.sources import load_mnist

            # All before TensorFlow is even imported (the command's module imports it): a bad --out, --data or
            # --index fails at once, not after seconds of start-up.
            check_out(args.out)
            data = load_mnist(args.data)
            if args.index >= len(data.y_test):  # the parser has refused negative ones
                raise ValueError(
                    f"Expected index in [0, {len(data.y_test)}) for the test split. Received: index={args.index}."
                )
        if args.command == "tour":
            from explain.cli.tour import run_tour

            run_tour(
                data, epochs=args.epochs, index=args.index, seed=args.seed, out=args.out,
                progress=not args.no_progress,
            )  # fmt: skip
        elif args.command == "figures":
            from explain.cli.gallery import write_figures

            write_figures(args.out, data=data, epochs=args.epochs, seed=args.seed, index=args.index)
        elif args.command == "trace-image":
            from explain.cli.trace_image import run_trace_image

            return run_trace_image(args)
        elif args.command == "diagnose":
            from explain.cli.diagnose import run_diagnose

            return run_diagnose(args)
        elif args.command == "faults":
            from explain.cli.faults import run_faults

            return run_faults(args)
    except (DataError, InputError, ModelError, LayerNotFoundError, ValueError) as e:
        print(f"explain: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `explain diagnose big.log | head`: the reader has all it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that Python's own flush at exit does not complain again
        return 1
    except OSError as e:  # a disk that fills up, a folder that turns read-only, mid-way
        cleaned = " Nothing in --out was changed." if args.command in ("tour", "figures") else ""
        print(f"explain: error: could not finish: {e}.{cleaned}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        done = (
            "nothing in --out was changed"
            if args.command in ("tour", "figures")
            else "files already written are complete, nothing half-written"
        )
        print(f"\nexplain: interrupted; {done}.", file=sys.stderr)
        return 130
    return 0


def run() -> None:
    """Entry point of the ``explain`` console script."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
