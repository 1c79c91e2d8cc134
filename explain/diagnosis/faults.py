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

import functools

from explain._core import checks
from explain._core.cache import cache_folder, load_or_make
from explain.diagnosis import fault_cache
from explain.diagnosis.fault_catalogue import FAULTS, Fault, clipped_sparse_crossentropy, gallery, get, names
from explain.diagnosis.fault_run import FaultRun, short_error, train_fault

__all__ = [
    "FAULTS", "Fault", "FaultRun", "clipped_sparse_crossentropy", "gallery", "get", "names", "run", "short_error",
]  # fmt: skip


def run(name: str, *, epochs: int | None = None, seed: int = 0, cache: bool = True) -> FaultRun:
    """Reproduce one fault: train on the shipped sample, capture the log, diagnose it.

    The same name, epochs and seed give the same run, so a run is computed once
    per process and then shared (the result is immutable). With ``cache`` it is
    also kept in explain's cache folder (`explain.fit.cache.cache_dir`): the log, the
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
    epochs = FAULTS[name].epochs if epochs is None else checks.positive_int("epochs", epochs)
    return _run(name, epochs, checks.seed(seed), checks.flag("cache", cache))


@functools.lru_cache(maxsize=16)
def _run(name: str, epochs: int, seed: int, cache: bool) -> FaultRun:
    fault = FAULTS[name]
    folder = cache_folder(cache, what="the fault run")  # None, with a warning that names it, if unusable
    if folder is None:
        return train_fault(fault, epochs, seed)

    def make() -> FaultRun:
        result = train_fault(fault, epochs, seed)
        fault_cache.save_fault_run(result, epochs, seed, folder)
        return result

    key = fault_cache.fault_key(fault, epochs, seed)
    return load_or_make(  # two processes asking at once train it once
        folder, key, load=lambda: fault_cache.load_fault_run(fault, epochs, seed, folder), make=make,
        waiting=f"another process is running the fault {name} (entry {key} in {folder}); waiting for it to finish.",
    )  # fmt: skip
