"""The Hello World model: the tutorial's layers, shapes, parameters, compile settings, determinism."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import explain
from explain._core.tf import keras


def test_layers_shapes_and_parameters_match_the_tutorial(model) -> None:
    assert [layer.name for layer in model.layers] == ["flatten", "dense", "dropout", "dense_1"]
    assert [type(layer).__name__ for layer in model.layers] == ["Flatten", "Dense", "Dropout", "Dense"]
    assert tuple(model.inputs[0].shape) == (None, 28, 28)
    assert [tuple(layer.output.shape[1:]) for layer in model.layers] == [(784,), (512,), (512,), (10,)]
    assert [layer.count_params() for layer in model.layers] == [0, 784 * 512 + 512, 0, 512 * 10 + 10]
    assert model.count_params() == 407_050
    assert model.layers[1].activation.__name__ == "relu"
    assert model.layers[3].activation.__name__ == "softmax"
    assert model.layers[2].rate == pytest.approx(0.2)


def test_compiled_like_the_tutorial(model) -> None:
    opt = model.optimizer.get_config()
    # Keras numbers its optimizers per process ("adam", "adam_1", …): which one this is depends on what ran first
    assert isinstance(model.optimizer, keras().optimizers.Adam) and re.fullmatch(r"adam(_\d+)?", opt["name"])
    assert opt["learning_rate"] == pytest.approx(0.001)
    assert (opt["beta_1"], opt["beta_2"], opt["epsilon"]) == (0.9, 0.999, 1e-7)
    assert model.loss == "sparse_categorical_crossentropy"


def test_untrained_loss_is_near_ln_10(model, sample) -> None:
    x = explain.normalize(sample.x_test[:500])
    result = model.evaluate(x, sample.y_test[:500], verbose=0, return_dict=True)
    assert abs(result["loss"] - math.log(10)) < 0.15


def test_same_seed_same_weights_other_seed_other_weights() -> None:
    a, b, c = explain.seed_model(7), explain.seed_model(7), explain.seed_model(8)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


def test_keyword_arguments_change_width_rate_and_activation() -> None:
    m = explain.seed_model(hidden_units=64, dropout_rate=0.5, activation="tanh", compile=False)
    assert m.layers[1].units == 64
    assert m.layers[1].activation.__name__ == "tanh"
    assert m.layers[2].rate == 0.5
    assert m.count_params() == 784 * 64 + 64 + 64 * 10 + 10
    assert getattr(m, "optimizer", None) is None  # not compiled


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"hidden_units": 0}, "hidden_units"),
        ({"dropout_rate": 1.0}, "dropout_rate"),
        ({"activation": "no-such-activation"}, "activation"),
    ],
)
def test_bad_arguments_are_named(kwargs, words) -> None:
    with pytest.raises(ValueError, match=words) as info:
        explain.seed_model(**kwargs)
    assert "Received" in str(info.value)


def test_todays_quickstart_ends_in_logits_and_computes_the_loss_from_them(sample) -> None:
    """output="logits": Dense(10) without softmax, compiled with SparseCategoricalCrossentropy(from_logits=True)."""
    today = explain.seed_model(hidden_units=128, output="logits")
    assert [tuple(layer.output.shape[1:]) for layer in today.layers] == [(784,), (128,), (128,), (10,)]
    assert today.count_params() == 784 * 128 + 128 + 128 * 10 + 10
    assert today.layers[3].activation.__name__ == "linear"
    assert today.loss.get_config()["from_logits"] is True
    x, y = explain.normalize(sample.x_test[:200]), sample.y_test[:200]
    logits = today.predict(x, verbose=0).astype(np.float64)  # (200, 10): any real numbers
    assert (logits < 0).any()  # scores, not probabilities
    cost = np.log(np.exp(logits).sum(axis=1)) - logits[np.arange(200), y]  # logsumexp(z) - z[label]
    loss = today.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    assert loss == pytest.approx(cost.mean(), rel=1e-5)
    # the same seed gives the classic model's first-layer start for the units both have
    classic = explain.seed_model(hidden_units=128)
    np.testing.assert_array_equal(classic.get_weights()[0], today.get_weights()[0])


def test_an_unknown_output_is_refused_with_both_choices() -> None:
    with pytest.raises(ValueError, match="'softmax'.*'logits'.*Received: output='probabilities'"):
        explain.seed_model(output="probabilities")
