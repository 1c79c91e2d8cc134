"""What a diagnosis can measure besides the loss curve: the data, the model, and the model on a probe batch.

`data_facts` is pure NumPy. `model_facts` reads a Keras model's
configuration (no computation), and `probe_facts` runs the model; both
take the model the caller already has, so they add no TensorFlow import of
their own beyond the lazy ``explain._core.tf`` one.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from explain._core.tf import keras
from explain.data.dataset import Dataset
from explain.errors import PixelScaleWarning
from explain.fit.snapshot import take_snapshot

PROBE_SIZE = 256  # images used to measure the untrained loss, dead units and saturation


@dataclass(frozen=True)
class DataFacts:
    """The inputs and labels that were given to ``fit``, summarised.

    Examples:
        >>> import numpy as np
        >>> f = data_facts((np.array([[0, 255]], np.uint8), np.array([3])))
        >>> f.x_max, f.y_shape, f.y_max
        (255.0, (1,), 3)
    """

    n: int
    x_dtype: str
    x_min: float
    x_max: float
    x_mean: float
    x_nonfinite: int
    y_shape: tuple[int, ...] | None = None
    y_dtype: str | None = None
    y_min: int | None = None
    y_max: int | None = None

    @property
    def scaled_twice(self) -> bool:
        """Largest value above 0 but at most 1/255: divided by 255 twice."""
        return 0 < self.x_max <= 1 / 255 + 1e-6

    @property
    def unscaled(self) -> bool:
        """Largest value above 1: pixels still 0–255."""
        return self.x_max > 1.0 + 1e-6


def data_facts(data: Any) -> DataFacts:
    """Summarise ``data``: an ``(x, y)`` pair as given to ``fit``, an ``x`` array alone, or a Dataset.

    A `explain.Dataset` holds 0–255 pixels and `explain.train`
    scales them by 1/255 before fitting, so its training split is summarised
    as scaled.

    Raises:
        TypeError: ``data`` is none of those.

    Examples:
        >>> import explain
        >>> data_facts(explain.load_mnist("sample")).x_max
        1.0
    """
    if isinstance(data, Dataset):
        x = np.asarray(data.x_train)
        y: Any = np.asarray(data.y_train)
        scale = 255.0
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        x, y = np.asarray(data[0]), np.asarray(data[1])
        scale = 1.0
    elif isinstance(data, np.ndarray):
        x, y, scale = data, None, 1.0
    else:
        raise TypeError(
            "Expected data as given to fit: an (x, y) pair of arrays, an x array, or an explain Dataset. "
            f"Received: {type(data).__name__}."
        )
    if not np.issubdtype(x.dtype, np.number) or x.dtype == bool:
        raise TypeError(f"Expected numeric inputs. Received: x of dtype {x.dtype}.")
    nonfinite = int((~np.isfinite(x)).sum()) if np.issubdtype(x.dtype, np.floating) else 0
    vals = x[np.isfinite(x)] if nonfinite else x  # a copy only when there is something to leave out
    facts: dict[str, Any] = {
        "n": int(len(x)),
        "x_dtype": str(x.dtype),
        "x_min": float(vals.min()) / scale if vals.size else math.nan,
        "x_max": float(vals.max()) / scale if vals.size else math.nan,
        "x_mean": float(vals.mean(dtype=np.float64)) / scale if vals.size else math.nan,
        "x_nonfinite": nonfinite,
    }
    if y is not None:
        y = np.asarray(y)
        numeric = np.issubdtype(y.dtype, np.number) and y.size > 0
        facts.update(
            y_shape=tuple(int(d) for d in y.shape),
            y_dtype=str(y.dtype),
            y_min=int(np.nanmin(y)) if numeric else None,
            y_max=int(np.nanmax(y)) if numeric else None,
        )
    return DataFacts(**facts)


@dataclass(frozen=True)
class ModelFacts:
    """How a model is built and compiled, as far as a diagnosis cares.

    Attributes:
        loss: the loss's name (``"sparse_categorical_crossentropy"``, a function's name, …), or ``None``.
        from_logits: the loss's ``from_logits`` setting when it has one.
        output_activation: the last layer's activation name (``"softmax"``, ``"linear"``), or its
            class name when it is not a Dense layer (``"Lambda"``).
        output_units: the number of classes the model outputs.
        dropout_rates: the rate of each Dropout layer.
        learning_rate: the optimizer's learning rate.

    Examples:
        >>> import explain
        >>> f = model_facts(explain.seed_model())
        >>> f.loss, f.output_activation, f.output_units, f.dropout_rates, f.learning_rate
        ('sparse_categorical_crossentropy', 'softmax', 10, (0.2,), 0.001)
    """

    loss: str | None
    from_logits: bool | None
    output_activation: str | None
    output_units: int | None
    dropout_rates: tuple[float, ...]
    learning_rate: float | None

    @property
    def sparse(self) -> bool | None:
        """Whether the loss wants integer labels (``None`` when unknown)."""
        if not self.loss:
            return None
        if "sparse" in self.loss:
            return True
        if "categorical" in self.loss:
            return False
        return None


def _loss_facts(loss: Any) -> tuple[str | None, bool | None]:
    if loss is None:
        return None, None
    if isinstance(loss, str):
        return loss, False if "crossentropy" in loss else None
    config: dict[str, Any] = {}
    try:
        config = dict(loss.get_config())
    except Exception:  # a plain function, or a Loss without a config
        config = {}
    name = config.get("name") or getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__
    from_logits = config.get("from_logits")
    return str(name), (bool(from_logits) if from_logits is not None else None)


def model_facts(model: Any) -> ModelFacts:
    """Read the loss, output layer, Dropout rates and optimizer of a Keras model (nothing is computed).

    Examples:
        >>> import explain
        >>> model_facts(explain.seed_model(compile=False)).loss is None
        True
    """
    loss_name, from_logits = _loss_facts(getattr(model, "loss", None))
    layers = list(getattr(model, "layers", []))
    last = layers[-1] if layers else None
    activation = None
    units = None
    if last is not None:
        act = getattr(last, "activation", None)
        activation = getattr(act, "__name__", None) if act is not None else type(last).__name__
        if activation == "softmax_v2":
            activation = "softmax"
        units = getattr(last, "units", None)
        if units is None:
            try:
                units = int(model.outputs[0].shape[-1])
            except Exception:
                units = None
    rates = tuple(float(layer.rate) for layer in layers if type(layer).__name__ == "Dropout")
    optimizer = getattr(model, "optimizer", None)
    lr = None
    if optimizer is not None:
        try:
            lr = float(f"{float(np.asarray(optimizer.learning_rate)):.7g}")  # float32 0.001 -> 0.001
        except Exception:  # a schedule
            lr = None
    return ModelFacts(
        loss=loss_name,
        from_logits=from_logits,
        output_activation=activation,
        output_units=int(units) if units else None,
        dropout_rates=rates,
        learning_rate=lr,
    )


@dataclass(frozen=True)
class ProbeFacts:
    """The model measured on a probe batch of the training inputs.

    Attributes:
        n: images in the probe.
        untrained_loss: the loss of a freshly initialised copy of the model (same
            architecture, same loss), ``None`` when it could not be computed.
        untrained_saturated: share of that copy's outputs at exactly 0 or 1 (float32).
        dead_units: share of the hidden ReLU units that output 0 for every probe image (the model as given).
        saturated_share: share of the model's softmax outputs at exactly 0 or 1.
        notes: what could not be measured and why.
    """

    n: int
    untrained_loss: float | None
    untrained_saturated: float | None
    dead_units: float | None
    saturated_share: float | None
    notes: tuple[str, ...] = ()


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"[:200]


def probe_facts(model: Any, x: Any, y: Any = None, *, size: int = PROBE_SIZE) -> ProbeFacts:
    """Measure ``model`` on the first ``size`` inputs: its untrained loss, dead units and saturation.

    The untrained loss comes from ``keras.models.clone_model(model)``: the same
    layers, freshly initialised (with seeded initializers, as ``seed_model``
    uses, exactly the initial weights), compiled with the same loss.

    Examples:
        >>> import explain
        >>> data = explain.load_mnist("sample")
        >>> p = probe_facts(explain.seed_model(), explain.normalize(data.x_train), data.y_train)
        >>> round(p.untrained_loss, 1), p.dead_units
        (2.3, 0.0)
    """
    k = keras()
    xb = np.asarray(x)[:size]
    yb = None if y is None else np.asarray(y)[:size]
    notes: list[str] = []
    untrained = untrained_sat = None
    if yb is not None and getattr(model, "loss", None) is not None:
        try:
            loss = model.loss
            custom = {loss.__name__: loss} if callable(loss) and hasattr(loss, "__name__") else {}
            for layer in getattr(model, "layers", []):  # functions inside Lambda layers, by name
                fn = getattr(layer, "function", None)
                if callable(fn) and getattr(fn, "__name__", "<lambda>") != "<lambda>":
                    custom[fn.__name__] = fn
            with k.saving.custom_object_scope(custom):  # a loss function compiled by object, e.g. a custom one
                fresh = k.models.clone_model(model)
            fresh.compile(loss=model.loss)
            with warnings.catch_warnings():  # Keras repeats its warnings about the loss: the log has them already
                warnings.simplefilter("ignore", UserWarning)
                scores = fresh.evaluate(xb, yb, verbose=0, return_dict=True, batch_size=len(xb))
            untrained = float(scores["loss"])
            out = np.asarray(fresh.predict(xb, verbose=0, batch_size=len(xb)))
            untrained_sat = float(((out == 0) | (out == 1)).mean())
        except Exception as e:  # the loss does not fit the labels, a subclassed model, …
            notes.append(f"untrained loss not measured ({_first_line(e)})")
    dead = sat = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PixelScaleWarning)  # raw pixels are what we are measuring
            snap = take_snapshot(model, xb, epoch=0)
        dead, sat = snap.dead_units, snap.saturated_share
    except Exception as e:
        notes.append(f"dead units not measured ({_first_line(e)})")
    return ProbeFacts(len(xb), untrained, untrained_sat, dead, sat, tuple(notes))
