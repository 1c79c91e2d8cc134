"""Running a fault: train the changed model on the shipped sample, capture its log, diagnose it."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import time
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explain._core.constants import BATCH_SIZE
from explain._core.formatting import plural
from explain._core.report import Block, Rendered, Report, Verbatim, side_by_side, text_width, wrap
from explain._core.tf import keras
from explain.data.scaling import normalize
from explain.data.sources import load_mnist
from explain.diagnosis.diagnose import diagnose
from explain.diagnosis.fault_catalogue import Fault, clipped_sparse_crossentropy, softmax_by_hand
from explain.diagnosis.findings import Diagnosis
from explain.diagnosis.logparse import tidy
from explain.errors import PixelScaleWarning
from explain.fit.recorder import Recorder
from explain.fit.run import TrainingRun
from explain.fit.train import executing, execution_size
from explain.model import seed_model


@dataclass(frozen=True, eq=False)
class FaultRun(Rendered):
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
        return tidy(self.log)

    def __repr__(self) -> str:
        top = self.diagnosis.findings[0].key if self.diagnosis.findings else "none"
        ev = f"test accuracy {self.evaluation['accuracy']:.4f}" if self.evaluation else f"failed: {self.error}"
        return f"FaultRun({self.fault.name!r}, {ev}, first finding {top!r}, {self.seconds:.1f} s)"

    def report(self) -> Report:
        f = self.fault
        blocks: list[Block] = [
            f"Change from the tutorial: {f.change}.",
            f"What happens: {f.expect}.",
            "The log:",
            Verbatim(self.tidy_log),
            *self.diagnosis.report().blocks,
        ]
        return Report(f"Fault {f.name}: {f.title} ({self.seconds:.1f} s)", tuple(blocks))

    def side_by_side(self, width: int | None = None) -> str:
        """The log on the left (progress bars shortened), the diagnosis on the right.

        Stacked, log above diagnosis, when ``width`` (default: the terminal's) is too narrow for two columns.
        """
        width = text_width(width) if width is not None else max(20, shutil.get_terminal_size((80, 24)).columns)
        head = wrap(f"Fault {self.fault.name}: {self.fault.title}  ({self.seconds:.1f} s)", width)
        head += "\n" + wrap(f"Change: {self.fault.change}", width) + "\n"
        log = re.sub(r"\[[=>.]{3,}\]", "[==]", re.sub(r"━{3,}", "━━", self.tidy_log))
        return head + "\n" + side_by_side(log, self.diagnosis, width=width)


def fault_model(fault: Fault, seed: int) -> Any:
    """The tutorial's model with the fault's change, same initial weights as ``seed_model(seed)``.

    Examples:
        >>> from explain.diagnosis.fault_catalogue import get
        >>> fault_model(get("dropout-0.9"), 0).get_layer("dropout").rate
        0.9
    """
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
        layers.append(k.layers.Lambda(softmax_by_hand, name="softmax_by_hand"))
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
    return x.astype(np.float32) if fault.inputs == "raw" else normalize(x)


class _Tee(io.StringIO):
    """Captures what Keras prints; Keras 3 asks ``isatty`` to decide how to redraw its bar."""

    def isatty(self) -> bool:
        return True


def short_error(e: BaseException) -> str:
    """An exception in one line: its type and the line of its message that names the problem.

    Examples:
        >>> short_error(ValueError("Graph execution error:\\n  File x\\nReceived a label value of 10 which is ..."))
        'ValueError: Received a label value of 10 which is ...'
    """
    lines = [s.strip() for s in str(e).splitlines() if s.strip()]
    telling = [s for s in lines if re.search(r"\b(Received|Expected|must|invalid|outside)\b", s, re.IGNORECASE)]
    return f"{type(e).__name__}: {(telling or lines or [''])[0]}"[:300]


def error_text(e: BaseException) -> str:
    """What Python prints of an exception, without the stack of frames TensorFlow puts in its message.

    TensorFlow's graph errors list every frame where the failing op was defined ("File ..., line ..."): the
    learner's files, explain's, Keras's, with the paths of the machine; the cause is the line after them.

    Examples:
        >>> frames = '  File "/a/b.py", line 3, in f\\n\\n  File "/a/c.py", line 9, in g\\n\\n'
        >>> print(error_text(ValueError(f"Graph execution error:\\n\\n{frames}Received a label value of 10")), end="")
        ValueError: Graph execution error:
          (2 frames)
        Received a label value of 10
    """
    lines: list[str] = []
    frames = 0
    for line in "".join(traceback.format_exception_only(type(e), e)).splitlines():
        if re.match(r'\s*File ".*", line \d+', line):
            frames += 1
        elif line.strip():
            if frames:  # the frames just passed, counted in one line
                lines.append(f"  ({plural(frames, 'frame')})")
                frames = 0
            lines.append(line)
    if frames:
        lines.append(f"  ({plural(frames, 'frame')})")
    return "\n".join(lines) + "\n"


def fault_data(fault: Fault) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The sample's training and test images and labels, changed as the fault changes them.

    Examples:
        >>> from explain.diagnosis.fault_catalogue import get
        >>> x, y, x_test, y_test = fault_data(get("labels-out-of-range"))
        >>> x.shape, int(y.max()), float(x.max())
        ((6000, 28, 28), 10, 1.0)
    """
    data = load_mnist("sample")
    n = fault.n_train or len(data.x_train)
    x, y = _inputs(fault, data.x_train[:n]), np.asarray(data.y_train[:n]).astype(np.int64)
    x_test, y_test = _inputs(fault, data.x_test), np.asarray(data.y_test).astype(np.int64)
    offset = fault.option("label_offset", 0)
    return x, y + offset, x_test, y_test + offset


def train_fault(fault: Fault, epochs: int, seed: int) -> FaultRun:
    """Train the fault's model on its data, capturing what Keras printed, and diagnose the log."""
    k = keras()
    start = time.perf_counter()
    x, y, x_test, y_test = fault_data(fault)
    n = len(x)
    model = fault_model(fault, seed)
    probe = x_test[: 64 if fault.epochs > 5 else 256]
    recorder = Recorder(probe, record_every=50)

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
            with executing(model, execution_size(recorder.record_every)):  # faster, the same numbers
                fit = model.fit(x, y, epochs=epochs, batch_size=BATCH_SIZE, validation_split=fault.validation_split,
                                callbacks=[recorder], verbose=1)  # fmt: skip
            fit_history = {key: [float(v) for v in values] for key, values in fit.history.items()}
        except Exception as e:  # the failure is the point: keep what Python would print
            error = short_error(e)
            out.write("\n" + error_text(e))
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
