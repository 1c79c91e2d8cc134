"""The `Recorder`: a Keras callback that records the network while ``fit`` trains it.

It subclasses ``keras.callbacks.Callback``, so importing this module imports
TensorFlow (quietly, through `explain._core.tf`); ``import explain`` does not,
because `explain.Recorder` is loaded on first use.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from explain._core import checks
from explain._core.tf import keras
from explain.fit.snapshot import Snapshot, take_snapshot


class Recorder(keras().callbacks.Callback):
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
        record_every = checks.positive_int("record_every", record_every)
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
