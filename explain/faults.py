"""Failures on demand: short real training runs that go wrong in the classic ways.

Each fault changes one thing in the Hello World, trains on the shipped MNIST
sample (6,000 training images, 2,000 test images) for a few epochs, and
returns what a learner would see, the log, together with the
`explain.TrainingRun` and the `explain.diagnosis.Diagnosis` of
that log::

    >>> import explain
    >>> r = explain.faults.run("learning-rate-1")     # doctest: +SKIP
    >>> print(r)                                      # doctest: +SKIP

``explain faults`` lists them; ``explain faults NAME`` runs one.

**The clipped-probability loss of older Keras.** Cross-entropy costs
``−ln p[label]``. Standalone Keras's TensorFlow backend (and Keras 3 today on
its JAX and PyTorch backends) computes it from the softmax's probabilities: it clips ``p`` into
``[ε, 1 − ε]`` with ``ε = 1e-7`` and takes the log. `clipped_sparse_crossentropy`
does exactly that, with no logits shortcut. A sample whose true class got
``p < 1e-7`` costs ``−ln(1e-7) = 16.118`` and, because the clip is flat
there, passes no gradient at all. Feed the Hello World pixels 0–255 instead
of 0–1 and the first layer's outputs, and so the scores (logits), are 255
times too large: most images give their true class ``p < 1e-7``, and in a
batch of 32 only a few pass any gradient. Almost every sample then costs
either about 0 (right and sure) or 16.118 (wrong and sure), so the loss is
``16.118 × (1 − accuracy)`` epoch after epoch (``raw-inputs-clipped-loss``;
the test suite checks the law to 0.1 in every epoch, and the docs page
*When training goes wrong* shows the numbers of a real run).

**Why today's Keras still trains on 0–255 inputs** (``raw-inputs``: after a
first epoch whose loss is about 16, it reaches about 0.9 accuracy in three
epochs). Two things:

1. *The logits shortcut.* On the TensorFlow backend, when the probabilities
   come from a softmax activation, Keras 3 finds the logits ``z`` behind them
   (``_keras_logits``, or the graph's ``Softmax`` op) and computes
   ``logsumexp(z) − z[label]`` with no clip, whose gradient ``p − onehot`` is
   never zero for a wrong sample: the untrained model's loss on raw pixels is
   then far above 16.118, which no clipped sample can cost. Hide the softmax
   from the loss (``raw-inputs-softmax-hidden``: the same layers, the softmax
   computed by hand in a ``Lambda``) and Keras's own loss clips again, and
   sits at ``16.118 × (1 − accuracy)``. The JAX backend has no shortcut
   (checked by hand in a separate environment; not a test).
2. *Adam.* Adam divides each weight's step by the root of its squared-gradient
   average, so a step is about the learning rate (0.001) however large the
   gradient. With raw pixels the first layer's gradient is hundreds of times
   larger than with scaled ones; plain SGD on the same logits loss jumps to a
   first-epoch loss of about a thousand and stalls, while Adam recovers.

Every fault runs in well under 30 seconds on 2 CPU cores.
"""

from __future__ import annotations

import contextlib
import functools
import io
import re
import shutil
import textwrap
import time
import traceback
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from explain import render

if TYPE_CHECKING:  # pragma: no cover
    from explain.diagnosis import Diagnosis
    from explain.training import TrainingRun

#: Keras's fuzz factor: probabilities are clipped into [EPSILON, 1 − EPSILON].
EPSILON = 1e-7

DOCS = "when-training-goes-wrong.md"


