"""Shared fixtures: the shipped sample, a seeded model, one normalized digit, the full MNIST path."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import explain


@pytest.fixture(scope="session")
def sample() -> explain.Dataset:
    """The MNIST sample shipped inside the package."""
    return explain.load_mnist("sample")


@pytest.fixture(scope="session")
def model():
    """The untrained Hello World model, seed 0 (shared: tests must not change its weights)."""
    return explain.seed_model(seed=0)


@pytest.fixture(scope="session")
def image(sample: explain.Dataset) -> np.ndarray:
    """The first test digit of the sample, scaled to [0, 1]."""
    return explain.normalize(sample.x_test[0])


@pytest.fixture(scope="session")
def full_mnist_path() -> Path:
    """The full MNIST file named by EXPLAIN_MNIST (set by .ci/run); skips the test without it."""
    value = os.environ.get("EXPLAIN_MNIST")
    if not value:
        pytest.skip("EXPLAIN_MNIST is not set: full-MNIST tests run in CI (.ci/run sets it)")
    path = Path(value)
    assert path.exists(), f"EXPLAIN_MNIST={value} does not exist"
    return path


@pytest.fixture(scope="session")
def trained_sample(sample: explain.Dataset):
    """The Hello World trained one epoch on the sample (cached for the session)."""
    return explain.trained(sample, epochs=1, seed=0)


@pytest.fixture()
def tutorial_model(model):
    """The model exactly as the TF 2.0 quickstart wrote it (activation=tf.nn.relu / tf.nn.softmax),
    with the seeded model's weights. A fresh one per test: tests may change it."""
    import tensorflow as tf

    from explain._core.tf import keras

    k = keras()
    tutorial = k.Sequential(
        [
            k.Input((28, 28)),
            k.layers.Flatten(),
            k.layers.Dense(512, activation=tf.nn.relu),
            k.layers.Dropout(0.2),
            k.layers.Dense(10, activation=tf.nn.softmax),
        ]
    )
    tutorial.set_weights(model.get_weights())
    return tutorial


@pytest.fixture()
def subclassed_model():
    """A built subclassed model (its layers are wired in Python code, so explain cannot trace it): 3 → Dense(2)."""
    from explain._core.tf import keras

    k = keras()

    class Custom(k.Model):
        def __init__(self) -> None:
            super().__init__()
            self.d = k.layers.Dense(2)

        def call(self, x):
            return self.d(x)

    m = Custom()
    m(np.zeros((1, 3), "float32"))
    return m
