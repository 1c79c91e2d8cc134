"""Training, explained: ``train()`` runs ``model.fit`` and records what happens inside.

The tutorial's ``model.fit(x_train, y_train, epochs=5)`` in numbers: with
60,000 images and Keras's default batch of 32, one epoch is
ceil(60000 / 32) = 1,875 steps, and each step is one Adam update computed
from 32 images. ``train`` does exactly that fit and keeps, besides the usual
per-epoch history:

- a finer history every ``record_every`` steps (the running averages Keras
  prints on its progress bar);
- the seconds each epoch took;
- a `Recorder`'s snapshots of the network on a fixed probe batch at the
  start and after every epoch: the hidden activations, the ReLU units that
  never fire, the softmax outputs that are saturated, the weights.

Snapshots keep statistics and small fixed-size samples, never every
activation, so memory stays flat however many epochs run.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explain import _checks, render
from explain.data import Dataset, as_dataset
from explain.errors import ModelError
from explain.normalization import normalize

BATCH_SIZE = 32  # Keras's default for fit, as in the tutorial
SAMPLE_VALUES = 2048  # values kept per snapshot for histograms: 4 probe images × 512 units


def steps_per_epoch(n_samples: int, batch_size: int = BATCH_SIZE) -> int:
    """How many weight updates one epoch makes: ``ceil(n_samples / batch_size)``.

    Examples:
        >>> steps_per_epoch(60_000)
        1875
        >>> steps_per_epoch(6_000)
        188
    """
    if n_samples < 0 or batch_size < 1:
        raise ValueError(f"Expected n_samples >= 0 and batch_size >= 1. Received: {n_samples}, {batch_size}.")
    return math.ceil(n_samples / batch_size)


def _loss_name(loss: Any) -> str:
    if isinstance(loss, str):
        return loss
    return str(getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__)


def check_model_for_data(model: Any, data: Dataset, *, doing: str = "train", compiled: bool = True) -> None:
    """Refuse, with the fix, a model that cannot ``doing`` on ``data`` before TensorFlow fails deep inside.

    Checks that ``model`` is a Keras model that takes 28×28 images and has an
    output per class and, with ``compiled``, that it is compiled with a loss that
    takes one integer label per image.

    Raises:
        ModelError: not a Keras model; the wrong input shape, too few outputs, or a one-hot loss.
        ValueError: the model is not compiled.

    Examples:
        >>> import explain
        >>> check_model_for_data(explain.seed_model(), explain.load_mnist("sample"))  # fine: no error
    """
    from explain._tf import keras

    if not isinstance(model, keras().Model):
        raise ModelError(f"Expected a Keras model such as explain.seed_model(). Received: {type(model).__name__}.")
    if compiled and (getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None):
        raise ValueError(
            "Expected a compiled model. Received: a model without an optimizer. "
            "Call model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])."
        )
    name = getattr(model, "name", "model")
    try:
        in_shape, out_shape = tuple(model.inputs[0].shape[1:]), tuple(model.outputs[0].shape)
    except (AttributeError, IndexError, TypeError, ValueError):  # a subclassed model not built yet: Keras checks
        return
    image = data.x_train.shape[1:]  # (28, 28)
    if len(in_shape) != len(image) or any(d is not None and d != e for d, e in zip(in_shape, image)):
        hint = (
            " Start it with keras.Input((28, 28)) and a Flatten layer, as the tutorial does."
            if in_shape == (784,) else " Start it with keras.Input((28, 28))."
        )  # fmt: skip
        raise ModelError(
            f"Expected model '{name}' to take images of shape {image}, as the Dataset holds. "
            f"Received: a model whose input shape is {in_shape}.{hint}"
        )
    classes = len(data.class_names)
    units = out_shape[-1] if out_shape else None
    top = int(max(data.y_train.max(), data.y_test.max()))
    if units is not None and units <= top:
        raise ModelError(
            f"Expected model '{name}' to have one output per class: {classes} for labels 0–{classes - 1}. "
            f"Received: a model with {units} output{'s' if units != 1 else ''}, so label {top} has none "
            f"(TensorFlow would stop with InvalidArgumentError). End it with "
            f"keras.layers.Dense({classes}, activation='softmax')."
        )
    loss = _loss_name(getattr(model, "loss", None))
    if compiled and loss in ("categorical_crossentropy", "CategoricalCrossentropy"):
        raise ModelError(
            f"Expected a model compiled with loss='sparse_categorical_crossentropy': explain.{doing} passes one "
            f"integer label per image (7). Received: loss='{loss}', which wants one-hot rows "
            f"([0, 0, 0, 0, 0, 0, 0, 1, 0, 0]). Compile with loss='sparse_categorical_crossentropy'."
        )


@dataclass(frozen=True, eq=False)
class Snapshot:
    """The network on the probe batch at one moment (epoch 0 = before training).

    Attributes:
        epoch: 0 before training, then 1, 2, … after each epoch.
        hidden_layer: the name of the hidden Dense layer that was measured.
        activation_sample: ``SAMPLE_VALUES`` hidden activations (a fixed slice of the probe batch).
        activation_mean: the mean hidden activation over the whole probe batch.
        active_share: the share of hidden activations above 0.
        dead_units: the share of hidden units that output 0 for every probe image.
        saturated_share: the share of softmax outputs exactly 0.0 or 1.0 in float32.
        weight_stats: per Dense kernel: ``{"mean", "std", "min", "max"}``.
        weight_sample: per Dense kernel: ``SAMPLE_VALUES`` weights at fixed positions.

    Examples:
        >>> import explain
        >>> from explain.training import take_snapshot
        >>> s = take_snapshot(explain.seed_model(), explain.normalize(explain.load_mnist("sample").x_test[:8]), 0)
        >>> s.hidden_layer, sorted(s.weight_stats)
        ('dense', ['dense', 'dense_1'])
    """

    epoch: int
    hidden_layer: str
    activation_sample: np.ndarray = field(repr=False)
    activation_mean: float
    active_share: float
    dead_units: float
    saturated_share: float
    weight_stats: dict[str, dict[str, float]] = field(repr=False)
    weight_sample: dict[str, np.ndarray] = field(repr=False)

    @property
    def nbytes(self) -> int:
        """Bytes held in arrays: the same for every snapshot (memory stays flat)."""
        return int(self.activation_sample.nbytes + sum(a.nbytes for a in self.weight_sample.values()))


def take_snapshot(model: Any, probe: np.ndarray, epoch: int) -> Snapshot:
    """Measure ``model`` on the probe batch (inference mode) without changing it.

    Examples:
        >>> import explain
        >>> from explain.training import take_snapshot
        >>> probe = explain.normalize(explain.load_mnist("sample").x_test[:64])
        >>> s = take_snapshot(explain.seed_model(), probe, epoch=0)
        >>> s.epoch, s.activation_sample.shape
        (0, (2048,))
    """
    from explain.tracing import trace

    t = trace(model, probe)
    dense_steps = [s for s in t.steps if s.kind == "Dense"]
    hidden = next((s for s in dense_steps if s.activation == "relu"), dense_steps[0] if dense_steps else None)
    if hidden is None:
        raise ValueError(f"Expected a model with a Dense layer. Received: layers {', '.join(t.names[1:])}.")
    a = hidden.output.reshape(len(probe), -1)  # (probe, units)
    out = t.output  # (probe, 10)
    kernels = {s.name: s.weights[0] for s in dense_steps if s.weights}
    rng = np.random.default_rng(0)  # fixed positions: the same weights are followed across epochs
    sample = {
        name: k.ravel()[np.sort(rng.choice(k.size, size=min(SAMPLE_VALUES, k.size), replace=False))].copy()
        for name, k in kernels.items()
    }
    return Snapshot(
        epoch=epoch,
        hidden_layer=hidden.name,
        activation_sample=a.ravel()[:SAMPLE_VALUES].copy(),
        activation_mean=float(a.mean()),
        active_share=float((a > 0).mean()),
        dead_units=float((a.max(axis=0) <= 0).mean()),
        saturated_share=float(((out == 0) | (out == 1)).mean()),
        weight_stats={
            name: {"mean": float(k.mean()), "std": float(k.std()), "min": float(k.min()), "max": float(k.max())}
            for name, k in kernels.items()
        },
        weight_sample=sample,
    )


def _recorder_class() -> type:
    from explain._tf import keras

    k = keras()

    class Recorder(k.callbacks.Callback):
        """A Keras callback that records the network while it learns.

        Use it on its own with any ``model.fit``: it takes a snapshot of the
        model on ``probe`` (a fixed batch of inputs) before training and after
        every epoch, the loss and accuracy every ``record_every`` steps, and
        each epoch's duration. It never changes the model or the training.

        Args:
            probe: a fixed batch of inputs, e.g. 256 normalized test images.
            record_every: record the running loss and accuracy every this many steps.

        Examples:
            >>> import explain
            >>> data = explain.load_mnist("sample")
            >>> model = explain.seed_model()
            >>> rec = explain.Recorder(explain.normalize(data.x_test[:128]), record_every=50)
            >>> _ = model.fit(explain.normalize(data.x_train[:640]), data.y_train[:640], epochs=2, verbose=0,
            ...               callbacks=[rec])
            >>> [s.epoch for s in rec.snapshots], [r["step"] for r in rec.steps]
            ([0, 1, 2], [0, 19, 20, 39])
        """

        def __init__(self, probe: np.ndarray, record_every: int = 100) -> None:
            super().__init__()
            if isinstance(record_every, bool) or not isinstance(record_every, int) or record_every < 1:
                raise ValueError(f"Expected record_every to be a positive integer. Received: {record_every!r}")
            self.probe = np.asarray(probe)
            self.record_every = record_every
            self.snapshots: list[Snapshot] = []
            self.steps: list[dict[str, float]] = []
            self.epoch_seconds: list[float] = []
            self._step = 0
            self._epoch = 0
            self._epoch_start = 0.0

        def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
            self.snapshots.append(take_snapshot(self.model, self.probe, epoch=len(self.epoch_seconds)))

        def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            self._epoch = epoch
            self._epoch_start = time.perf_counter()

        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            # Keras passes the running averages over the epoch so far, as its progress bar shows.
            last_of_epoch = self.params.get("steps") is not None and batch + 1 == self.params["steps"]
            if batch % self.record_every == 0 or last_of_epoch:
                row = {"step": self._step, "epoch": self._epoch + 1, "batch": batch}
                row.update({key: float(v) for key, v in (logs or {}).items() if np.ndim(v) == 0})
                self.steps.append(row)
            self._step += 1

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            self.epoch_seconds.append(time.perf_counter() - self._epoch_start)
            self.snapshots.append(take_snapshot(self.model, self.probe, epoch=epoch + 1))

    Recorder.__module__ = __name__
    Recorder.__qualname__ = "Recorder"
    return Recorder


_RECORDER: type | None = None


def __getattr__(name: str) -> Any:
    # Recorder subclasses keras.callbacks.Callback, so it is built on first use:
    # importing this module must not import TensorFlow.
    global _RECORDER
    if name == "Recorder":
        if _RECORDER is None:
            _RECORDER = _recorder_class()
        return _RECORDER
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True, eq=False)
class TrainingRun(render.Rendered):
    """What one ``train()`` call did.

    Attributes:
        history: per epoch, as ``model.fit`` returns it: ``loss``, ``accuracy``
            and, with a validation split, ``val_loss``, ``val_accuracy``.
        steps: the running loss and accuracy every ``record_every`` steps.
        epoch_seconds: how long each epoch took.
        snapshots: the `Snapshot` before training and after each epoch.
        epochs: epochs trained.
        batch_size: images per step.
        n_train: images trained on (after the validation split).
        seed: the seed of the shuffling and the Dropout masks.
        validation_split: the share of the training data held out for validation.
        data: where the data came from.

    Examples:
        >>> import explain
        >>> run = explain.train(explain.seed_model(), explain.load_mnist("sample"), epochs=1)
        >>> run.steps_per_epoch, [s.epoch for s in run.snapshots]
        (188, [0, 1])
    """

    history: dict[str, list[float]]
    steps: tuple[dict[str, float], ...] = field(repr=False)
    epoch_seconds: tuple[float, ...] = field(repr=False)
    snapshots: tuple[Snapshot, ...] = field(repr=False)
    epochs: int
    batch_size: int
    n_train: int
    seed: int
    validation_split: float = 0.0
    data: str = ""

    @property
    def steps_per_epoch(self) -> int:
        """``ceil(n_train / batch_size)``."""
        return steps_per_epoch(self.n_train, self.batch_size)

    @classmethod
    def from_recorder(
        cls,
        recorder: Any,
        history: dict[str, list[float]],
        *,
        n_samples: int,
        epochs: int,
        batch_size: int,
        seed: int,
        validation_split: float = 0.0,
        data: str = "",
    ) -> TrainingRun:
        """A run from what a :class:`Recorder` saw during ``fit`` and the history ``fit`` returned.

        ``n_samples`` counts the images given to ``fit``; the validation split is taken off them.

        Examples:
            >>> import explain, numpy as np
            >>> rec = explain.Recorder(np.zeros((1, 28, 28), "float32"))
            >>> TrainingRun.from_recorder(rec, {"loss": [0.5]}, n_samples=100, epochs=1, batch_size=32,
            ...                           seed=0, validation_split=0.2).n_train
            80
        """  # fmt: skip
        n_train = n_samples - int(n_samples * validation_split) if validation_split else n_samples
        return cls(
            history={key: [float(v) for v in values] for key, values in history.items()},
            steps=tuple(recorder.steps),
            epoch_seconds=tuple(recorder.epoch_seconds),
            snapshots=tuple(recorder.snapshots),
            epochs=epochs,
            batch_size=batch_size,
            n_train=n_train,
            seed=seed,
            validation_split=validation_split,
            data=data,
        )

    def activation_counts(self, bins: int = 40) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Histograms of the recorded hidden activations, one per snapshot, on shared bins.

        Returns ``(epochs, counts, edges, zero_share)``, ready for
        ``explain.figures.activation_histograms(epochs, counts, edges, zero_share=zero_share)``.

        Examples:
            >>> import explain
            >>> run = explain.train(explain.seed_model(), explain.load_mnist("sample"), epochs=1)
            >>> epochs, counts, edges, zeros = run.activation_counts(bins=10)
            >>> epochs.tolist(), counts.shape, int(counts[0].sum())
            ([0, 1], (2, 10), 2048)
        """
        samples = [s.activation_sample for s in self.snapshots]
        top = max(float(a.max()) for a in samples) or 1.0
        edges = np.linspace(0.0, top, bins + 1)
        counts = np.stack([np.histogram(a, bins=edges)[0] for a in samples])  # (snapshots, bins)
        epochs = np.array([s.epoch for s in self.snapshots])
        zero_share = np.array([float((a == 0).mean()) for a in samples])
        return epochs, counts, edges, zero_share

    def __repr__(self) -> str:
        last = {k: v[-1] for k, v in self.history.items()}
        parts = ", ".join(f"{k} {v:.4f}" for k, v in last.items())
        epochs = f"{self.epochs} epoch{'s' * (self.epochs != 1)}"
        return f"TrainingRun({epochs} × {self.steps_per_epoch} steps, last {parts})"

    def _report(self) -> render.Report:
        keys = list(self.history)
        rows = tuple(
            (
                str(i + 1),
                *(f"{self.history[k][i]:.4f}" for k in keys),
                f"{self.epoch_seconds[i]:.1f}" if i < len(self.epoch_seconds) else "",
                render.pct(self.snapshots[i + 1].dead_units) if i + 1 < len(self.snapshots) else "",
            )
            for i in range(self.epochs)
        )
        table = render.Table(("epoch", *keys, "seconds", "dead ReLU units"), rows, align="r" * (len(keys) + 3))
        first = self.snapshots[0] if self.snapshots else None
        blocks: list[render.Block] = [
            f"{render.count(self.n_train)} images in batches of {self.batch_size}: "
            f"{render.count(self.steps_per_epoch)} steps per epoch, "
            f"{render.count(self.steps_per_epoch * self.epochs)} weight updates in all.",
            table,
        ]
        if first is not None and len(self.snapshots) > 1:
            last = self.snapshots[-1]
            blocks.append(
                f"On the probe batch, hidden units active: {render.pct(first.active_share)} before training, "
                f"{render.pct(last.active_share)} after; saturated softmax outputs: "
                f"{render.pct(first.saturated_share)} → {render.pct(last.saturated_share)}."
            )
        blocks.append(
            "The loss and accuracy of each epoch are running averages over its steps, measured with Dropout "
            "active while the weights changed; evaluate() measures the final weights with Dropout off."
        )
        return render.Report(
            f"Training: {self.epochs} epoch{'s' * (self.epochs != 1)}" + (f" on {self.data}" if self.data else ""),
            tuple(blocks),
        )