def clipped_sparse_crossentropy(y_true: Any, y_pred: Any) -> Any:
    """Sparse cross-entropy from probabilities the old way: clip into [1e-7, 1 − 1e-7], then log.

    ``cost = −ln(clip(p[label], ε, 1 − ε))`` per sample, ``ε = 1e-7``. No logits
    shortcut: the clip's gradient is zero outside ``[ε, 1 − ε]``, so a sample
    that is wrong and sure (``p[label] < 1e-7``) costs 16.118 and teaches the
    model nothing. This is what standalone Keras's TensorFlow backend
    computed from a softmax output (``tf.clip_by_value``, ``tf.log``, then
    ``sparse_softmax_cross_entropy_with_logits`` of those logs, which also
    divides by the clipped probabilities' sum, about 1), and what Keras 3 on
    the JAX and PyTorch backends still does; Keras 3 on TensorFlow computes
    from the logits instead. Use it as
    ``model.compile(loss=clipped_sparse_crossentropy)``; it works on Keras
    tensors and on NumPy arrays.

    Args:
        y_true: integer labels, shape ``(n,)`` or ``(n, 1)``.
        y_pred: probabilities, shape ``(n, classes)``.

    Returns:
        The cost of each sample, shape ``(n,)``.

    Examples:
        >>> import numpy as np
        >>> p = np.array([[0.9, 0.1], [1.0, 0.0]], dtype="float32")   # the second sample: sure and wrong
        >>> [round(float(c), 3) for c in clipped_sparse_crossentropy(np.array([0, 1]), p)]
        [0.105, 16.118]
    """
    from explain._tf import keras

    ops = keras().ops
    labels = ops.cast(ops.reshape(y_true, (-1, 1)), "int32")  # (n, 1)
    p = ops.take_along_axis(ops.convert_to_tensor(y_pred), labels, axis=-1)[:, 0]  # (n,) p[label]
    return -ops.log(ops.clip(p, EPSILON, 1.0 - EPSILON))


def _softmax_by_hand(z: Any) -> Any:
    from explain._tf import keras

    ops = keras().ops
    e = ops.exp(z - ops.max(z, axis=-1, keepdims=True))
    return e / ops.sum(e, axis=-1, keepdims=True)


@dataclass(frozen=True)
class Fault:
    """One named way for the Hello World to go wrong.

    Attributes:
        name: what ``explain faults NAME`` takes.
        title: the fault in a few words.
        change: what differs from the tutorial, as code.
        expect: what happens, in numbers from our runs.
        finding: the key of the diagnosis finding that should come first.
        docs: the docs page and section that explains it.
        epochs: how many epochs the run trains by default.

    Examples:
        >>> from explain.faults import FAULTS
        >>> print(FAULTS["learning-rate-1"].change)
        optimizer=keras.optimizers.Adam(learning_rate=1.0)
    """

    name: str
    title: str
    change: str
    expect: str
    finding: str
    docs: str
    epochs: int = 3
    inputs: str = field(default="scaled", repr=False)  # "scaled" (x / 255) or "raw" (0–255)
    n_train: int | None = field(default=None, repr=False)  # None: the whole sample
    validation_split: float = field(default=0.0, repr=False)
    options: tuple[tuple[str, Any], ...] = field(default=(), repr=False)

    def option(self, key: str, default: Any = None) -> Any:
        """One of the fault's settings (``dropout_rate``, ``learning_rate``, ``loss``, …).

        Examples:
            >>> from explain.faults import FAULTS
            >>> FAULTS["dropout-0.9"].option("dropout_rate")
            0.9
        """
        return dict(self.options).get(key, default)


