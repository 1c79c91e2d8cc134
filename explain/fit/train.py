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

import contextlib
import math
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

from explain._core import checks
from explain._core.constants import BATCH_SIZE
from explain._core.tf import keras
from explain.data.dataset import Dataset, as_dataset
from explain.data.scaling import normalize
from explain.fit.recorder import Recorder
from explain.fit.run import TrainingRun, steps_per_epoch

#: Steps TensorFlow runs per call during training (``steps_per_execution``), measured fastest on 2 CPU cores
#: among the divisors of 100 (see benchmarks/training_speed.py). The history does not depend on it.
EXECUTION_STEPS = 20


def execution_size(record_every: int, steps_per_execution: int | None = None) -> int:
    """How many steps per TensorFlow call to train with so that the Recorder sees every ``record_every``-th step.

    By default the largest divisor of ``record_every`` that also divides `EXECUTION_STEPS`.

    Raises:
        ValueError: ``steps_per_execution`` is not a positive integer that divides ``record_every``.

    Examples:
        >>> execution_size(100), execution_size(20), execution_size(50), execution_size(7)
        (20, 20, 10, 1)
        >>> execution_size(100, steps_per_execution=25)
        25
    """
    record_every = checks.positive_int("record_every", record_every)
    if steps_per_execution is None:
        return math.gcd(record_every, EXECUTION_STEPS)
    n = checks.positive_int("steps_per_execution", steps_per_execution)
    if record_every % n:
        raise ValueError(
            f"Expected steps_per_execution to divide record_every={record_every}: Keras reports only the last step "
            f"of each execution. Received: steps_per_execution={n}. Use a divisor of {record_every}, e.g. "
            f"{math.gcd(record_every, n)}."
        )
    return n


@contextlib.contextmanager
def executing(model: Any, steps: int) -> Iterator[Any]:
    """Within the block, ``model.fit`` runs ``steps`` training steps per TensorFlow call; afterwards, as before.

    The same as compiling with ``steps_per_execution=steps``, without touching the optimizer or the metrics:
    Keras's own attribute is set for the block and the compiled training and validation functions rebuilt, then
    all three put back. The numbers do not change (every step still runs, in order); Python's per-step work does.

    Examples:
        >>> import explain
        >>> model = explain.seed_model()
        >>> with executing(model, 20) as m:
        ...     m.steps_per_execution
        20
        >>> model.steps_per_execution
        1
    """
    # fit builds test_function too (for validation_split) and Keras keeps it: a later evaluate would run `steps`
    # batches per call and warn that its input "ran out of data" when the batches are not a multiple of it. So
    # both functions are Keras's own again afterwards (None, or the ones built before: nothing to rebuild).
    saved = model.steps_per_execution, model.train_function, model.test_function
    model.steps_per_execution, model.train_function, model.test_function = int(steps), None, None
    try:
        yield model
    finally:
        model.steps_per_execution, model.train_function, model.test_function = saved


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
    steps_per_execution: int | None = None,
) -> TrainingRun:
    """Train ``model`` like the tutorial's ``model.fit`` and record what happens.

    The model is trained in place. ``x_train`` is normalized first (x / 255).
    Keras's global seed is set to ``seed`` so the shuffling and the Dropout
    masks, and so the whole run, repeat exactly. TensorFlow runs several steps
    per call (`execution_size`: 20 by default), which trains faster than the
    tutorial's plain ``model.fit`` and gives exactly its history.

    Args:
        model: a compiled Keras model, e.g. `explain.seed_model`.
        data: the `explain.Dataset` to train on (its training split).
        epochs: passes over the training data (the tutorial's 5).
        batch_size: images per step (Keras's default 32).
        seed: seeds the shuffling and Dropout.
        validation_split: share of the training images held out to measure
            validation loss and accuracy after each epoch (0 = none, as the tutorial).
        record_every: record the running loss and accuracy after every this many steps.
        probe_size: how many test images form the Recorder's probe batch.
        verbose: passed to ``model.fit`` (0 silent, 1 progress bar, 2 one line per epoch).
        steps_per_execution: steps per TensorFlow call, a divisor of ``record_every``; by default
            `execution_size` chooses it. The model's own setting is put back afterwards.

    Returns:
        A `TrainingRun`.

    Raises:
        ValueError: bad epochs, batch size, seed, validation split or steps per execution; a model that is not
            compiled.
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
    verbose = checks.verbosity(verbose)
    validation_split = checks.unit_interval("validation_split", validation_split)
    n = len(data.y_train)
    if validation_split and not 0 < math.floor(n * (1 - validation_split)) < n:  # Keras's own split
        raise ValueError(
            f"Expected validation_split to leave images both to train on and to validate on. Received: "
            f"validation_split={validation_split!r} of {n:,} images. Use a split between {1 / n:.2g} and "
            f"{1 - 1 / n:.2g}, or more data."
        )
    checks.model_for_data(model, data, doing="train")
    execution = execution_size(record_every, steps_per_execution)
    k = keras()
    x = normalize(data.x_train)
    recorder = Recorder(normalize(data.x_test[:probe_size]), record_every=record_every)
    k.utils.set_random_seed(seed)  # fit's shuffling and Dropout masks: same seed, same run
    try:
        with executing(model, execution):
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
            f"explain: training interrupted after {recorder.steps_done} of "
            f"{epochs * steps_per_epoch(len(x) - int(len(x) * validation_split), batch_size)} steps; "
            f"the model keeps the weights it had then (partly trained). Nothing was saved.",
            file=sys.stderr,
        )
        raise
    return TrainingRun.from_recorder(
        recorder, fit.history, n_samples=len(x), epochs=epochs, batch_size=batch_size, seed=seed,
        validation_split=validation_split, data=data.source,
    )  # fmt: skip
