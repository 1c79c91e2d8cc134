"""A `TrainingRun`: what one training run did, epoch by epoch and step by step, with its snapshots.

The tutorial's ``model.fit(x_train, y_train, epochs=5)`` in numbers: with
60,000 images and Keras's default batch of 32, one epoch is
ceil(60000 / 32) = 1,875 steps (`steps_per_epoch`), and each step is one
Adam update computed from 32 images.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explain._core import formatting as fmt
from explain._core.constants import BATCH_SIZE
from explain._core.report import Block, Rendered, Report, Table
from explain.fit.snapshot import Snapshot


def steps_per_epoch(n_samples: Any, batch_size: int = BATCH_SIZE) -> int:
    """How many weight updates one epoch makes: ``ceil(n_samples / batch_size)``.

    Args:
        n_samples: how many training images, or a `explain.Dataset` (its training split).
        batch_size: images per step (Keras's default, 32).

    Raises:
        TypeError: ``n_samples`` or ``batch_size`` is not a whole number (``n_samples`` may be a Dataset).
        ValueError: ``n_samples`` < 0 or ``batch_size`` < 1.

    Examples:
        >>> steps_per_epoch(60_000)
        1875
        >>> steps_per_epoch(6_000)
        188
        >>> import explain
        >>> steps_per_epoch(explain.load_mnist("sample"))
        188
    """
    if hasattr(n_samples, "x_train") and hasattr(n_samples, "y_train"):  # a Dataset: its training images
        n_samples = len(n_samples.x_train)
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise TypeError(
            f"Expected n_samples to be a number of training images (an int), or a Dataset. Received: "
            f"{type(n_samples).__name__}. For arrays, pass len(x_train)."
        )
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"Expected batch_size to be an int. Received: {type(batch_size).__name__}.")
    if n_samples < 0 or batch_size < 1:
        raise ValueError(f"Expected n_samples >= 0 and batch_size >= 1. Received: {n_samples}, {batch_size}.")
    return math.ceil(n_samples / batch_size)


@dataclass(frozen=True, eq=False)
class TrainingRun(Rendered):
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

    def report(self) -> Report:
        keys = list(self.history)
        rows = tuple(
            (
                str(i + 1),
                *(f"{self.history[k][i]:.4f}" for k in keys),
                f"{self.epoch_seconds[i]:.1f}" if i < len(self.epoch_seconds) else "",
                fmt.pct(self.snapshots[i + 1].dead_units) if i + 1 < len(self.snapshots) else "",
            )
            for i in range(self.epochs)
        )
        table = Table(("epoch", *keys, "seconds", "dead ReLU units"), rows, align="r" * (len(keys) + 3))
        first = self.snapshots[0] if self.snapshots else None
        blocks: list[Block] = [
            f"{fmt.count(self.n_train)} images in batches of {self.batch_size}: "
            f"{fmt.count(self.steps_per_epoch)} steps per epoch, "
            f"{fmt.count(self.steps_per_epoch * self.epochs)} weight updates in all.",
            table,
        ]
        if first is not None and len(self.snapshots) > 1:
            last = self.snapshots[-1]
            blocks.append(
                f"On the probe batch, hidden units active: {fmt.pct(first.active_share)} before training, "
                f"{fmt.pct(last.active_share)} after; saturated softmax outputs: "
                f"{fmt.pct(first.saturated_share)} → {fmt.pct(last.saturated_share)}."
            )
        blocks.append(
            "The loss and accuracy of each epoch are running averages over its steps, measured with Dropout "
            "active while the weights changed; evaluate() measures the final weights with Dropout off."
        )
        return Report(
            f"Training: {self.epochs} epoch{'s' * (self.epochs != 1)}" + (f" on {self.data}" if self.data else ""),
            tuple(blocks),
        )