def _faults() -> dict[str, Fault]:
    items = [
        Fault("healthy", "the tutorial as written: the baseline",
              "x / 255.0, Adam, sparse_categorical_crossentropy",
              "test accuracy about 0.95 after 3 epochs on the sample; loss falls every epoch",
              "healthy", f"{DOCS}#a-healthy-run"),
        Fault("raw-inputs-clipped-loss", "pixels 0–255 under the clipped-probability loss of older Keras",
              "no x / 255.0; loss=clipped_sparse_crossentropy (clip, then log)",
              "loss = 16.118 × (1 − accuracy) every epoch; accuracy stuck far below a healthy run (0.3–0.4)",
              "saturated-softmax", f"{DOCS}#saturated-softmax", inputs="raw",
              options=(("loss", "clipped"),)),
        Fault("raw-inputs", "pixels 0–255 under today's Keras (TensorFlow backend)",
              "no x / 255.0",
              "first-epoch loss about 16, then it trains: the loss comes from the logits, and Adam's steps "
              "stay small",
              "inputs-not-scaled", f"{DOCS}#inputs-not-scaled", inputs="raw"),
        Fault("raw-inputs-softmax-hidden", "pixels 0–255, Keras's own loss, softmax computed by hand",
              "no x / 255.0; Dense(10) then Lambda(softmax by hand)",
              "Keras cannot find the logits, clips, and sits at 16.118 × (1 − accuracy)",
              "saturated-softmax", f"{DOCS}#saturated-softmax", inputs="raw",
              options=(("softmax_by_hand", True),)),
        Fault("learning-rate-1", "a learning rate of 1.0",
              "optimizer=keras.optimizers.Adam(learning_rate=1.0)",
              "first-epoch loss in the hundreds; accuracy falls to near chance (0.1)",
              "loss-explodes", f"{DOCS}#exploding-loss", options=(("learning_rate", 1.0),)),
        Fault("one-hot-loss-integer-labels", "categorical_crossentropy with integer labels",
              "loss='categorical_crossentropy' (the labels stay 0–9)",
              "fit stops at once: Keras wants one-hot labels of shape (n, 10)",
              "loss-label-mismatch", f"{DOCS}#loss-and-labels", options=(("loss", "categorical_crossentropy"),)),
        Fault("labels-out-of-range", "labels 1–10 instead of 0–9",
              "y_train + 1 (a 1-based label file)",
              "fit stops at once: label 10 is outside [0, 10)",
              "labels-out-of-range", f"{DOCS}#loss-and-labels", options=(("label_offset", 1),)),
        Fault("from-logits-on-softmax", "from_logits=True on a softmax output",
              "loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)",
              "Keras warns; on TensorFlow it quietly uses the logits and trains, elsewhere it would "
              "apply softmax twice",
              "from-logits-on-softmax", f"{DOCS}#loss-and-labels", options=(("from_logits", True),)),
        Fault("linear-output-probability-loss", "a linear output under a loss that expects probabilities",
              "Dense(10) without activation; loss='sparse_categorical_crossentropy' (from_logits=False)",
              "the raw scores are clipped into [1e-7, 1 − 1e-7] as if they were probabilities: accuracy stays "
              "near 0.2",
              "logits-as-probabilities", f"{DOCS}#loss-and-labels", options=(("output_activation", "linear"),)),
        Fault("dropout-0.9", "Dropout(0.9) instead of Dropout(0.2)",
              "keras.layers.Dropout(0.9)",
              "learns slowly; the accuracy fit prints lags far behind evaluate's",
              "heavy-dropout", f"{DOCS}#fit-and-evaluate-disagree", options=(("dropout_rate", 0.9),)),
        Fault("overfitting", "too many epochs on too few images",
              "1,200 training images, validation_split=0.2, 12 epochs",
              "validation loss bottoms out and rises while the training loss keeps falling",
              "overfitting", f"{DOCS}#overfitting", epochs=12, n_train=1200, validation_split=0.2),
    ]  # fmt: skip
    return {f.name: f for f in items}


#: The gallery: name -> `Fault`.
FAULTS: dict[str, Fault] = _faults()


def names() -> list[str]:
    """The names of the faults, in gallery order.

    Examples:
        >>> names()[:3]
        ['healthy', 'raw-inputs-clipped-loss', 'raw-inputs']
    """
    return list(FAULTS)


def get(name: str) -> Fault:
    """The `Fault` called ``name``.

    Raises:
        KeyError: no such fault (the message lists the names).

    Examples:
        >>> get("dropout-0.9").title
        'Dropout(0.9) instead of Dropout(0.2)'
        >>> get("nope")
        Traceback (most recent call last):
        ...
        KeyError: "Expected one of the fault names healthy, raw-inputs-clipped-loss, ... Received: 'nope'."
    """
    fault = FAULTS.get(name)
    if fault is None:
        listed = ", ".join(FAULTS)
        raise KeyError(f"Expected one of the fault names {listed}. Received: {name!r}.")
    return fault


