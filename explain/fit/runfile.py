"""A `explain.TrainingRun` as plain JSON data and back, exactly: for caching runs on disk without pickle.

Every float survives the round trip bit for bit: float32 arrays are written as
Python floats (which hold any float32 exactly) with their dtype, and read back
as arrays of that dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from explain.fit.run import TrainingRun
from explain.fit.snapshot import Snapshot


def _array(a: np.ndarray) -> dict[str, Any]:
    return {"dtype": str(a.dtype), "shape": list(a.shape), "values": a.ravel().tolist()}


def _from_array(d: dict[str, Any]) -> np.ndarray:
    return np.asarray(d["values"], dtype=d["dtype"]).reshape(d["shape"])


def _snapshot(s: Snapshot) -> dict[str, Any]:
    return {
        "epoch": s.epoch,
        "hidden_layer": s.hidden_layer,
        "activation_sample": _array(s.activation_sample),
        "activation_mean": s.activation_mean,
        "active_share": s.active_share,
        "dead_units": s.dead_units,
        "saturated_share": s.saturated_share,
        "weight_stats": s.weight_stats,
        "weight_sample": {name: _array(a) for name, a in s.weight_sample.items()},
    }


def _from_snapshot(d: dict[str, Any]) -> Snapshot:
    return Snapshot(
        epoch=int(d["epoch"]),
        hidden_layer=str(d["hidden_layer"]),
        activation_sample=_from_array(d["activation_sample"]),
        activation_mean=float(d["activation_mean"]),
        active_share=float(d["active_share"]),
        dead_units=float(d["dead_units"]),
        saturated_share=float(d["saturated_share"]),
        weight_stats={k: {s: float(v) for s, v in stats.items()} for k, stats in d["weight_stats"].items()},
        weight_sample={name: _from_array(a) for name, a in d["weight_sample"].items()},
    )


def run_to_dict(run: TrainingRun) -> dict[str, Any]:
    """The run as JSON-ready data (dicts, lists, strings and numbers only).

    Examples:
        >>> import json, explain
        >>> run = explain.train(explain.seed_model(), explain.load_mnist("sample"), epochs=1)
        >>> again = run_from_dict(json.loads(json.dumps(run_to_dict(run))))
        >>> again.history == run.history, bool((again.snapshots[1].activation_sample
        ...                                      == run.snapshots[1].activation_sample).all())
        (True, True)
    """
    return {
        "history": run.history,
        "steps": [dict(s) for s in run.steps],
        "epoch_seconds": list(run.epoch_seconds),
        "snapshots": [_snapshot(s) for s in run.snapshots],
        "epochs": run.epochs,
        "batch_size": run.batch_size,
        "n_train": run.n_train,
        "seed": run.seed,
        "validation_split": run.validation_split,
        "data": run.data,
    }


def run_from_dict(d: dict[str, Any]) -> TrainingRun:
    """The `explain.TrainingRun` that `run_to_dict` described.

    Raises:
        KeyError: a field is missing (the data is not from `run_to_dict`).

    Examples:
        >>> run_from_dict({"history": {"loss": [0.3]}, "steps": [], "epoch_seconds": [1.0], "snapshots": [],
        ...                "epochs": 1, "batch_size": 32, "n_train": 64, "seed": 0}).steps_per_epoch
        2
    """
    return TrainingRun(
        history={k: [float(v) for v in values] for k, values in d["history"].items()},
        steps=tuple(dict(s) for s in d["steps"]),
        epoch_seconds=tuple(float(s) for s in d["epoch_seconds"]),
        snapshots=tuple(_from_snapshot(s) for s in d["snapshots"]),
        epochs=int(d["epochs"]),
        batch_size=int(d["batch_size"]),
        n_train=int(d["n_train"]),
        seed=int(d["seed"]),
        validation_split=float(d.get("validation_split", 0.0)),
        data=str(d.get("data", "")),
    )
