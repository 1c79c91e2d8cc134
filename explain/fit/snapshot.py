"""A `Snapshot`: the network measured on a fixed probe batch at one moment of training.

Snapshots keep statistics and small fixed-size samples, never every
activation, so memory stays flat however many epochs run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explain.forward.trace import trace

SAMPLE_VALUES = 2048  # values kept per snapshot for histograms: 4 probe images × 512 units


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
        >>> probe = explain.normalize(explain.load_mnist("sample").x_test[:64])
        >>> s = take_snapshot(explain.seed_model(), probe, epoch=0)
        >>> s.epoch, s.activation_sample.shape
        (0, (2048,))
    """
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