def train(
    model: Any,
    data: Dataset,
    *,
    epochs: int = 5,
    batch_size: int = BATCH_SIZE,
    seed: int = 0,
    validation_split: float = 0.0,
    record_every: int = 100,
    probe_size: int = 256,
    verbose: int | str = 0,
) -> TrainingRun:
    """Train ``model`` like the tutorial's ``model.fit`` and record what happens.

    The model is trained in place. ``x_train`` is normalized first (x / 255).
    Keras's global seed is set to ``seed`` so the shuffling and the Dropout
    masks, and so the whole run, repeat exactly.

    Args:
        model: a compiled Keras model, e.g. `explain.seed_model`.
        data: the `explain.Dataset` to train on (its training split).
        epochs: passes over the training data (the tutorial's 5).
        batch_size: images per step (Keras's default 32).
        seed: seeds the shuffling and Dropout.
        validation_split: share of the training images held out to measure
            validation loss and accuracy after each epoch (0 = none, as the tutorial).
        record_every: record the running loss and accuracy every this many steps.
        probe_size: how many test images form the Recorder's probe batch.
        verbose: passed to ``model.fit`` (0 silent, 1 progress bar, 2 one line per epoch).

    Returns:
        A `TrainingRun`.

    Raises:
        ValueError: bad epochs, batch size, seed or validation split; a model that is not compiled.
        ModelError: the model cannot take the data (see `check_model_for_data`).
        DataError: ``data`` is not a `explain.Dataset`.

    Examples:
        >>> import explain
        >>> data = explain.load_mnist("sample")
        >>> run = explain.train(explain.seed_model(), data, epochs=1)
        >>> run.steps_per_epoch, len(run.history["loss"])
        (188, 1)
    """
    from explain._tf import keras

    data = as_dataset(data)
    epochs = _checks.positive_int("epochs", epochs)
    batch_size = _checks.positive_int("batch_size", batch_size)
    probe_size = _checks.positive_int("probe_size", probe_size)
    seed = _checks.seed(seed)
    real = isinstance(validation_split, (int, float, np.integer, np.floating)) and not isinstance(
        validation_split, bool
    )
    if not real or not 0 <= validation_split < 1:
        raise ValueError(f"Expected validation_split in [0, 1). Received: validation_split={validation_split!r}")
    n = len(data.y_train)
    if validation_split and not 0 < math.floor(n * (1 - validation_split)) < n:  # Keras's own split
        raise ValueError(
            f"Expected validation_split to leave images both to train on and to validate on. Received: "
            f"validation_split={validation_split!r} of {n:,} images. Use a split between {1 / n:.2g} and "
            f"{1 - 1 / n:.2g}, or more data."
        )
    check_model_for_data(model, data, doing="train")
    k = keras()
    x = normalize(data.x_train)
    recorder = __getattr__("Recorder")(normalize(data.x_test[:probe_size]), record_every=record_every)
    k.utils.set_random_seed(seed)  # fit's shuffling and Dropout masks: same seed, same run
    try:
        fit = model.fit(
            x,
            np.asarray(data.y_train),
            epochs=epochs,
            batch_size=batch_size,
            validation_split=validation_split,
            callbacks=[recorder],
            verbose=verbose,
        )
    except KeyboardInterrupt:
        # Ctrl-C: say what state the model is in (fit changed it in place), then stop as asked.
        print(
            f"explain: training interrupted after {recorder._step} of "
            f"{epochs * steps_per_epoch(len(x) - int(len(x) * validation_split), batch_size)} steps; "
            f"the model keeps the weights it had then (partly trained). Nothing was saved.",
            file=sys.stderr,
        )
        raise
    return TrainingRun.from_recorder(
        recorder, fit.history, n_samples=len(x), epochs=epochs, batch_size=batch_size, seed=seed,
        validation_split=validation_split, data=data.source,
    )  # fmt: skip
