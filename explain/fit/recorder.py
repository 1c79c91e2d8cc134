"""The `Recorder`: a Keras callback that records the network while ``fit`` trains it.

It works per *execution*: a model compiled with ``steps_per_execution=N``
runs N steps in one TensorFlow call and Keras calls the batch hook once per
call, with the index of the call's last step. The Recorder records the running
averages after every ``record_every`` steps and after the last step of each
epoch, so with ``N`` dividing ``record_every`` it records the same numbers
whatever ``N`` is (`explain.train` chooses ``N`` that way).

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
    every epoch, the loss and accuracy after every ``record_every`` steps and
    after the last step of each epoch (the running averages over the epoch so
    far, as Keras's progress bar shows them), and each epoch's duration. It
    never changes the model or the training.

    Each row of `steps` holds ``step`` (the index, counted across epochs, of
    the last step it covers), ``epoch`` (from 1), ``batch`` (that step's index
    in its epoch) and the metrics. With ``steps_per_execution=N`` Keras reports
    only every N-th step: choose ``record_every`` a multiple of N.

    Args:
        probe: a fixed batch of inputs, e.g. 256 normalized test images.
        record_every: record the running loss and accuracy after every this many steps.

    Examples:
        >>> import explain
        >>> data = explain.load_mnist("sample")
        >>> model = explain.seed_model()
        >>> rec = explain.Recorder(explain.normalize(data.x_test[:128]), record_every=50)
        >>> _ = model.fit(explain.normalize(data.x_train[:640]), data.y_train[:640], epochs=2, verbose=0,
        ...               callbacks=[rec])
        >>> [s.epoch for s in rec.snapshots], [r["step"] for r in rec.steps]  # 20 steps per epoch
        ([0, 1, 2], [19, 39])
    """

    def __init__(self, probe: np.ndarray, record_every: int = 100) -> None:
        super().__init__()
        record_every = checks.positive_int("record_every", record_every)
        self.probe = np.asarray(probe)
        self.record_every = record_every
        self.snapshots: list[Snapshot] = []
        self.steps: list[dict[str, float]] = []
        self.epoch_seconds: list[float] = []
        self.steps_done = 0  # steps trained so far, across epochs
        self._epoch = 0
        self._epoch_steps = 0  # steps trained so far in this epoch
        self._epoch_start = 0.0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.snapshots.append(take_snapshot(self.model, self.probe, epoch=len(self.epoch_seconds)))

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch
        self._epoch_steps = 0
        self._epoch_start = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        # ``batch`` is the last step of this execution; the epoch's last execution may be shorter than the others
        # (Keras still numbers it as if it were full), so the count stops at the epoch's number of steps.
        per_epoch = self.params.get("steps")
        done = batch + 1 if per_epoch is None else min(batch + 1, per_epoch)  # steps done in this epoch
        before, self._epoch_steps = self._epoch_steps, done
        self.steps_done += done - before
        crossed = done // self.record_every > before // self.record_every  # passed a multiple of record_every
        if crossed or done == per_epoch:
            # Keras passes the running averages over the epoch so far, as its progress bar shows.
            row = {"step": self.steps_done - 1, "epoch": self._epoch + 1, "batch": done - 1}
            row.update({key: float(v) for key, v in (logs or {}).items() if np.ndim(v) == 0})
            self.steps.append(row)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch_seconds.append(time.perf_counter() - self._epoch_start)
        self.snapshots.append(take_snapshot(self.model, self.probe, epoch=epoch + 1))
