"""trace(): every layer's output in one pass, checked against Keras calling the layers itself."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import explain
from explain._core.tf import keras
from explain.errors import InputError, LayerNotFoundError, ModelError


def test_steps_shapes_and_names(model, image) -> None:
    t = explain.trace(model, image)
    assert t.names == ("input", "flatten", "dense", "dropout", "dense_1")
    assert [s.output.shape for s in t] == [(28, 28), (784,), (512,), (512,), (10,)]
    assert [s.input_shape for s in t] == [None, (28, 28), (784,), (512,), (512,)]
    assert [s.params for s in t] == [0, 0, 401_920, 0, 5_130]
    assert [s.source for s in t] == [None, "input", "flatten", "dense", "dropout"]
    assert t["dense"].activation == "relu" and t["dense_1"].activation == "softmax"
    assert t[2] is t["dense"] and len(t) == 5 and "dropout" in t


def test_each_output_equals_keras_calling_the_layers_one_by_one(model, image) -> None:
    t = explain.trace(model, image)
    x = image[None]
    for layer in model.layers:
        x = np.asarray(layer(x, training=False))
        np.testing.assert_allclose(t[layer.name].output, x[0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(t.output, np.asarray(model(image[None]))[0], atol=1e-6)


def test_batch_trace_equals_predict(model, sample) -> None:
    x = explain.normalize(sample.x_test[:64])
    t = explain.trace(model, x)
    assert not t.single and t.batch_size == 64
    assert t["dense"].output.shape == (64, 512)
    np.testing.assert_allclose(t.output, model.predict(x, verbose=0), atol=1e-6)
    np.testing.assert_array_equal(t.predicted, np.argmax(model.predict(x, verbose=0), axis=1))


def test_inference_dropout_is_the_identity(model, image) -> None:
    t = explain.trace(model, image)
    np.testing.assert_array_equal(t["dropout"].output, t["dense"].output)


def test_training_mode_is_reproducible_for_a_seed_and_leaves_no_trace(model, image) -> None:
    before = [np.array(v.numpy()) for v in model.variables]
    a = explain.trace(model, image, training=True, seed=3)
    b = explain.trace(model, image, training=True, seed=3)
    c = explain.trace(model, image, training=True, seed=4)
    np.testing.assert_array_equal(a["dropout"].output, b["dropout"].output)
    assert not np.array_equal(a["dropout"].output, c["dropout"].output)
    dense, drop = a["dense"].output, a["dropout"].output
    kept = drop != 0
    np.testing.assert_allclose(drop[kept], dense[kept] * 1.25, rtol=1e-6)
    for v, old in zip(model.variables, before):
        np.testing.assert_array_equal(v.numpy(), old)


def test_training_mode_mask_equals_keras_with_the_same_seed_state(model, image) -> None:
    # Keras's own Dropout built with seed=5 draws the same mask as the trace's seed=5.
    t = explain.trace(model, image, training=True, seed=5)
    fresh = keras().layers.Dropout(0.2, seed=5)
    expected = np.asarray(fresh(t["dense"].output[None], training=True))[0]
    np.testing.assert_array_equal(t["dropout"].output, expected)


def test_training_without_seed_draws_new_masks(model, sample) -> None:
    x = explain.normalize(sample.x_test[:8])
    a = explain.trace(model, x, training=True)
    b = explain.trace(model, x, training=True)
    assert not np.array_equal(a["dropout"].output, b["dropout"].output)


def test_batchnorm_moving_statistics_are_restored_after_training_trace() -> None:
    k = keras()
    m = k.Sequential([k.Input((4,)), k.layers.Dense(3), k.layers.BatchNormalization(), k.layers.Dense(2)])
    before = [np.array(v.numpy()) for v in m.non_trainable_variables]
    explain.trace(m, np.random.default_rng(0).random((16, 4)).astype("float32"), training=True, seed=0)
    for v, old in zip(m.non_trainable_variables, before):
        np.testing.assert_array_equal(v.numpy(), old)


def test_repr_str_html_markdown(model, image) -> None:
    t = explain.trace(model, image)
    r = repr(t)
    assert r.startswith("Trace(4 layers, input (28, 28), predicted ") and "\n" not in r
    assert f"predicted {t.predicted} p={t.probability:.3f}" in r
    text = str(t)
    for name in t.names:
        assert name in text
    assert "401,920" in text and "5,130" in text and "407,050" in text
    assert "<table>" in t._repr_html_() and "dense_1" in t._repr_html_()
    md = t.to_markdown()
    assert "| 2 | dense | Dense (relu) | (512,) | 401,920 |" in md


@pytest.mark.slow
def test_functional_and_cnn_models_are_traced() -> None:
    k = keras()
    inp = k.Input((28, 28, 1))
    h = k.layers.Conv2D(4, 3, activation="relu")(inp)
    h = k.layers.MaxPooling2D()(h)
    h = k.layers.Flatten()(h)
    out = k.layers.Dense(10, activation="softmax")(h)
    m = k.Model(inp, out)
    x = np.random.default_rng(1).random((2, 28, 28, 1)).astype("float32")
    t = explain.trace(m, x)
    assert [s.kind for s in t] == ["Input", "Conv2D", "MaxPooling2D", "Flatten", "Dense"]
    assert t["conv2d" if "conv2d" in t else t.names[1]].output.shape == (2, 26, 26, 4)
    np.testing.assert_allclose(t.output, np.asarray(m(x)), atol=1e-6)
    assert t.is_distribution


def test_subclassed_model_gets_a_clear_message(subclassed_model) -> None:
    m = subclassed_model
    with pytest.raises(ModelError, match="subclassed") as info:
        explain.trace(m, np.zeros(3, "float32"))
    assert "keras.Sequential" in str(info.value)


def test_unbuilt_model_and_non_models() -> None:
    k = keras()
    with pytest.raises(ModelError, match="keras.Input"):
        explain.trace(k.Sequential([k.layers.Dense(2)]), np.zeros(3))
    with pytest.raises(ModelError, match="Received: str"):
        explain.trace("model", np.zeros(3))


def test_multi_input_model_is_refused_clearly() -> None:
    k = keras()
    a, b = k.Input((2,)), k.Input((3,))
    m = k.Model([a, b], k.layers.Dense(1)(k.layers.Concatenate()([a, b])))
    with pytest.raises(ModelError, match="one input"):
        explain.trace(m, np.zeros(2))


@pytest.mark.parametrize(
    ("shape", "hint"),
    [
        ((32, 32), "28×28"),
        ((28, 28, 3), "colour"),
        ((784,), "flattened"),
        ((5, 784), "flattened"),
        ((28, 28, 1), "channel"),
    ],
)
def test_wrong_shapes_name_the_problem_and_the_fix(model, shape, hint) -> None:
    with pytest.raises(InputError) as info:
        explain.trace(model, np.zeros(shape, "float32"))
    message = str(info.value)
    assert (
        "Expected one input of shape (28, 28)" in message and f"Received: shape {shape}".replace(",)", ",)") in message
    )
    assert hint in message


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_are_refused(model, image, bad) -> None:
    x = image.copy()
    x[3, 4] = bad
    with pytest.raises(InputError, match="finite") as info:
        explain.trace(model, x)
    assert "(3, 4)" in str(info.value)


def test_empty_batch_and_non_numeric_inputs(model) -> None:
    with pytest.raises(InputError, match="empty batch"):
        explain.trace(model, np.zeros((0, 28, 28)))
    with pytest.raises(InputError, match="dtype bool"):
        explain.trace(model, np.zeros((28, 28), bool))
    with pytest.raises(InputError, match="dtype <U"):
        explain.trace(model, np.full((28, 28), "a"))


def test_raw_pixels_warn_and_name_the_cause(model, sample) -> None:
    with pytest.warns(explain.PixelScaleWarning, match=r"x / 255\.0") as record:
        explain.trace(model, sample.x_test[0])
    assert "normalize" in str(record[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explain.trace(model, explain.normalize(sample.x_test[0]))  # scaled input: no warning


def test_unknown_layer_lists_the_real_ones(model, image) -> None:
    t = explain.trace(model, image)
    with pytest.raises(LayerNotFoundError) as info:
        t["dropot"]
    assert isinstance(info.value, KeyError)
    assert "'dropot'" in str(info.value) and "'dropout'" in str(info.value)


def test_bad_seed_is_refused(model, image) -> None:
    with pytest.raises(ValueError, match="seed"):
        explain.trace(model, image, training=True, seed=-1)


def test_models_loaded_from_disk_and_tf_nn_activations(tmp_path, image, tutorial_model) -> None:
    # The tutorial wrote activation=tf.nn.relu / tf.nn.softmax; Keras names the latter softmax_v2.
    k = keras()
    tutorial = tutorial_model
    t = explain.trace(tutorial, image)
    assert [s.activation for s in t][2::2] == ["relu", "softmax"]
    assert explain.softmax(tutorial, image).max_abs_diff < 1e-6
    # A model saved and loaded again (as the cache does) keeps every step's source.
    path = tmp_path / "m.keras"
    explain.seed_model().save(path)
    with warnings.catch_warnings():
        # Compiled but never trained, its Adam saved 2 variables and the loaded one builds 10: Keras warns that
        # it skips them, rightly (there is no optimizer state to restore) and beside the point here.
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer", category=UserWarning)
        loaded = k.models.load_model(path)
    t = explain.trace(loaded, image)
    assert [s.source for s in t] == [None, t.names[0], "flatten", "dense", "dropout"]
    assert explain.dense(loaded, image, layer="dense_1").max_abs_diff < 1e-6
    assert explain.softmax(loaded, image).max_abs_diff < 1e-6


# -- big batches in chunks ------------------------------------------------------------------


def test_chunked_trace_equals_one_call(model, sample) -> None:
    x = explain.normalize(sample.x_test)  # 2,000 images
    whole = explain.trace(model, x, batch_size=len(x))
    for batch_size in (300, 1024, 1999):
        chunked = explain.trace(model, x, batch_size=batch_size)
        assert chunked.names == whole.names
        for a, b in zip(chunked, whole):
            assert a.output.shape == b.output.shape and a.output.dtype == b.output.dtype
            # Float tolerance, not equality: another batch shape may take another matrix-product kernel that
            # sums in another order (measured here: equal for chunks of 7 or more, 1.2e-6 apart for chunks of 1).
            np.testing.assert_allclose(a.output, b.output, rtol=0, atol=1e-5, err_msg=a.name)
        np.testing.assert_array_equal(chunked.predicted, whole.predicted)
    assert explain.trace(model, x[:5], batch_size=1).output.shape == (5, 10)


def test_default_batch_size_is_documented() -> None:
    from explain.forward.capture import DEFAULT_BATCH_SIZE

    assert DEFAULT_BATCH_SIZE == 1024 and "batch_size" in explain.trace.__doc__


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "64", None])
def test_bad_batch_size_is_refused(model, image, bad) -> None:
    with pytest.raises(ValueError, match=r"Expected batch_size to be a positive integer. Received: batch_size="):
        explain.trace(model, image, batch_size=bad)


@pytest.mark.slow
def test_full_mnist_in_chunks_equals_predict(full_mnist_path) -> None:
    # In a fresh process: the trace keeps every layer's 60,000 outputs (about 0.6 GB), and predict keeps some of
    # its copy of x (about 0.3 GB): on top of a worker that had run a few hundred tests, this test made it the
    # largest process of the suite (2,391 MiB).
    import subprocess
    import sys

    code = (
        "import sys, numpy as np, explain\n"
        "x = explain.normalize(explain.load_mnist(sys.argv[1]).x_train)  # (60000, 28, 28)\n"
        "model = explain.seed_model(seed=0)\n"
        "expected = model.predict(x, verbose=0, batch_size=1024)\n"
        "t = explain.trace(model, x)\n"
        "print(t.batch_size, t['dense'].output.shape[1], float(np.abs(t.output - expected).max()))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(full_mnist_path)], capture_output=True, text=True, timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    batch, units, worst = proc.stdout.split()
    assert (int(batch), int(units)) == (60_000, 512)
    assert float(worst) <= 1e-5


def test_explaining_many_models_says_nothing_about_retracing(sample) -> None:
    # Each model gets its own capture function, traced once; TensorFlow counted them as one function retracing
    # and, from the fifth model on, logged advice about the learner's code. Other retracing warnings still pass.
    import logging

    import tensorflow as tf

    from explain.forward.capture import _FILTER

    heard: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: heard.append(record.getMessage())  # type: ignore[method-assign]
    tf.get_logger().addHandler(handler)
    try:
        x = explain.normalize(sample.x_test[0])
        for seed in range(7):
            explain.trace(explain.seed_model(seed), x)
    finally:
        tf.get_logger().removeHandler(handler)
    assert not [m for m in heard if "retracing" in m], heard
    other = logging.LogRecord("tensorflow", logging.WARNING, "", 0, "5 out of the last 5 calls to <function "
                              "my_step at 0x1> triggered tf.function retracing.", None, None)  # fmt: skip
    assert _FILTER.filter(other)
