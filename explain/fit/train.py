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
from typing import Any

import numpy as np

from explain._core import checks
from explain._core.constants import BATCH_SIZE
from explain._core.tf import keras
from explain.data.dataset import Dataset, as_dataset
from explain.data.scaling import normalize
from explain.fit.recorder import Recorder
from explain.fit.run import TrainingRun, steps_per_epoch


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
        ModelError: the model cannot take the data (see `explain._core.checks.model_for_data`).
        DataError: ``data`` is not a `explain.Dataset`.

    Examples:
        >>> import explain
        >>> data = explain.load_mnist("sample")
        >>> run = explain.train(explain.seed_model(), data, epochs=1)
        >>> run.steps_per_epoch, len(run.history["loss"])
        (188, 1)
    """
    data = as_dataset(data)
    epochs = checks.positive_int("epochs", epochs)
    batch_size = checks.positive_int("batch_size", batch_size)
    probe_size = checks.positive_int("probe_size", probe_size)
    seed = checks.seed(seed)
    validation_split = checks.unit_interval("validation_split", validation_split)
    n = len(data.y_train)
    if validation_split and not 0 < math.floor(n * (1 - validation_split)) < n:  # Keras's own split
        raise ValueError(
            f"Expected validation_split to leave images both to train on and to validate on. Received: "
            f"validation_split={validation_split!r} of {n:,} images. Use a split between {1 / n:.2g} and "
            f"{1 - 1 / n:.2g}, or more data."
        )
    checks.model_for_data(model, data, doing="train")
    k = keras()
    x = normalize(data.x_train)
    recorder = Recorder(normalize(data.x_test[:probe_size]), record_every=record_every)
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