@dataclass(frozen=True, eq=False)
class FaultRun(render.Rendered):
    """A fault, reproduced: what was printed, what was recorded, and what the diagnosis says.

    Attributes:
        fault: the `Fault`.
        log: everything ``model.fit(...)`` and ``print(model.evaluate(...))`` printed, as
            Keras wrote it (progress-bar redraws and colour codes included), with
            warnings and the error, if any, where Python would print them.
        run: the `explain.TrainingRun`; ``None`` when fit failed before the first epoch.
        diagnosis: `explain.diagnose` of the log, with the model and the training data.
        evaluation: ``loss`` and ``accuracy`` on the sample's test images (scaled as the
            training images were); ``None`` when fit failed.
        error: the exception's last line when fit failed, else ``None``.
        seconds: how long the run took (when it ran: a run loaded from the cache keeps its time).
        model: the trained model.
        from_cache: whether the run was loaded from explain's cache instead of trained now.
    """

    fault: Fault
    log: str = field(repr=False)
    run: TrainingRun | None = field(repr=False)
    diagnosis: Diagnosis = field(repr=False)
    evaluation: dict[str, float] | None
    error: str | None
    seconds: float
    model: Any = field(repr=False)
    from_cache: bool = False

    @property
    def tidy_log(self) -> str:
        """The log as a terminal showed it (last redraw of each line, no colour codes)."""
        from explain.logparse import tidy

        return tidy(self.log)

    def __repr__(self) -> str:
        top = self.diagnosis.findings[0].key if self.diagnosis.findings else "none"
        ev = f"test accuracy {self.evaluation['accuracy']:.4f}" if self.evaluation else f"failed: {self.error}"
        return f"FaultRun({self.fault.name!r}, {ev}, first finding {top!r}, {self.seconds:.1f} s)"

    def _report(self) -> render.Report:
        f = self.fault
        blocks: list[render.Block] = [
            f"Change from the tutorial: {f.change}.",
            f"What happens: {f.expect}.",
            "The log:",
            _indent(self.tidy_log),
            *self.diagnosis._report().blocks,
        ]
        return render.Report(f"Fault {f.name}: {f.title} ({self.seconds:.1f} s)", tuple(blocks))

    def side_by_side(self, width: int | None = None) -> str:
        """The log on the left (progress bars shortened), the diagnosis on the right.

        Stacked, log above diagnosis, when ``width`` (default: the terminal's) is too narrow for two columns.
        """
        width = width or shutil.get_terminal_size((120, 40)).columns
        head = f"Fault {self.fault.name}: {self.fault.title}  ({self.seconds:.1f} s)\nChange: {self.fault.change}\n"
        log = re.sub(r"\[[=>.]{3,}\]", "[==]", re.sub(r"━{3,}", "━━", self.tidy_log))
        return head + "\n" + side_by_side(log, str(self.diagnosis), width=width)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def side_by_side(left: str, right: str, *, width: int = 160) -> str:
    """Two texts in two columns separated by ``│``, or one above the other when ``width`` is too narrow.

    The left column is as wide as its longest line (at most half the width; longer lines are cut
    with ``…``); the right column's lines are wrapped. Below 30 columns for the right text, the two
    are stacked.

    Examples:
        >>> print(side_by_side("a\\nbb", "one two three four", width=40))
        a  │ one two three four
        bb │
        >>> print(side_by_side("a", "b", width=20))
        a
        <BLANKLINE>
        b
    """
    lines_l = left.rstrip().splitlines() or [""]
    lw = min(max(len(s) for s in lines_l), (width - 3) // 2)
    rw = width - lw - 3
    if rw < 30:
        return left.rstrip() + "\n\n" + right
    lines_l = [s if len(s) <= lw else s[: lw - 1] + "…" for s in lines_l]
    lines_r: list[str] = []
    for s in right.splitlines():
        lines_r += textwrap.wrap(s, rw, subsequent_indent=" " * (len(s) - len(s.lstrip()))) or [""]
    n = max(len(lines_l), len(lines_r))
    lines_l += [""] * (n - len(lines_l))
    lines_r += [""] * (n - len(lines_r))
    return "\n".join(f"{a.ljust(lw)} │ {b}".rstrip() for a, b in zip(lines_l, lines_r))


# -- running a fault -------------------------------------------------------------------------------


def _model(fault: Fault, seed: int) -> Any:
    """The tutorial's model with the fault's change, same initial weights as ``seed_model(seed)``."""
    from explain._tf import keras
    from explain.model import seed_model

    k = keras()
    base = seed_model(seed, dropout_rate=fault.option("dropout_rate", 0.2), compile=False)
    out_activation = fault.option("output_activation", "softmax")
    if fault.option("softmax_by_hand"):
        out_activation = "linear"

    def glorot(offset: int) -> Any:
        # seed_model's initializers: diagnose's freshly initialised copy (clone_model) then starts from
        # exactly these weights too, whether the run was trained now or loaded from the cache.
        return k.initializers.GlorotUniform(seed=seed * 1000 + offset)

    layers = [
        k.Input((28, 28), name="input"),
        k.layers.Flatten(name="flatten"),
        k.layers.Dense(512, activation="relu", kernel_initializer=glorot(1), name="dense"),
        k.layers.Dropout(fault.option("dropout_rate", 0.2), seed=seed * 1000 + 2, name="dropout"),
        k.layers.Dense(10, activation=out_activation, kernel_initializer=glorot(3), name="dense_1"),
    ]
    if fault.option("softmax_by_hand"):
        layers.append(k.layers.Lambda(_softmax_by_hand, name="softmax_by_hand"))
    model = k.Sequential(layers, name="hello_world")
    model.set_weights(base.get_weights())
    loss: Any = fault.option("loss", "sparse_categorical_crossentropy")
    if loss == "clipped":
        loss = clipped_sparse_crossentropy
    if fault.option("from_logits"):
        loss = k.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = k.optimizers.Adam(learning_rate=fault.option("learning_rate", 0.001))
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    return model


def _inputs(fault: Fault, x: np.ndarray) -> np.ndarray:
    from explain.normalization import normalize

    return x.astype(np.float32) if fault.inputs == "raw" else normalize(x)


class _Tee(io.StringIO):
    """Captures what Keras prints; Keras 3 asks ``isatty`` to decide how to redraw its bar."""

    def isatty(self) -> bool:
        return True


def run(name: str, *, epochs: int | None = None, seed: int = 0, cache: bool = True) -> FaultRun:
    """Reproduce one fault: train on the shipped sample, capture the log, diagnose it.

    The same name, epochs and seed give the same run, so a run is computed once
    per process and then shared (the result is immutable). With ``cache`` it is
    also kept in explain's cache folder (`explain.store.cache_dir`): the log, the
    recorded run and the final weights, keyed by the fault, the settings, the
    sample and the versions. A later process loads it in a second, rebuilds the
    model from the weights (no pickle, no code loaded) and diagnoses it again.

    Args:
        name: a name from `names`.
        epochs: epochs to train (default: the fault's own, 3 for most).
        seed: the seed of the initial weights, the shuffling and Dropout.
        cache: keep the run on disk and reuse it; ``False`` always trains and writes nothing.

    Returns:
        A `FaultRun`.

    Raises:
        KeyError: no fault of that name.
        ValueError: ``epochs`` is not a positive whole number.

    Examples:
        >>> import explain
        >>> r = explain.faults.run("labels-out-of-range")
        >>> r.run is None, r.diagnosis.findings[0].key
        (True, 'labels-out-of-range')
    """
    get(name)
    from explain import _checks

    epochs = FAULTS[name].epochs if epochs is None else _checks.positive_int("epochs", epochs)
    return _run(name, epochs, seed, bool(cache))


def short_error(e: BaseException) -> str:
    """An exception in one line: its type and the line of its message that names the problem.

    Examples:
        >>> short_error(ValueError("Graph execution error:\\n  File x\\nReceived a label value of 10 which is ..."))
        'ValueError: Received a label value of 10 which is ...'
    """
    lines = [s.strip() for s in str(e).splitlines() if s.strip()]
    telling = [s for s in lines if re.search(r"\b(Received|Expected|must|invalid|outside)\b", s, re.IGNORECASE)]
    return f"{type(e).__name__}: {(telling or lines or [''])[0]}"[:300]


def _fault_data(fault: Fault) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The sample's training and test images and labels, changed as the fault changes them."""
    from explain.data import load_mnist

    data = load_mnist("sample")
    n = fault.n_train or len(data.x_train)
    x, y = _inputs(fault, data.x_train[:n]), np.asarray(data.y_train[:n]).astype(np.int64)
    x_test, y_test = _inputs(fault, data.x_test), np.asarray(data.y_test).astype(np.int64)
    offset = fault.option("label_offset", 0)
    return x, y + offset, x_test, y_test + offset


@functools.lru_cache(maxsize=16)
def _run(name: str, epochs: int, seed: int, cache: bool) -> FaultRun:
    from explain import runcache

    fault = FAULTS[name]
    if cache:
        found = runcache.load_fault_run(fault, epochs, seed)
        if found is not None:
            return found
    result = _train(fault, epochs, seed)
    if cache:
        runcache.save_fault_run(result, epochs, seed)
    return result


def _train(fault: Fault, epochs: int, seed: int) -> FaultRun:
    from explain._tf import keras
    from explain.diagnosis import diagnose
    from explain.inputs import PixelScaleWarning
    from explain.training import BATCH_SIZE, TrainingRun
    from explain.training import __getattr__ as training_attr

    k = keras()
    start = time.perf_counter()
    x, y, x_test, y_test = _fault_data(fault)
    n = len(x)
    model = _model(fault, seed)
    probe = x_test[: 64 if fault.epochs > 5 else 256]
    recorder = training_attr("Recorder")(probe, record_every=50)

    out = _Tee()
    error: str | None = None
    fit_history: dict[str, list[float]] = {}

    shown: set[tuple[str, str, int]] = set()

    def show(message: Any, category: type[Warning], filename: str, lineno: int, file: Any = None,
             line: str | None = None) -> None:  # fmt: skip
        if (str(message), filename, lineno) not in shown:  # once per place, as Python's default filter does
            shown.add((str(message), filename, lineno))
            out.write(warnings.formatwarning(message, category, filename, lineno, line=""))

    with warnings.catch_warnings(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", PixelScaleWarning)  # our own probe of raw pixels, not the learner's
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.showwarning = show
        k.utils.set_random_seed(seed)
        try:
            fit = model.fit(x, y, epochs=epochs, batch_size=BATCH_SIZE, validation_split=fault.validation_split,
                            callbacks=[recorder], verbose=1)  # fmt: skip
            fit_history = {key: [float(v) for v in values] for key, values in fit.history.items()}
        except Exception as e:  # the failure is the point: keep what Python would print
            error = short_error(e)
            out.write("\n" + "".join(traceback.format_exception_only(type(e), e)))
        evaluation = None
        if error is None:
            scores = model.evaluate(x_test, y_test, batch_size=BATCH_SIZE, verbose=1, return_dict=True)
            evaluation = {key: float(v) for key, v in scores.items()}
            print([evaluation["loss"], evaluation.get("accuracy", float("nan"))])

    training_run = None
    if error is None:
        training_run = TrainingRun.from_recorder(
            recorder, fit_history, n_samples=n, epochs=epochs, batch_size=BATCH_SIZE, seed=seed,
            validation_split=fault.validation_split,
            data=f"the MNIST sample ({n:,} training images, pixels {'0–255' if fault.inputs == 'raw' else '0–1'})",
        )  # fmt: skip
    log = out.getvalue()
    diagnosis = diagnose(log, model=model, data=(x, y), snapshots=training_run)
    return FaultRun(
        fault=fault,
        log=log,
        run=training_run,
        diagnosis=diagnosis,
        evaluation=evaluation,
        error=error,
        seconds=time.perf_counter() - start,
        model=model,
    )


def gallery() -> render.Report:
    """The faults as a table: name, what changes, what happens.

    Examples:
        >>> print(gallery().to_text().splitlines()[0])
        Faults: the Hello World gone wrong, on demand
    """
    rows = tuple((f.name, f.change, f.expect) for f in FAULTS.values())
    return render.Report(
        "Faults: the Hello World gone wrong, on demand",
        (
            render.Table(("name", "change from the tutorial", "what happens"), rows),
            "Run one with `explain faults NAME` or explain.faults.run(NAME): each trains on the shipped "
            "MNIST sample in under 30 seconds and diagnoses its own log.",
        ),
    )
