"""``explain tour``: the Hello World run line by line, with what each line produced.

The tour runs the tutorial's program in order — load, look, normalize, build,
trace one digit through every layer, compile, fit, evaluate — and after each
line prints what it produced and what that means, with the real numbers. It
writes the figures (PNG) and a summary (Markdown and JSON) to a folder.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explain import figures
from explain._core import checks
from explain._core import formatting as fmt
from explain._core.constants import BATCH_SIZE, LN10
from explain._core.report import Rendered, Table, text_width, wrap
from explain._core.tf import keras, versions
from explain.cli.output import OutputFolder
from explain.data.dataset import Dataset
from explain.data.scaling import normalize, scaling
from explain.data.sources import load_mnist
from explain.evaluation.evaluate import evaluate
from explain.evaluation.gap import accuracy_gap
from explain.fit.train import EXECUTION_STEPS, executing
from explain.forward.dense import dense
from explain.forward.dropout import dropout
from explain.forward.flatten import flatten
from explain.forward.softmax import softmax
from explain.forward.trace import trace
from explain.model import seed_model


@dataclass
class TourResult:
    """What a tour produced: the numbers (as in ``summary.json``) and the files it wrote."""

    out: Path
    summary: dict[str, Any]
    files: list[Path] = field(default_factory=list)


def _trim_blank_rows(text: str) -> str:
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


class _Writer:
    """Prints sections to the terminal, laid out to its width, and collects them for summary.md."""

    def __init__(self, echo: Callable[[str], None]) -> None:
        self.echo = echo
        self.markdown: list[str] = []
        self.number = 0
        self.width = text_width()

    def section(self, title: str, code: str) -> None:
        self.number += 1
        head = wrap(f"{self.number}. {title}", self.width)
        self.echo(head)
        self.echo("─" * max(len(line) for line in head.splitlines()))
        self.echo(textwrap.indent(wrap(f">>> {code}", self.width - 6), "  ").replace("\n  ", "\n      "))
        self.echo("")
        self.markdown += [f"## {self.number}. {title}", "", "```python", code, "```", ""]

    def say(self, text: str) -> None:
        self.echo(wrap(text, self.width))
        self.echo("")
        self.markdown += [text, ""]

    def block(self, obj: Rendered | Table | str) -> None:
        if isinstance(obj, str):
            self.echo(obj + "\n")
            self.markdown += ["```text", obj, "```", ""]
        elif isinstance(obj, Table):
            self.echo(obj.to_text(self.width) + "\n")
            self.markdown += [obj.to_markdown(), ""]
        else:
            self.echo(obj.to_text(self.width) + "\n")
            self.markdown += [obj.to_markdown(), ""]


def run_tour(
    data: str | Dataset = "auto",
    *,
    epochs: int = 5,
    index: int = 0,
    seed: int = 0,
    out: str | Path = "explain-tour",
    echo: Callable[[str], None] = print,
    progress: bool = True,
) -> TourResult:
    """Run the Hello World line by line, explaining each step with real numbers.

    Args:
        data: ``"auto"``, ``"sample"``, a path (see `explain.load_mnist`) or a Dataset.
        epochs: how many epochs to train (the tutorial's 5).
        index: which test digit to follow through the network.
        seed: the seed for the initial weights, the shuffling and Dropout.
        out: the folder for the figures and the summary.
        echo: where the text goes (``print`` by default).
        progress: show Keras's progress bar while training.

    Returns:
        A `TourResult` with the summary and the files written.

    Raises:
        OutputError: ``out`` cannot take the files (a file, a read-only folder, a full disk): checked before
            any work (see `explain.cli.output.check_out`). If the tour fails later, ``out`` is left as it was.
        ValueError: bad ``epochs``, ``index`` or ``seed``.

    Examples:
        >>> from explain.cli.tour import run_tour
        >>> result = run_tour("sample", epochs=1, out="/tmp/tour", echo=lambda s: None)  # doctest: +SKIP
        >>> result.summary["evaluate"]["accuracy"] > 0.8  # doctest: +SKIP
        True
    """
    epochs, seed = checks.positive_int("epochs", epochs), checks.seed(seed)
    index = checks.index("index", index, None)
    output = OutputFolder(out, name="out")  # checked before any work; changed only if the tour succeeds
    with output:
        return _tour(data, epochs, index, seed, output, echo, progress)


def _tour(
    data: str | Dataset,
    epochs: int,
    index: int,
    seed: int,
    output: OutputFolder,
    echo: Callable[[str], None],
    progress: bool,
) -> TourResult:
    k = keras()
    out = output.path
    w = _Writer(echo)
    files = output.written
    summary: dict[str, Any] = {"seed": seed, "epochs": epochs, "index": index}

    def save(fig: Any, name: str, run: str) -> None:
        output.save_figure(figures.with_note(fig, run), name)  # the run under the title, for slides

    # 1. Load ---------------------------------------------------------------------------
    w.section("Load the data", "(x_train, y_train), (x_test, y_test) = mnist.load_data()")
    ds = data if isinstance(data, Dataset) else load_mnist(data)
    if not -len(ds.y_test) <= index < len(ds.y_test):
        raise ValueError(f"Expected index in [0, {len(ds.y_test)}) for the test split. Received: index={index}.")
    desc = ds.describe()
    w.say(f"Source: {ds.source}.")
    w.block(desc)
    w.say(
        f"x_train is {fmt.count(ds.x_train.shape[0])} images of 28×28 whole numbers from 0 (black) to "
        f"255 (white), uint8; y_train holds their labels 0–9. Each label has "
        f"{fmt.count(desc.label_counts['train'].min())}–{fmt.count(desc.label_counts['train'].max())} "
        f"training images: the classes are roughly balanced."
    )
    summary["data"] = {
        "name": ds.name, "source": ds.source, "origin": ds.origin, "fingerprint": ds.fingerprint,
        "train": int(ds.x_train.shape[0]), "test": int(ds.x_test.shape[0]),
        "train_label_counts": desc.label_counts["train"].tolist(),
    }  # fmt: skip

    # 2. Look at one digit ----------------------------------------------------------------
    raw = ds.x_test[index]
    label = int(ds.y_test[index])
    w.section("Look at one digit", f"plt.imshow(x_test[{index}]); y_test[{index}]")
    w.block(_trim_blank_rows(fmt.ascii_image(raw)))
    w.say(
        f"x_test[{index}] is a {fmt.shape(raw.shape)} array; its label is {label}. "
        f"{int((raw > 0).sum())} of its 784 pixels are not black; the brightest is {int(raw.max())}."
    )
    kind = "Fashion-MNIST" if ds.name == "fashion_mnist" else "MNIST"
    where = "the shipped sample" if ds.is_sample else f"{kind} ({fmt.count(len(ds.y_train))} training images)"
    digit_of = f"x_test[{index}] of {where}"
    untrained_run = f"untrained model (seed {seed}); {digit_of}"
    trained_run = f"trained {epochs} epoch{'s' * (epochs != 1)} on {where} (seed {seed})"
    save(figures.digit(raw, label=label), "01_digit.png", digit_of)

    # 3. Normalize ----------------------------------------------------------------------
    w.section("Scale the pixels to [0, 1]", "x_train, x_test = x_train / 255.0, x_test / 255.0")
    w.block(scaling(ds.x_train))
    x_train, x_test = normalize(ds.x_train), normalize(ds.x_test)
    image = x_test[index]
    save(figures.pixel_values(raw), "02_pixel_values.png", digit_of)

    # 4. Build --------------------------------------------------------------------------
    w.section(
        "Build the model",
        "model = Sequential([Input((28, 28)), Flatten(), Dense(512, activation='relu'), "
        "Dropout(0.2), Dense(10, activation='softmax')])",
    )
    model = seed_model(seed)
    rows = []
    for layer in model.layers:
        n = layer.count_params()
        shape_out = tuple(layer.output.shape[1:])
        arithmetic = ""
        if layer.get_weights():
            kernel = layer.get_weights()[0]
            arithmetic = f"{kernel.shape[0]}·{kernel.shape[1]} + {kernel.shape[1]}"
        rows.append((layer.name, type(layer).__name__, fmt.shape(shape_out), fmt.count(n), arithmetic))
    w.block(Table(("layer", "kind", "output shape", "params", "= weights + biases"), tuple(rows), align="llrrl"))
    total = model.count_params()
    w.say(
        f"{fmt.count(total)} parameters, all in the two Dense layers. The model starts with "
        f"keras.Input((28, 28)), the Keras 3 form of the tutorial's Flatten(input_shape=(28, 28)), "
        f"which Keras 3 warns about: same layers, same numbers."
    )
    summary["model"] = {"params": int(total), "layers": [r[0] for r in rows]}

    # 5. Trace one digit through the untrained model ------------------------------------------
    w.section(f"Follow x_test[{index}] through every layer (untrained)", f"explain.trace(model, x_test[{index}])")
    t = trace(model, image)
    w.block(t)
    f = flatten(model, image)
    d = dense(model, image)
    dr = dropout(model, image, seed=seed)
    s0 = softmax(model, image)
    w.say(
        f"Flatten: {fmt.shape(f.input.shape)} → {fmt.shape(f.output.shape)}, pixel (row, col) → "
        f"position 28·row + col; nothing computed. Dense: z = x·W + b ({d.arithmetic} parameters), then "
        f"relu; {d.active} of {d.units} units fire for this digit (NumPy matches Keras to {d.max_abs_diff:.0e})."
    )
    w.say(
        f"Dropout in training: Keras's mask zeroed {dr.dropped} of {dr.mask.size} values and multiplied the rest "
        f"by {dr.scale:g}; over {fmt.count(dr.draws)} draws it dropped {fmt.pct(dr.measured_rate, 2)}. "
        f"At inference it passes values through unchanged."
    )
    w.say(
        f"Softmax: before training the ten probabilities are all near 1/10 (from {s0.output.min():.3f} to "
        f"{s0.output.max():.3f}); they sum to {s0.total:.4f}. The guess, {s0.predicted}, means nothing yet."
    )
    save(figures.flatten_strip(f), "03_flatten.png", digit_of)
    save(figures.dense_histograms(d), "04_dense.png", untrained_run)
    save(figures.dropout_mask(dr), "05_dropout_mask.png", untrained_run)
    save(figures.softmax_bars(s0), "06_softmax_untrained.png", untrained_run)
    summary["trace_untrained"] = {
        "label": label, "predicted": s0.predicted, "probability": s0.probability,
        "dense_active_units": d.active, "dense_max_abs_diff": d.max_abs_diff,
        "dropout_dropped": dr.dropped, "dropout_measured_rate": dr.measured_rate,
        "softmax_max_abs_diff": s0.max_abs_diff,
    }  # fmt: skip

    # 6. Compile ------------------------------------------------------------------------
    w.section(
        "Compile",
        "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])",
    )
    opt = model.optimizer.get_config()
    untrained = model.evaluate(x_test, ds.y_test, verbose=0, return_dict=True)
    w.say(
        f"Adam with learning rate {opt['learning_rate']:.3g}, β1 {opt['beta_1']}, β2 {opt['beta_2']}, "
        f"ε {opt['epsilon']:g}. The loss is −ln(probability given to the true label), averaged over a batch."
    )
    w.say(
        f"Untrained, on the {fmt.count(len(x_test))} test images: loss {untrained['loss']:.4f}, "
        f"close to ln 10 = {LN10:.4f}, the loss of ten equal guesses; accuracy "
        f"{untrained['accuracy']:.4f}, close to chance (0.1)."
    )
    summary["untrained"] = {
        "loss": float(untrained["loss"]),
        "accuracy": float(untrained["accuracy"]),
        "ln10": LN10,
    }

    # 7. Fit ----------------------------------------------------------------------------
    steps = math.ceil(len(x_train) / BATCH_SIZE)
    w.section("Train", f"model.fit(x_train, y_train, epochs={epochs})")
    w.say(
        f"{fmt.count(len(x_train))} images in batches of {BATCH_SIZE}: {fmt.count(steps)} steps (weight "
        f"updates) per epoch, {fmt.count(steps * epochs)} in all. Older Keras counted samples "
        f"({len(x_train)}/{len(x_train)}); Keras 3 counts steps ({steps}/{steps})."
    )
    k.utils.set_random_seed(seed)  # fit's shuffling and Dropout masks: same seed, same run
    # Keras's animated bar needs a terminal; in a file or a pipe, one line per epoch reads better.
    verbose = (1 if sys.stdout.isatty() else 2) if progress else 0
    with executing(model, EXECUTION_STEPS):  # 20 steps per TensorFlow call: faster, the same numbers
        history = model.fit(x_train, ds.y_train, epochs=epochs, batch_size=BATCH_SIZE, verbose=verbose)
    if verbose:
        echo("")
    hist = {key: [float(v) for v in values] for key, values in history.history.items()}
    w.block(
        Table(
            ("epoch", "loss", "accuracy"),
            tuple((str(i + 1), f"{hist['loss'][i]:.4f}", f"{hist['accuracy'][i]:.4f}") for i in range(epochs)),
            align="rrr",
        )
    )
    w.say(
        "Each accuracy printed during fit is a running average over that epoch's batches, measured "
        "with Dropout active while the weights were still changing."
    )
    save(figures.training_curves(hist), "07_training_curves.png", trained_run)
    summary["fit"] = {"steps_per_epoch": steps, "batch_size": BATCH_SIZE, "history": hist}

    # 8. Evaluate -----------------------------------------------------------------------
    w.section("Evaluate", "model.evaluate(x_test, y_test)")
    ev = evaluate(model, ds)
    w.say(
        f"Test loss {ev.loss:.4f}, test accuracy {ev.accuracy:.4f}: {fmt.count(len(ev.mistakes))} of "
        f"{fmt.count(len(ev.labels))} test digits misclassified."
    )
    w.block(ev)
    gap = accuracy_gap(model, ds, hist["accuracy"][-1], seed=seed)
    w.say(f"Why is that not the {gap.fit_reported:.4f} that fit printed last? Change one thing at a time:")
    w.block(gap)
    if ds.is_sample:
        w.say(
            "This ran on the small sample shipped with explain. On all 60,000 training images the TensorFlow "
            "tutorial reports about 98%: set EXPLAIN_MNIST=/path/to/mnist.npz or use --data PATH."
        )
    s1 = softmax(model, image)
    w.say(
        f"x_test[{index}] (a {label}) now gets class {s1.predicted} with probability {s1.probability:.3f}"
        + (" — correct." if s1.predicted == label else f" — wrong; the true class gets {s1.output[label]:.3f}.")
    )
    save(figures.softmax_bars(s1), "08_softmax_trained.png", f"{trained_run}; {digit_of}")
    save(figures.confusion_matrix(ev.matrix, ds.class_names), "09_confusion_matrix.png", trained_run)
    worst = ev.mistakes[:16]
    if len(worst):
        save(
            figures.mistakes_gallery(
                ds.x_test[worst], ev.labels[worst], ev.predicted[worst], ev.confidence[worst], ds.class_names
            ),
            "10_mistakes.png",
            trained_run,
        )
    summary["evaluate"] = {
        "loss": ev.loss, "accuracy": ev.accuracy, "misclassified": len(ev.mistakes),
        "confidently_wrong": ev.confidently_wrong, "per_class_accuracy": ev.per_class_accuracy.tolist(),
        "fit_vs_evaluate": dataclasses.asdict(gap),
        "digit_predicted": s1.predicted, "digit_probability": s1.probability,
    }  # fmt: skip

    # Summary files -----------------------------------------------------------------------
    summary["versions"] = versions()
    summary["files"] = [p.name for p in files]
    output.write_text("summary.json", json.dumps(summary, indent=2) + "\n")
    md = ["# The Hello World, explained", "", f"Data: {ds.source}. Seed {seed}. " + _versions_line(summary), ""]
    md += w.markdown
    md += ["## Figures", ""] + [f"![{p.stem}]({p.name})" for p in files if p.suffix == ".png"]
    output.write_text("summary.md", "\n".join(md) + "\n")
    echo("")
    echo(wrap(f"Wrote {len(files)} files to {out}/: " + ", ".join(p.name for p in files), w.width))
    return TourResult(out=out, summary=summary, files=list(files))


def _versions_line(summary: dict[str, Any]) -> str:
    v = summary["versions"]
    return f"explain {v['explain']}, TensorFlow {v['tensorflow']}, Keras {v['keras']}, Python {v['python']}."
