"""The Hello World model: ``seed_model()`` builds and compiles it like the tutorial.

The classic tutorial's code (TensorFlow 2.0's beginner quickstart), in Keras 3's form::

    model = keras.Sequential([
        keras.Input((28, 28)),                       # was Flatten(input_shape=(28, 28))
        keras.layers.Flatten(),                      # (28, 28) -> (784,)
        keras.layers.Dense(512, activation="relu"),  # (784,) -> (512,), 401,920 parameters
        keras.layers.Dropout(0.2),                   # (512,) -> (512,), training only
        keras.layers.Dense(10, activation="softmax"),  # (512,) -> (10,), 5,130 parameters
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

Keras 3 warns about ``input_shape=`` on a layer: a model now starts with
``keras.Input``, which makes the input a visible step instead of a hidden
argument of the first layer. The layers and their numbers are the same.

Today's quickstart (tensorflow.org/tutorials/quickstart/beginner) differs in two
places: ``Dense(128, activation="relu")`` and a last ``Dense(10)`` without
softmax, whose outputs are logits, compiled with
``SparseCategoricalCrossentropy(from_logits=True)``:
``seed_model(hidden_units=128, output="logits")`` builds it.
"""

from __future__ import annotations

from typing import Any

from explain._core import checks
from explain._core.tf import keras


def seed_model(
    seed: int = 0,
    *,
    hidden_units: int = 512,
    dropout_rate: float = 0.2,
    activation: str = "relu",
    output: str = "softmax",
    compile: bool = True,
) -> Any:
    """Build the tutorial's model, compiled with Adam, sparse categorical cross-entropy and accuracy.

    Same seed, same initial weights: the Glorot-uniform kernels and the Dropout
    layer get their own seeds derived from ``seed``, so building the model does
    not touch (or depend on) Keras's global random state.

    Args:
        seed: the random seed for the initial weights and the Dropout masks.
        hidden_units: width of the hidden Dense layer (the tutorial's 512).
        dropout_rate: share of the hidden outputs Dropout zeroes in training (0.2).
        activation: the hidden layer's activation (``"relu"``).
        output: ``"softmax"`` (the classic tutorial: ``Dense(10, activation="softmax")``, probabilities) or
            ``"logits"`` (today's quickstart: ``Dense(10)``, scores, compiled with
            ``SparseCategoricalCrossentropy(from_logits=True)``).
        compile: compile the model like the tutorial (``True``) or leave it uncompiled.

    Returns:
        A built ``keras.Sequential`` named ``"hello_world"`` with layers
        ``flatten``, ``dense``, ``dropout``, ``dense_1``.

    Raises:
        ValueError: a seed outside 0 … 2**32 - 1, a non-positive width, a rate outside [0, 1),
            an activation Keras does not know, or an output other than "softmax" and "logits".

    Examples:
        >>> import explain
        >>> model = explain.seed_model()
        >>> [layer.name for layer in model.layers]
        ['flatten', 'dense', 'dropout', 'dense_1']
        >>> model.count_params()
        407050
        >>> today = explain.seed_model(hidden_units=128, output="logits")  # today's quickstart
        >>> today.count_params(), today.layers[-1].get_config()["activation"], today.loss.get_config()["from_logits"]
        (101770, 'linear', True)
    """
    seed = checks.seed(seed)
    hidden_units = checks.positive_int("hidden_units", hidden_units)
    dropout_rate = checks.unit_interval("dropout_rate", dropout_rate)
    output = checks.model_output(output)
    k = keras()
    try:
        k.activations.get(activation)
    except ValueError as e:
        raise ValueError(
            f"Expected a Keras activation name such as 'relu', 'tanh' or 'sigmoid'. Received: activation={activation!r}"
        ) from e

    def glorot(offset: int) -> Any:
        return k.initializers.GlorotUniform(seed=seed * 1000 + offset)

    model = k.Sequential(
        [
            k.Input((28, 28), name="input"),
            k.layers.Flatten(name="flatten"),  # (batch, 28, 28) -> (batch, 784)
            k.layers.Dense(hidden_units, activation=activation, kernel_initializer=glorot(1), name="dense"),
            k.layers.Dropout(dropout_rate, seed=seed * 1000 + 2, name="dropout"),
            # (batch, 512) -> (batch, 10): probabilities (softmax), or logits (no activation)
            k.layers.Dense(10, activation="softmax" if output == "softmax" else None, kernel_initializer=glorot(3),
                           name="dense_1"),
        ],
        name="hello_world",
    )  # fmt: skip
    if compile:
        loss = (
            "sparse_categorical_crossentropy"
            if output == "softmax"
            else k.losses.SparseCategoricalCrossentropy(from_logits=True)  # the softmax happens inside the loss
        )
        model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model
