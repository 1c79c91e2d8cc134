"""The fault catalogue: each classic way the Hello World goes wrong, as a named `Fault` (no training here).

`explain.faults` runs them; this module only describes them, so listing the
faults (``explain faults``) imports no TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from explain._core.constants import DOCS_FAILURES as DOCS
from explain._core.constants import EPSILON
from explain._core.report import Report, Table
from explain._core.tf import keras


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
    ops = keras().ops
    labels = ops.cast(ops.reshape(y_true, (-1, 1)), "int32")  # (n, 1)
    p = ops.take_along_axis(ops.convert_to_tensor(y_pred), labels, axis=-1)[:, 0]  # (n,) p[label]
    return -ops.log(ops.clip(p, EPSILON, 1.0 - EPSILON))


def softmax_by_hand(z: Any) -> Any:
    """Softmax written out with Keras ops, ``e^(z - max z) / Σ e^(z - max z)``: a softmax Keras's loss cannot see.

    Examples:
        >>> import numpy as np
        >>> [round(float(v), 2) for v in softmax_by_hand(np.array([[0.0, 0.0]], dtype="float32"))[0]]
        [0.5, 0.5]
    """
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


def gallery() -> Report:
    """The faults as a table: name, what changes, what happens.

    Examples:
        >>> print(gallery().to_text().splitlines()[0])
        Faults: the Hello World gone wrong, on demand
    """
    rows = tuple((f.name, f.change, f.expect) for f in FAULTS.values())
    return Report(
        "Faults: the Hello World gone wrong, on demand",
        (
            Table(("name", "change from the tutorial", "what happens"), rows),
            "Run one with `explain faults NAME` or explain.faults.run(NAME): each trains on the shipped "
            "MNIST sample in under 30 seconds and diagnoses its own log.",
        ),
    )
