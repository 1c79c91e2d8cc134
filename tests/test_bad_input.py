"""A learner's honest mistakes with labels, images, Datasets and settings: each one gets a clear message.

Every test triggers the mistake for real and checks what the user sees: the
exception type, and a message in Keras's pattern ("Expected …. Received: …")
that names the problem and the fix; or, where explain converts, that the
converted result equals the one from correct input. Never a TensorFlow
traceback. The docs page docs/bad-input.md triggers the same mistakes at build time.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import explain
from explain._core.tf import keras
from explain.compile.adam_steps import adam_steps
from explain.compile.loss import loss_by_hand
from explain.compile.shortcut import logits_shortcut
from explain.compile.sparse import sparse_vs_categorical
from explain.errors import DataError, ExplanationWarning, InputError, ModelError, OutputError

N = 8


@pytest.fixture(scope="module")
def batch(sample: explain.Dataset) -> tuple[np.ndarray, np.ndarray]:
    return explain.normalize(sample.x_test[:N]), np.array(sample.y_test[:N])


@pytest.fixture(scope="module")
def tiny(sample: explain.Dataset) -> explain.Dataset:
    return explain.Dataset(
        "mnist", sample.x_train[:320], sample.y_train[:320], sample.x_test[:64], sample.y_test[:64],
        source="320 digits", origin="path",
    )  # fmt: skip


def _arrays(sample: explain.Dataset) -> dict[str, np.ndarray]:
    return {
        "x_train": np.array(sample.x_train[:50]), "y_train": np.array(sample.y_train[:50]),
        "x_test": np.array(sample.x_test[:20]), "y_test": np.array(sample.y_test[:20]),
    }  # fmt: skip


def _dataset(**arrays: object) -> explain.Dataset:
    return explain.Dataset("mnist", **arrays, source="mine", origin="path")  # type: ignore[arg-type]


# -- labels given to the functions that compute a loss or a step --------------------------------------------


def _call(fn: str, model, x, y):
    if fn == "loss_by_hand":
        return loss_by_hand(model, x, y, evaluate=False)
    if fn == "sparse_vs_categorical":
        return sparse_vs_categorical(model, x, y)
    if fn == "logits_shortcut":
        return logits_shortcut(model, x, y, evaluate=False)
    return adam_steps(model, x, y)


FUNCTIONS = ("loss_by_hand", "sparse_vs_categorical", "logits_shortcut", "adam_steps")

# (how to spoil the labels, what every function says: one label rule for the loss functions and adam_steps)
LABEL_MISTAKES = {
    "label 10 for 10 classes": (lambda y: np.where(np.arange(N) == 2, 10, y),
                                r"Expected labels 0–9.*Received: 10 at index 2"),
    "negative label": (lambda y: np.where(np.arange(N) == 1, -1, y.astype(int)),
                       r"Expected labels 0–9.*Received: -1 at index 1"),
    "float labels 2.5": (lambda y: y + 0.5, r"Expected whole-number labels.*Received: .*\.5 at index 0"),
    "one-hot labels": (lambda y: np.eye(10)[y], r"one-hot labels of shape \(8, 10\).*y\.argmax\(axis=1\)"),
    "fewer labels than images": (lambda y: y[:5], r"Expected one label per input: 8 labels\. Received: 5"),
    "labels as text": (lambda y: y.astype(str), r"Expected integer labels 0–9\. Received: dtype <U"),
}  # fmt: skip


@pytest.mark.parametrize("fn", FUNCTIONS)
@pytest.mark.parametrize("mistake", list(LABEL_MISTAKES))
def test_label_mistakes_are_refused_by_every_function(model, batch, fn, mistake) -> None:
    spoil, match = LABEL_MISTAKES[mistake]
    x, y = batch
    with pytest.raises(InputError, match=match) as info:
        _call(fn, model, x, spoil(y))
    assert "Expected" in str(info.value) and "Received:" in str(info.value)


def _numbers(result) -> np.ndarray:
    """What a result computed: the losses of adam_steps, each sample's p[label] for the loss functions."""
    return result.losses if hasattr(result, "losses") else result.p_label


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_labels_of_other_integer_dtypes_and_whole_floats_are_converted(model, batch, fn) -> None:
    # int64 and int8 labels, and floats that are whole numbers, mean the same classes: the same result.
    # Labels of shape (n, 1) too, as Keras's loss squeezes them.
    x, y = batch
    reference = _numbers(_call(fn, model, x, y))
    for other in (y.astype(np.int64), y.astype(np.int8), y.astype(np.float32), y[:, None]):
        np.testing.assert_array_equal(_numbers(_call(fn, model, x, other)), reference)


# -- images of the wrong dtype given to the same functions --------------------------------------------------


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_float64_images_are_converted_to_float32(model, batch, fn) -> None:
    x, y = batch
    np.testing.assert_array_equal(_numbers(_call(fn, model, x.astype(np.float64), y)), _numbers(_call(fn, model, x, y)))


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_raw_uint8_pixels_are_converted_with_a_warning(model, sample, fn) -> None:
    # 0–255 integers reach the model as float32 0–255: explain computes, but warns that it is meaningless.
    with pytest.warns(explain.PixelScaleWarning, match=r"expects pixels scaled to \[0, 1\].*explain\.normalize"):
        _call(fn, model, sample.x_test[:N], sample.y_test[:N])


@pytest.mark.parametrize("fn", FUNCTIONS)
@pytest.mark.parametrize(
    "spoil",
    [lambda raw: raw.astype(np.int8), lambda raw: raw.astype(np.float32) - 128,
     lambda raw: (raw / 255.0 - 0.1307) / 0.3081],  # signed int8, shifted, standardized with MNIST's mean and std
    ids=["int8", "minus 128", "standardized"],
)  # fmt: skip
def test_negative_pixels_are_warned_about(model, sample, fn, spoil) -> None:
    # None of these is a pixel in [0, 1]: the model's output is meaningless, and a negative value must not hide it.
    x = spoil(sample.x_test[:N])
    assert x.min() < 0
    with pytest.warns(explain.PixelScaleWarning, match=r"pixels are never negative.*explain\.normalize"):
        _call(fn, model, x, sample.y_test[:N])


def test_a_trace_of_signed_pixels_is_warned_about(model, sample) -> None:
    with pytest.warns(explain.PixelScaleWarning, match=r"Received values from -128 to 1\d\d.*never negative"):
        explain.trace(model, sample.x_test[0].astype(np.int8))


def test_a_model_whose_input_is_no_picture_gets_no_pixel_warning() -> None:
    # Hidden features or a table of numbers (an input of 8 values: no square picture) may take any values.
    k = keras()
    m = k.Sequential([k.Input((8,)), k.layers.Dense(4, activation="relu"), k.layers.Dense(3, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.linspace(-300, 300, 8).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explain.trace(m, x)
        explain.dense(m, x)
        explain.gradients(m, x[None], np.array([1]))


def test_a_rounding_error_below_zero_is_no_warning(model, image) -> None:
    x = image.copy()
    x[0, 0] = -1e-4  # a resampled picture's rounding, well under half a grey level
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explain.trace(model, x)


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_boolean_images_are_refused(model, batch, fn) -> None:
    x, y = batch
    with pytest.raises(InputError, match=r"Expected numeric pixel values.*Received: dtype bool.*astype\('float32'\)"):
        _call(fn, model, x > 0.5, y)


def test_integer_images_of_zeros_and_ones_are_converted_without_a_warning(model, batch) -> None:
    x, y = batch
    binary = (x > 0.5).astype(np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = loss_by_hand(model, binary, y, evaluate=False)
    b = loss_by_hand(model, binary.astype(np.float32), y, evaluate=False)
    np.testing.assert_array_equal(a.p_label, b.p_label)


# -- Datasets made from one's own arrays --------------------------------------------------------------------


def test_a_dataset_converts_integer_arrays_that_fit(sample) -> None:
    arrays = _arrays(sample)
    reference = _dataset(**arrays)
    converted = _dataset(**{k: v.astype(np.int64) for k, v in arrays.items()})
    for key in ("x_train", "y_train", "x_test", "y_test"):
        assert getattr(converted, key).dtype == np.uint8
        np.testing.assert_array_equal(getattr(converted, key), arrays[key])
    assert converted.fingerprint == reference.fingerprint  # the same data, so the same cache entries
    lists = _dataset(**{k: v.tolist() for k, v in arrays.items()})
    assert lists.fingerprint == reference.fingerprint


@pytest.mark.parametrize(
    ("spoil", "match"),
    [
        (lambda a: {"x_train": a["x_train"] / 255}, r"Expected x_train of dtype uint8.*float64.*look normalized.*"
                                                    r"\(x \* 255\)\.round\(\)\.astype\('uint8'\)"),
        (lambda a: {"x_train": a["x_train"].astype(np.float64)}, r"dtype float64\. Convert whole numbers with "
                                                                r"x_train\.astype\('uint8'\)"),
        (lambda a: {"x_test": a["x_test"] > 0}, r"Expected x_test of dtype uint8.*Received: dtype bool"),
        (lambda a: {"x_train": a["x_train"].astype(np.int64) * 2},
         r"Expected pixel values 0–255 in x_train in the Dataset\. Received: a value \d+ at index \(\d+, \d+, \d+\)"),
        (lambda a: {"y_train": np.where(np.arange(50) == 7, 10, a["y_train"])},
         r"Expected labels 0–9 in y_train in the Dataset\. Received: a label 10 at index 7 \(labels count from 0\)"),
        (lambda a: {"y_train": np.where(np.arange(50) == 3, -1, a["y_train"].astype(int))},
         r"Expected labels 0–9 in y_train in the Dataset\. Received: a label -1 at index 3"),
        (lambda a: {"y_test": a["y_test"] + 0.5}, r"Expected y_test of dtype uint8.*float64"),
        (lambda a: {"y_train": np.eye(10)[a["y_train"]]}, r"Expected y_train of shape \(50,\), one label per image.*"
                                                          r"Received: shape \(50, 10\)\. They look one-hot.*argmax"),
        (lambda a: {"y_train": a["y_train"][:, None]}, r"Received: shape \(50, 1\)\. Drop the extra axis"),
        (lambda a: {"y_test": a["y_test"][:19]}, r"Expected y_test of shape \(20,\).*Received: shape \(19,\)\. "
                                                 r"Pass the labels of the same images: x_test has 20"),
        (lambda a: {"x_train": a["x_train"].reshape(50, 784)}, r"Expected x_train of shape \(n, 28, 28\).*"
                                                               r"\(50, 784\)\. They look flattened"),
        (lambda a: {"x_train": a["x_train"][..., None]}, r"\(50, 28, 28, 1\)\. Drop the channel axis"),
        (lambda a: {"x_test": None}, r"Expected x_test to be a NumPy array in the Dataset\. Received: None"),
        (lambda a: {"x_test": a["x_test"][:0], "y_test": a["y_test"][:0]}, r"at least one image in x_test"),
    ],
)  # fmt: skip
def test_a_dataset_refuses_what_it_cannot_convert(sample, spoil, match) -> None:
    arrays = _arrays(sample)
    arrays.update(spoil(arrays))
    with pytest.raises(DataError, match=match):
        _dataset(**arrays)


# -- train and evaluate: the wrong kind of data, the wrong model, bad settings ------------------------------


@pytest.mark.parametrize("fn", ["train", "evaluate", "accuracy_gap"])
def test_not_a_dataset_says_what_to_pass(model, sample, fn) -> None:
    call = {
        "train": lambda d: explain.train(explain.seed_model(), d, epochs=1),
        "evaluate": lambda d: explain.evaluate(model, d),
        "accuracy_gap": lambda d: explain.accuracy_gap(model, d, 0.9),
    }[fn]
    with pytest.raises(DataError, match=r"Expected data to be an explain\.Dataset\. Received: 'sample'\. "
                                        r"Load it first: explain\.load_mnist\('sample'\)"):  # fmt: skip
        call("sample")
    keras_tuple = ((np.array(sample.x_train), np.array(sample.y_train)), (np.array(sample.x_test), sample.y_test))
    with pytest.raises(DataError, match=r"Received: a tuple\. That looks like what keras\.datasets\.mnist\.load_data"):
        call(keras_tuple)


def test_a_tf_data_dataset_is_refused_with_the_alternative(model, sample) -> None:
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((sample.x_train[:10], sample.y_train[:10]))
    with pytest.raises(DataError, match=r"A tf\.data\.Dataset cannot be taken apart.*model\.fit on it directly"):
        explain.train(explain.seed_model(), ds)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"epochs": 2.5}, r"Expected epochs to be a positive integer\. Received: epochs=2\.5"),
        ({"epochs": True}, r"epochs=True"),
        ({"batch_size": -3}, r"Expected batch_size to be a positive integer\. Received: batch_size=-3"),
        ({"seed": -1}, r"Expected seed to be an integer from 0 to 2\*\*32 - 1\. Received: seed=-1"),
        ({"seed": 2**32}, r"seed=4294967296"),
        ({"validation_split": "0.2"}, r"Expected validation_split in \[0, 1\)\. Received: validation_split='0\.2'"),
        ({"validation_split": -0.1}, r"validation_split=-0\.1"),
        ({"probe_size": 0}, r"probe_size=0"),
    ],
)
def test_bad_training_settings(tiny, kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        explain.train(explain.seed_model(), tiny, **kwargs)


def test_a_split_that_leaves_no_training_image(sample) -> None:
    one = _dataset(x_train=sample.x_train[:1], y_train=sample.y_train[:1], x_test=sample.x_test[:1],
                   y_test=sample.y_test[:1])  # fmt: skip
    with pytest.raises(ValueError, match=r"Expected validation_split to leave images both to train on and to "
                       r"validate on\. Received: validation_split=0\.5 of 1 images"):  # fmt: skip
        explain.train(explain.seed_model(), one, validation_split=0.5)


def _compiled(*layers, loss: str = "sparse_categorical_crossentropy", shape=(28, 28)):
    k = keras()
    m = k.Sequential([k.Input(shape), *layers])
    m.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return m


@pytest.mark.parametrize("fn", ["train", "evaluate"])
def test_models_that_cannot_take_the_data(tiny, fn) -> None:
    k = keras()
    run = (lambda m: explain.train(m, tiny, epochs=1)) if fn == "train" else (lambda m: explain.evaluate(m, tiny))
    five = _compiled(k.layers.Flatten(), k.layers.Dense(5, activation="softmax"))
    with pytest.raises(ModelError, match=r"one output per class: 10 for labels 0–9\. Received: a model with 5 "
                       r"outputs, so label 9 has none.*Dense\(10, activation='softmax'\)"):  # fmt: skip
        run(five)
    flat = _compiled(k.layers.Dense(10, activation="softmax"), shape=(784,))
    with pytest.raises(ModelError, match=r"take images of shape \(28, 28\).*Received: a model whose input shape "
                       r"is \(784,\)\. Start it with keras\.Input\(\(28, 28\)\) and a Flatten"):  # fmt: skip
        run(flat)
    one_hot = _compiled(k.layers.Flatten(), k.layers.Dense(10, activation="softmax"), loss="categorical_crossentropy")
    with pytest.raises(ModelError, match=r"loss='sparse_categorical_crossentropy'.*Received: "
                                         r"loss='categorical_crossentropy', which wants one-hot rows"):  # fmt: skip
        run(one_hot)
    with pytest.raises(ValueError, match=r"Expected a compiled model.*model\.compile\(optimizer='adam'"):
        run(explain.seed_model(compile=False))
    with pytest.raises(ModelError, match=r"Expected a Keras model such as explain\.seed_model\(\)\. Received: str"):
        run("model")


def test_evaluate_batch_size_must_be_positive(model, tiny) -> None:
    with pytest.raises(ValueError, match=r"Expected batch_size to be a positive integer\. Received: batch_size=0"):
        explain.evaluate(model, tiny, batch_size=0)


def test_accuracy_gap_needs_no_compiled_model(tiny) -> None:
    gap = explain.accuracy_gap(explain.seed_model(compile=False), tiny, 0.1)
    assert 0 <= gap.test <= 1


# -- Ctrl-C during train() -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_ctrl_c_during_training_says_what_state_the_model_is_in(tiny, monkeypatch, capsys) -> None:
    recorder = explain.Recorder
    original = recorder.on_train_batch_end

    def interrupt(self, batch, logs=None):
        original(self, batch, logs)
        if batch == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(recorder, "on_train_batch_end", interrupt)
    model = explain.seed_model()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(KeyboardInterrupt):
        explain.train(model, tiny, epochs=2, steps_per_execution=1)  # one step per call: the hook sees step 3
    err = capsys.readouterr().err
    assert "explain: training interrupted after 4 of 20 steps" in err and "partly trained" in err
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))  # fit changed it in place
    monkeypatch.undo()
    run = explain.train(explain.seed_model(), tiny, epochs=1)  # the next call trains normally
    assert len(run.history["loss"]) == 1


# == Issue #14, "Hard to break": hostile inputs, by class ====================================================
#
# Each class of the adversarial run has its tests here; the docs page docs/bad-input.md shows the messages.
# Deep tracebacks -> a clear error; silent wrong answers -> an error, a warning or a note in the result;
# nonsense arguments -> refused; resource exhaustion -> bounded work (tests/test_logparse.py, tests/test_idx.py).


# -- deep tracebacks where a clear message was possible: the forward explainers ---------------------------------


def _sequential(*layers, shape=(28, 28)):
    k = keras()
    return k.Sequential([k.Input(shape), *layers])


def test_dropout_with_rate_zero_says_there_is_nothing_to_explain(image) -> None:
    k = keras()
    m = _sequential(k.layers.Flatten(), k.layers.Dense(8, activation="relu"), k.layers.Dropout(0.0),
                    k.layers.Dense(10, activation="softmax"))  # fmt: skip
    with pytest.raises(ModelError, match=r"Expected a Dropout layer that drops something\. Received: layer "
                                         r"'dropout\w*' with rate=0.*Dropout\(0\.2\)"):  # fmt: skip
        explain.dropout(m, image)


def test_dropout_without_a_seed_draws_afresh_and_keeps_the_seed_it_drew(model, image) -> None:
    # trace(training=True) takes seed=None; dropout does too, and its result says which seed it drew.
    a, b = explain.dropout(model, image, seed=None, draws=20), explain.dropout(model, image, seed=None, draws=20)
    assert a.seed != b.seed
    again = explain.dropout(model, image, seed=a.seed, draws=20)
    np.testing.assert_array_equal(again.mask, a.mask)


@pytest.mark.parametrize("fn", ["dense", "flatten", "softmax", "dropout"])
@pytest.mark.parametrize(
    ("index", "match"),
    [
        (1.0, r"Expected index to be a whole number\. Received: index=1\.0, a float: pass index=1\."),
        ("1", r"Expected index to be a whole number\. Received: index='1', text: pass index=1\."),
        (True, r"Expected index to be a whole number\. Received: index=True"),
        (3, r"Expected index in \[0, 3\) for the batch\. Received: index=3\."),
    ],
)
def test_a_bad_index_is_refused_by_every_explainer(model, image, fn, index, match) -> None:
    with pytest.raises(IndexError, match=match):
        getattr(explain, fn)(model, np.stack([image] * 3), index=index)


def test_a_layer_named_like_the_input_is_refused_before_it_mixes_up_two_steps(image) -> None:
    k = keras()
    m = _sequential(k.layers.Flatten(name="input"), k.layers.Dense(10, activation="softmax"))
    with pytest.raises(ModelError, match=r"Expected every layer of model '\w+' to have its own name, apart from "
                                         r"the input's \('input'\)\. Received: layer 'input' \(Flatten\).*"
                                         r"name='input_1'"):  # fmt: skip
        explain.dense(m, image)


def test_a_shared_layer_is_refused_instead_of_traced_as_one_step() -> None:
    k = keras()
    inputs = k.Input((16,))
    shared = k.layers.Dense(16, activation="relu", name="shared")
    m = k.Model(inputs, k.layers.Dense(3)(shared(shared(inputs))))
    with pytest.raises(ModelError, match=r"Expected each layer of model '\w+' to be used once\. Received: layer "
                                         r"'shared' is called 2 times"):  # fmt: skip
        explain.trace(m, np.ones(16, "float32"))


@pytest.mark.parametrize("fn", ["train", "evaluate"])
@pytest.mark.parametrize("loss", ["mse", "binary_crossentropy", "MeanAbsoluteError"])
def test_a_loss_that_takes_no_integer_labels_is_refused_before_fit(tiny, fn, loss) -> None:
    k = keras()
    m = _compiled(k.layers.Flatten(), k.layers.Dense(10, activation="softmax"),
                  loss=getattr(k.losses, loss)() if loss[0].isupper() else loss)  # fmt: skip
    run = (lambda: explain.train(m, tiny, epochs=1)) if fn == "train" else (lambda: explain.evaluate(m, tiny))
    with pytest.raises(ModelError, match=r"Expected a model compiled with a loss that takes one integer label per "
                                         r"image.*Received: loss='\w+', which compares the model's 10 outputs.*"
                                         r"loss='sparse_categorical_crossentropy'"):  # fmt: skip
        run()


# -- silent wrong answers: pixel values, rescaling models, training flags, weights changing mid-call -----------


def test_values_too_large_for_float32_are_refused(model, image) -> None:
    x = image.astype(np.float64)
    x[5, 5] = 1e300
    with pytest.raises(InputError, match=r"Expected values that fit in float32.*Received: 1e\+300 at index "
                                         r"\(5, 5\), which would become inf"):  # fmt: skip
        explain.trace(model, x)


@pytest.fixture(scope="module")
def overflowing(model):
    """The untrained model with every weight of its first Dense made positive, and an input whose rows 4-7 are 3e38.

    With the model's own signed weights, whether a unit's x·W overflowed depended on the order the CPU's matmul summed
    in (on an Intel CPU some did; on an AMD EPYC none of the 512 units did). With positive weights every partial sum
    grows: each unit's exact x·W is about three times float32's largest value, so every unit overflows on any CPU.
    """
    k = keras()
    clone = k.models.clone_model(model)  # the same layer names ('dense') and model name
    kernel, bias = model.get_layer("dense").get_weights()
    clone.set_weights([np.abs(kernel), bias, *model.get_weights()[2:]])
    return clone


def _overflowing_input(image: np.ndarray) -> np.ndarray:
    x = image.copy()
    x[4:8] = 3e38  # float32 values, but x·W overflows
    return x


def test_values_that_overflow_inside_the_model_are_said_not_silently_returned(overflowing, image) -> None:
    x = _overflowing_input(image)
    smallest = (x.reshape(-1).astype(np.float64) @ overflowing.get_layer("dense").get_weights()[0]).min()
    assert smallest > 2 * float(np.finfo(np.float32).max)  # the premise: every unit's exact x·W is beyond float32
    with pytest.warns(explain.PixelScaleWarning, match=r"far outside any pixel scale"), \
            pytest.warns(ExplanationWarning, match=r"Layer 'dense' produced 512 infinite or NaN value"):  # fmt: skip
        t = explain.trace(overflowing, x)
    assert any("float32 overflowed" in note for note in t.notes)
    assert "float32 overflowed" in t.to_markdown()


def test_a_model_that_rescales_its_own_inputs_warns_when_they_are_scaled_twice(sample, image) -> None:
    k = keras()
    m = _sequential(k.layers.Rescaling(1 / 255), k.layers.Flatten(), k.layers.Dense(10, activation="softmax"))
    with pytest.warns(explain.PixelScaleWarning, match=r"rescales its own inputs \(its first layer, 'rescaling\w*', "
                                                       r"computes x · 0\.003922.*scaled twice"):  # fmt: skip
        explain.trace(m, image)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = explain.trace(m, sample.x_test[0])  # raw pixels: what this model expects
    assert any("expects raw 0–255 pixels" in note for note in t.notes)


def test_a_normalization_layer_adapted_on_raw_pixels_expects_raw_pixels(sample, image) -> None:
    k = keras()
    norm = k.layers.Normalization(axis=None)
    norm.adapt(sample.x_train[:200].astype("float32"))
    m = _sequential(norm, k.layers.Flatten(), k.layers.Dense(10, activation="softmax"))
    with pytest.warns(explain.PixelScaleWarning, match=r"scaled twice"):
        explain.trace(m, image)


@pytest.mark.parametrize("value", ["no", "False", 1, 0.5, None])
def test_training_must_be_true_or_false(model, image, value) -> None:
    with pytest.raises(ValueError, match=r"Expected training to be True or False\. Received: training="):
        explain.trace(model, image, training=value)
    with pytest.raises(ValueError, match=r"Expected from_logits to be True or False"):
        explain.softmax(model, image, from_logits=value)


def test_weights_that_change_during_the_call_are_reported_not_blamed_on_the_layer(image, monkeypatch) -> None:
    from explain.forward.capture import Capture

    model = explain.seed_model()
    kernel = model.get_layer("dense").kernel
    real = Capture.call

    def call_then_train(self, batch, training):
        out = real(self, batch, training)
        kernel.assign(kernel.value + 0.01)  # another thread's optimizer step lands just after the pass
        return out

    monkeypatch.setattr(Capture, "call", call_then_train)
    with pytest.warns(ExplanationWarning, match=r"weights of layer 'dense' changed while it ran"):
        d = explain.dense(model, image)
    assert d.max_abs_diff > 1e-3  # the recomputation used the new weights: not the layer's error, and it says so
    assert "changed while it ran" in d.notes[0] and "changed while it ran" in d.to_markdown()
    monkeypatch.undo()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        calm = explain.dense(model, image)
    assert calm.notes == () and calm.max_abs_diff < 1e-5


@pytest.mark.slow
def test_explaining_a_model_while_another_thread_trains_it_never_blames_the_layer(sample, image) -> None:
    import threading

    model = explain.seed_model()
    x, y = explain.normalize(sample.x_train[:2000]), sample.y_train[:2000]
    done = threading.Event()

    def fit() -> None:
        model.fit(x, y, epochs=3, batch_size=32, verbose=0)
        done.set()

    thread = threading.Thread(target=fit)
    thread.start()
    results = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExplanationWarning)
        while not done.is_set():
            results.append(explain.dense(model, image))
    thread.join()
    assert results
    # Every explanation either matches Keras to float32 rounding or says that the weights changed under it.
    assert all(r.max_abs_diff < 1e-4 or r.notes for r in results)


# -- property-based: every input check returns a value of the right kind or raises its own error, nothing else --

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from explain._core import checks  # noqa: E402

ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.binary(max_size=10), st.lists(st.integers(), max_size=3), st.just(np.int64(3)), st.just(np.float32(0.5)),
    st.just(np.bool_(True)),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(value=ANYTHING)
def test_flag_takes_the_two_booleans_only(value) -> None:
    if isinstance(value, (bool, np.bool_)):
        assert checks.flag("training", value) is bool(value)
    else:
        with pytest.raises(ValueError, match=r"^Expected training to be True or False\. Received: training="):
            checks.flag("training", value)


@settings(max_examples=300, deadline=None)
@given(value=ANYTHING, n=st.integers(1, 50))
def test_index_is_a_whole_number_in_range_or_an_index_error(value, n) -> None:
    try:
        i = checks.index("index", value, n)
    except IndexError as e:
        assert str(e).startswith("Expected index")
        assert not (isinstance(value, (int, np.integer)) and not isinstance(value, bool) and -n <= value < n)
    else:
        assert type(i) is int and -n <= i < n and i == value


@settings(max_examples=300, deadline=None)
@given(value=ANYTHING)
def test_fraction_is_a_real_number_in_0_1_and_a_percentage_is_named(value) -> None:
    try:
        f = checks.fraction("fit_accuracy", value)
    except ValueError as e:
        assert str(e).startswith("Expected fit_accuracy to be a fraction in [0, 1]. Received:")
        real = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
        if real and 1 < value <= 100:
            assert "looks like a percentage" in str(e)
    else:
        assert type(f) is float and 0 <= f <= 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.one_of(ANYTHING, st.text(min_size=250, max_size=6000), st.from_regex(r"~[a-z]{1,12}(/[a-z]{0,5})?")))
def test_a_path_is_a_path_or_a_value_error(value) -> None:
    try:
        p = checks.path(value, name="source")
    except ValueError as e:
        assert str(e).startswith("Expected") and "source" in str(e).split("Received")[0]
    else:
        assert len(str(p)) <= checks.MAX_PATH and not str(p).startswith("~")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    x=hnp.arrays(
        dtype=st.sampled_from([np.float64, np.float32, np.float16, np.int64, np.uint8, np.int8]),
        shape=st.sampled_from([(28, 28), (2, 28, 28), (784,), (28,), (0, 28, 28), (3, 28, 28, 1)]),
    )
)
def test_model_batch_returns_finite_float32_or_an_input_error(x) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", explain.PixelScaleWarning)
        try:
            batch, single = checks.model_batch(x, (28, 28))
        except InputError as e:
            assert str(e).startswith("Expected")
        else:
            assert batch.dtype == np.float32 and np.isfinite(batch).all() and batch.shape[1:] == (28, 28)
            assert single == (x.ndim == 2)


# -- data files: paths, special files, forged headers, gzip bombs ---------------------------------------------


def _peak_bytes(action) -> int:
    """The most memory Python and NumPy held at once while ``action`` ran (tracemalloc sees both)."""
    import tracemalloc

    tracemalloc.start()
    try:
        action()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_a_path_too_long_is_refused_before_the_file_system_sees_it(tmp_path) -> None:
    with pytest.raises(DataError, match=r"Expected source of at most 4,096 characters\. Received: a path of 5,005 "):
        explain.load_mnist("/tmp/" + "a" * 5000)
    with pytest.raises(DataError, match=r"Expected each part of source to be at most 255 bytes.*a part of 300 bytes"):
        explain.load_mnist(tmp_path / ("b" * 300))


def test_an_unknown_user_in_the_environment_variable_is_named(monkeypatch) -> None:
    monkeypatch.setenv("EXPLAIN_MNIST", "~nosuchuser/mnist.npz")
    with pytest.raises(DataError, match=r"Expected \$EXPLAIN_MNIST to start with ~ or ~user for a user with a home "
                                        r"folder\. Received: '~nosuchuser/mnist\.npz': there is no user "
                                        r"'nosuchuser' on this machine\. Write the full path instead\."):  # fmt: skip
        explain.load_mnist()


@pytest.mark.parametrize("special", ["fifo", "/dev/zero", "/dev/null"])
def test_a_fifo_or_a_device_is_refused_never_opened(tmp_path, special) -> None:
    import os

    if special == "fifo":
        special = tmp_path / "data.npz"
        os.mkfifo(special)  # opening it to read would block until a writer comes
    kind = "a FIFO \\(named pipe\\)" if not str(special).startswith("/dev") else "a character device"
    with pytest.raises(DataError, match=rf"Expected source to be a regular file or a folder\. Received: .*, {kind}\. "
                                        r"explain never reads pipes or devices"):  # fmt: skip
        explain.load_mnist(special)


def _forged_npz(path, shape, payload: bytes = b"\x00" * 16, compress: bool = False):
    """An .npz whose x_train.npy header declares ``shape`` (uint8) but holds ``payload``."""
    import io
    import zipfile

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "|u1", "fortran_order": False, "shape": tuple(shape)})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as z:
        z.writestr("x_train.npy", buf.getvalue() + payload)
    return path


@pytest.mark.parametrize(
    ("shape", "match"),
    [
        ((10**12, 28, 28), r"Expected at most 1,073,741,824 bytes in one array.*declaring shape \(1000000000000, "
                           r"28, 28\) of uint8, 784,000,000,000,000 bytes"),
        ((60000, 28, 28), r"Expected x_train in .* to hold the 47,040,000 bytes its header declares.*Received: 16 "
                          r"bytes\. The file is truncated, damaged or forged"),
    ],
)  # fmt: skip
def test_an_npz_header_is_checked_against_the_file_before_numpy_allocates(tmp_path, shape, match) -> None:
    path = _forged_npz(tmp_path / "forged.npz", shape)
    assert _peak_bytes(lambda: _load_raises(path, match)) < 20e6  # nothing the size of the claim was allocated


def _load_raises(path, match) -> None:
    with pytest.raises(DataError, match=match):
        explain.load_mnist(path)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=st.lists(st.integers(0, 2**40), min_size=0, max_size=4), payload=st.binary(max_size=64))
def test_any_declared_npz_shape_is_a_data_error_or_data_never_a_big_allocation(tmp_path, shape, payload) -> None:
    path = _forged_npz(tmp_path / "any.npz", shape, payload, compress=True)

    def load() -> None:
        with pytest.raises(DataError):  # never MemoryError; and never loads: the other three arrays are missing
            explain.load_mnist(path)

    assert _peak_bytes(load) < 20e6


def _gzip_idx(path, dims, payload_bytes: int) -> None:
    """A .gz idx file whose header declares ``dims`` and whose data is ``payload_bytes`` zeros (compressed ~1000:1)."""
    import gzip
    import struct

    with gzip.GzipFile(path, "wb", compresslevel=1, mtime=0) as f:
        f.write(bytes([0, 0, 8, len(dims)]) + struct.pack(">" + "I" * len(dims), *dims))
        chunk = b"\x00" * (1 << 20)
        for start in range(0, payload_bytes, len(chunk)):
            f.write(chunk[: payload_bytes - start])


def test_a_gzip_bomb_idx_file_inflates_no_further_than_its_header_declares(tmp_path) -> None:
    from explain.data.idx import read_idx

    path = tmp_path / "train-images-idx3-ubyte.gz"
    _gzip_idx(path, (10, 28, 28), 200 << 20)  # 200 MB of zeros behind a header that declares 7,840 bytes

    def read() -> None:
        with pytest.raises(DataError, match=r"Expected 7,840 values after the header.*Received: more than 7,840 bytes"):
            read_idx(path)

    assert path.stat().st_size < 1 << 20 and _peak_bytes(read) < 5e6


def test_an_idx_header_that_claims_more_than_the_file_can_hold_is_refused_at_once(tmp_path) -> None:
    import gzip

    from explain.data.idx import read_idx

    small = tmp_path / "small-idx3-ubyte.gz"
    _gzip_idx(small, (2**31, 28, 28), 100)
    with pytest.raises(DataError, match=r"Received: a gzip file of \d+ bytes, which cannot inflate to that many"):
        read_idx(small)
    # A file big enough for the ratio, but a claim above explain's limit: refused before any allocation
    # (what follows the header is never read, so random bytes do).
    big = tmp_path / "big-idx3-ubyte.gz"
    header = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in (2_000_000, 28, 28))
    big.write_bytes(gzip.compress(header) + np.random.default_rng(0).bytes(1_600_000))
    with pytest.raises(DataError, match=r"Expected at most 1,073,741,824 bytes in one array"):
        read_idx(big)


# -- logs: linear time, bounded memory, never an exception on text; FIFOs refused; a negative loss is a problem ---

from explain.diagnosis.logparse import parse_log  # noqa: E402

# Pieces of Keras's log syntax; long runs of them are what makes a backtracking regular expression quadratic.
LOG_PIECES = [
    " ", "  ", "1", "9", ".", "-", " - ", ":", "/", "e", "E", "+", "[", "]", ",", "=", ">", "━", "\r", "\b", "\n",
    "\t", "a", "_", "'", "{", "}", "(", ")", "\x1b[", "m", ";", "Epoch ", "loss", "acc", "val_", "nan", "inf",
    "test loss", "Train on ", " samples", "Error", "ETA: ", "s ", "ms/step", "np.float32(", "Unknown",
]  # fmt: skip
RUN_LENGTH = 12_000  # characters: a quadratic pattern takes seconds here, a linear one milliseconds


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    unit=st.lists(st.sampled_from(LOG_PIECES), min_size=1, max_size=4).map("".join),
    prefix=st.text(max_size=40),
    suffix=st.sampled_from(["", "x", "\n", " - loss: 0.1", "]", "1/1"]),
)
def test_parse_log_time_is_linear_in_long_runs(unit, prefix, suffix) -> None:
    import time

    text = prefix + unit * (RUN_LENGTH // len(unit)) + suffix
    start = time.perf_counter()
    parse_log(text)  # never raises on text
    per_byte = (time.perf_counter() - start) / len(text)
    assert per_byte < 50e-6, f"{per_byte * 1e6:.1f} µs per character on {unit!r} × {RUN_LENGTH // len(unit)}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(
        st.text(max_size=2000),
        st.lists(st.sampled_from(LOG_PIECES), max_size=400).map("".join),
        st.tuples(st.sampled_from(LOG_PIECES + ["Epoch 1/1\n1/1 - a: 1\n", "x\n", "Error\n"]),
                  st.integers(1, 3000)).map(lambda t: t[0] * t[1]),
    )
)  # fmt: skip
def test_parse_log_memory_is_a_small_multiple_of_the_text(text) -> None:
    # 64 bytes per character: a ParsedLog of many tiny epochs holds about 40; the rest is fixed overhead.
    assert _peak_bytes(lambda: parse_log(text)) <= 64 * len(text) + 256_000


def test_a_declared_epoch_count_allocates_nothing() -> None:
    log = "Epoch 1000000000/1000000000\n1/1 ━━ 0s 5ms/step - accuracy: 0.1000 - loss: 2.3000\n"
    assert len(log.encode()) < 100  # like the adversarial run's 97 bytes, which allocated 2.3 GB
    parsed = None

    def parse() -> None:
        nonlocal parsed
        parsed = parse_log(log)

    assert _peak_bytes(parse) < 200_000
    assert "Epochs missing from the log: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, … (999,999,999 in all)." in parsed.notes


def test_an_epoch_count_of_5000_digits_is_text_not_an_exception() -> None:
    log = parse_log("Epoch " + "9" * 5000 + "/" + "9" * 5000 + "\n1/1 ━━ 0s - loss: 0.1\n")
    assert log.epochs == () and log.n_skipped == 1  # the line is kept as text; the bar alone is an evaluate result
    with pytest.raises(explain.LogError, match="Expected the text printed by model.fit"):
        parse_log("Epoch " + "9" * 5000 + "/5").require()


def test_many_unused_lines_are_counted_not_all_kept() -> None:
    log = parse_log("not a keras line\n" * 5000)
    assert log.n_skipped == 5000 and len(log.skipped) == 1000
    assert "5,000 lines were not used; the first 1,000 are listed." in log.notes
    assert "5000 lines skipped" in repr(log)


def test_diagnose_refuses_a_fifo_instead_of_blocking(tmp_path) -> None:
    import os
    import pathlib
    import subprocess
    import sys

    fifo = tmp_path / "train.log"
    os.mkfifo(fifo)
    with pytest.raises(explain.LogError, match=r"Expected the log to be a regular file\. Received: .*"
                                               r"train\.log, a FIFO \(named pipe\)"):  # fmt: skip
        explain.diagnose(pathlib.Path(fifo))
    cli = subprocess.run(
        [sys.executable, "-m", "explain", "diagnose", str(fifo)], capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(pathlib.Path(explain.__file__).parents[1])},
    )  # fmt: skip
    assert cli.returncode == 2 and "a FIFO (named pipe)" in cli.stderr and "Traceback" not in cli.stderr


@pytest.mark.parametrize(
    ("history", "where"),
    [
        ({"loss": [0.5, -0.2, -0.4], "accuracy": [0.8, 0.9, 0.95]}, "epoch 2"),
        ({"loss": [0.5, 0.3], "accuracy": [0.8, 0.9], "val_loss": [0.4, -0.1]}, "val epoch 2"),
    ],
)
def test_a_negative_cross_entropy_is_a_problem_not_a_healthy_run(history, where) -> None:
    d = explain.diagnose(history)
    keys = [f.key for f in d.findings]
    assert "negative-loss" in keys and "healthy" not in keys
    finding = d.findings[keys.index("negative-loss")]
    assert finding.severity == "problem" and where in finding.symptom


def test_a_negative_loss_from_a_log_is_a_problem_too() -> None:
    log = "Epoch 1/2\n1875/1875 ━━━━ 3s 2ms/step - accuracy: 0.9345 - loss: -0.2200\n" \
          "Epoch 2/2\n1875/1875 ━━━━ 3s 2ms/step - accuracy: 0.9700 - loss: -0.3000\n"  # fmt: skip
    assert [f.key for f in explain.diagnose(log).findings][:1] == ["negative-loss"]


# -- the caches: integrity of what is loaded back, paths that stay valid, locations that cannot be caches --------

from explain.errors import CacheWarning  # noqa: E402


def _entry(folder):
    import json

    (meta,) = folder.glob("*.json")
    return meta, json.loads(meta.read_text())


@pytest.mark.parametrize(
    ("cache", "says"),
    [
        ("", r"could not cache the trained model in '': Expected cache to name a file or folder\. Received: an "
             r"empty path, which would mean the current folder"),
        ("/dev/null", r"could not cache the trained model in /dev/null: Expected cache to be a folder\. Received: "
                      r"/dev/null, a character device"),
        ("a-file", r"could not cache the trained model in .*a-file: Expected cache to be a folder\. Received: "
                   r".*a-file, a file"),
        ("~nosuchuser/cache", r"there is no user 'nosuchuser' on this machine"),
    ],
)  # fmt: skip
def test_a_location_that_cannot_be_a_cache_is_named_and_nothing_is_written(tiny, tmp_path, monkeypatch, cache,
                                                                           says) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    if cache == "a-file":
        cache = tmp_path / "a-file"
        cache.write_text("a file where the cache folder should be")
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.warns(CacheWarning, match=says + r".*The trained model is computed and returned, but not saved there"):
        t = explain.trained(tiny, epochs=1, hidden_units=16, cache=cache)
    assert t.path is None and not t.from_cache and t.model.count_params() == 784 * 16 + 16 + 16 * 10 + 10
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # not a file in the current folder


def test_trained_settings_take_numpy_scalars_and_refuse_text(tiny, tmp_path) -> None:
    import tensorflow as tf

    plain = explain.trained(tiny, epochs=1, hidden_units=16, dropout_rate=0.25, cache=tmp_path)
    numpy = explain.trained(tiny, epochs=np.int64(1), hidden_units=np.int32(16), dropout_rate=np.float32(0.25),
                            seed=np.uint8(0), cache=tmp_path)  # fmt: skip
    assert numpy.key == plain.key and numpy.from_cache  # the same settings: the same entry
    for kwargs, match in (
        ({"hidden_units": "16"}, r"Expected hidden_units to be a positive integer\. Received: hidden_units='16' "
                                 r"\(text, not a number: pass 16\)"),
        ({"dropout_rate": "0.2"}, r"Received: dropout_rate='0\.2' \(text, not a number: pass 0\.2\)"),
        ({"activation": tf.nn.relu}, r"Expected activation to be a name such as 'relu'\..*a function: pass its name"),
        ({"epochs": np.float64(1.0)}, r"Expected epochs to be a positive integer"),
    ):  # fmt: skip
        with pytest.raises(ValueError, match=match):
            explain.trained(tiny, cache=tmp_path, **kwargs)


@pytest.fixture(scope="module")
def small_entry(tiny: explain.Dataset, tmp_path_factory: pytest.TempPathFactory):
    """A cache folder with one entry, ``trained(tiny, epochs=1, hidden_units=16)``, trained once for the tests
    that edit copies of it."""
    folder = tmp_path_factory.mktemp("small-entry")
    explain.trained(tiny, epochs=1, hidden_units=16, cache=folder)
    return folder


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda m: {**m, "test_accuracy": 7.5}, r"an accuracy in it is not a fraction in \[0, 1\]"),
        (lambda m: {**m, "test_accuracy": 0.5}, r"its metadata does not match its checksum: edited or damaged"),
        (lambda m: {**m, "history": {**m["history"], "val_loss": [0.1]}},
         r"its training history holds \['accuracy', 'loss', 'val_loss'\], not \['accuracy', 'loss'\]"),
        (lambda m: {**m, "history": {**m["history"], "loss": [0.1, 0.2]}},
         r"its training history does not have one value"),
        (lambda m: {**m, "seed": 1}, r"its seed is 1, not 0: it belongs to another entry"),
        (lambda m: {k: v for k, v in m.items() if k != "meta_sha256"}, r"its metadata checksum is missing"),
    ],
)  # fmt: skip
def test_edited_cache_metadata_is_not_believed(tiny, small_entry, tmp_path, edit, reason) -> None:
    import json
    import shutil

    shutil.copytree(small_entry, tmp_path, dirs_exist_ok=True)  # the entry trained once, a copy to edit
    first = explain.trained(tiny, epochs=1, hidden_units=16, cache=tmp_path)
    assert first.from_cache
    meta_path, meta = _entry(tmp_path)
    meta_path.write_text(json.dumps(edit(meta)))
    with pytest.warns(CacheWarning, match=rf"is damaged \({reason}"):
        again = explain.trained(tiny, epochs=1, hidden_units=16, cache=tmp_path)
    assert not again.from_cache and again.test_accuracy == first.test_accuracy  # measured again, not read
    assert explain.trained(tiny, epochs=1, hidden_units=16, cache=tmp_path).from_cache  # rebuilt


def test_a_temporary_file_of_a_dead_process_is_removed_at_the_next_save(tiny, tmp_path) -> None:
    import os
    import socket
    import subprocess
    import sys

    key = explain.trained(tiny, epochs=1, hidden_units=16, cache=False).key
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    host = "".join(c if c.isalnum() else "_" for c in socket.gethostname())[:40]
    killed = tmp_path / f".{key}.{host}-{int(dead.stdout)}.x1y2z3.keras"  # its writer is gone: removed now
    running = tmp_path / f".{key}.{host}-{os.getpid()}.a1b2c3.keras"  # its writer runs (this test): kept
    for p in (killed, running):
        p.write_bytes(b"half a model")
    t = explain.trained(tiny, epochs=1, hidden_units=16, cache=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([t.path.name, f"{key}.json", running.name])


@pytest.mark.slow
def test_a_fault_run_entry_with_wrongly_typed_or_edited_fields_is_rebuilt_once(tmp_path, monkeypatch) -> None:
    import json

    from explain import faults

    monkeypatch.setenv("EXPLAIN_CACHE", str(tmp_path))
    faults._run.cache_clear()
    try:
        first = faults.run("labels-out-of-range")
        for edit, reason in (
            (lambda m: {**m, "seconds": "fast"}, r"its seconds is 'fast', not a duration"),
            (lambda m: {**m, "log": 5}, r"its log is int, not str"),
            (
                lambda m: {**m, "evaluation": {"loss": 0.1, "accuracy": 0.99}},
                r"its metadata does not match its checksum",
            ),
        ):
            meta_path, meta = _entry(tmp_path)
            meta_path.write_text(json.dumps(edit(meta)))
            faults._run.cache_clear()
            with pytest.warns(CacheWarning, match=rf"the cached fault run fault-\w+ is damaged \({reason}"):
                again = faults.run("labels-out-of-range")
            assert not again.from_cache and again.evaluation == first.evaluation
            faults._run.cache_clear()
            with warnings.catch_warnings():
                warnings.simplefilter("error", CacheWarning)
                assert faults.run("labels-out-of-range").from_cache  # rebuilt: the next call loads it
    finally:
        faults._run.cache_clear()


# -- nonsense arguments: percentages, pixels outside 0–255, truthy flags, a folder as a figure's file -----------


def test_a_percentage_given_as_fit_accuracy_is_refused_with_the_fraction(model, tiny) -> None:
    with pytest.raises(
        ValueError,
        match=r"Expected fit_accuracy to be an accuracy in \[0, 1\]\. Received: "
        r"fit_accuracy=95, which looks like a percentage: pass fit_accuracy=0\.95\.",
    ):
        explain.accuracy_gap(model, tiny, 95)  # fmt: skip
    with pytest.raises(ValueError, match=r"Received: fit_accuracy=-0\.1"):
        explain.accuracy_gap(model, tiny, -0.1)


@pytest.mark.parametrize(
    ("values", "match"),
    [
        (np.array([0, -3, 5]), r"Received: -3 at index \(1,\) \(1 of 3 values outside 0–255\)"),
        (np.array([[0.0, 300.5]]), r"Received: 300\.5 at index \(0, 1\)"),
        (np.array([1.0, np.nan]), r"Received: nan at index \(1,\)"),
        (np.int64(256), r"Received: 256 \(1 of 1 values outside 0–255\)"),
    ],
)
def test_normalize_refuses_values_outside_0_255(values, match) -> None:
    with pytest.raises(DataError, match=r"Expected pixel values 0–255\. " + match + r".*np\.clip\(x, 0, 255\)"):
        explain.normalize(values)


@pytest.mark.parametrize(
    "call",
    [
        lambda m, x, y: explain.seed_model(compile="no"),
        lambda m, x, y: explain.load_mnist("sample", download="no"),
        lambda m, x, y: explain.loss_by_hand(m, x, y, evaluate="yes"),
        lambda m, x, y: explain.logits_shortcut(m, x, y, evaluate=1),
        lambda m, x, y: explain.adam_steps(m, x, y, training="False"),
        lambda m, x, y: explain.faults.run("labels-out-of-range", cache="yes"),
    ],
    ids=["seed_model-compile", "load_mnist-download", "loss_by_hand-evaluate", "logits_shortcut-evaluate",
         "adam_steps-training", "faults.run-cache"],
)  # fmt: skip
def test_every_flag_is_a_real_bool(model, batch, call) -> None:
    x, y = batch
    with pytest.raises(ValueError, match=r"Expected \w+ to be True or False\. Received: \w+="):
        call(model, x, y)


def test_adam_steps_on_another_loss_says_which_loss_it_explains(model, batch) -> None:
    k = keras()
    mse = k.models.clone_model(model)
    mse.set_weights(model.get_weights())
    mse.compile(optimizer="adam", loss="mse")
    x, y = batch
    with pytest.warns(
        ExplanationWarning,
        match=r"compiled with loss='mse', not the tutorial's cross-entropy: the "
        r"gradients, and so every step and loss below, are those of mse",
    ):
        a = explain.adam_steps(mse, x, np.eye(10)[y])  # fmt: skip
    assert a.loss_name == "mse" and "not the tutorial's cross-entropy" in a.notes[0]
    assert a.report().blocks[0] == a.notes[0]  # the first thing the report says
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExplanationWarning)
        assert explain.adam_steps(model, x, y).notes == ()


@pytest.mark.parametrize(
    ("where", "match"),
    [
        ("folder", r"Expected a file to write the figure to, such as .*figure\.png\. Received: .*, which is a folder"),
        ("/dev/null", r"Expected path to be a regular file or a folder\. Received: /dev/null, a character device"),
        ("file/digit.png", r"Expected .*file to be a folder for the figure\. Received: .*file, a file"),
        ("digit.xyz", r"Expected a file name ending in a format matplotlib writes: .*png.*\. Received: digit\.xyz"),
    ],
)
def test_figures_save_refuses_what_is_not_a_figure_file(tmp_path, where, match) -> None:
    from explain.errors import OutputError
    from explain.figures.layers import digit

    (tmp_path / "file").write_text("a file")
    target = where if where.startswith("/") else tmp_path / ("" if where == "folder" else where)
    with pytest.raises(OutputError, match=match):
        explain.figures.save(digit(np.eye(28, dtype=np.uint8) * 255, label=1), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]  # nothing written, nothing replaced


# -- the command line's --out: checked before any work; a failure half-way removes what the command wrote ---------


def _no_work(monkeypatch) -> None:
    """Make any data loading or training fail the test: --out must be refused before it."""
    import explain.cli.gallery
    import explain.cli.tour
    import explain.data.sources

    def work(*args, **kwargs):
        raise AssertionError("the command started working before --out was checked")

    # the command line loads --data itself (explain.cli.main imports it from explain.data.sources when it runs)
    for module in (explain.cli.gallery, explain.cli.tour, explain.data.sources):
        monkeypatch.setattr(module, "load_mnist", work)
    monkeypatch.setattr(explain.cli.gallery, "trained", work)


@pytest.mark.parametrize("command", ["tour", "figures"])
@pytest.mark.parametrize(
    ("setup", "says"),
    [
        ("a file", r"Expected --out to be a folder for the files this command writes\. Received: .*out, which is a "
                   r"file"),
        ("read-only", r"Expected --out to be a folder this command can write to\. Received: .*out, where .* refuses a "
                      r"new file \(Permission denied\)"),
        ("full disk", r"Expected at least 10\.0 MB free for the files this command writes to .*out\. Received: 0\.0 MB "
                      r"free on that disk"),
        ("device", r"Expected --out to be a folder for the files this command writes\. Received: /dev/null, a "
                   r"character device"),
    ],
)  # fmt: skip
def test_out_is_checked_before_any_work(tmp_path, monkeypatch, capsys, command, setup, says) -> None:
    import errno
    import shutil

    import explain.cli.output as output
    from explain.cli.main import main

    _no_work(monkeypatch)
    out = tmp_path / "out"
    if setup == "a file":
        out.write_text("not a folder")
    elif setup == "read-only":  # as a folder mode 0555 (simulated: the tests may run as root, whom modes do not stop)

        def refuse(*args, **kwargs):
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(output.tempfile, "mkstemp", refuse)
    elif setup == "full disk":
        monkeypatch.setattr(output.shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10**9, 10**9, 0))
    elif setup == "device":
        out = "/dev/null"
    assert main([command, "--data", "sample", "--epochs", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("explain: error: Expected") and "Traceback" not in err
    assert __import__("re").search(says, err), err
    assert sorted(p.name for p in tmp_path.iterdir()) == (["out"] if setup == "a file" else [])


def _disk_fills_at(monkeypatch, n: int) -> None:
    """figures.save raises ENOSPC from its ``n``-th call on, after writing part of the file (as a full disk does)."""
    import errno

    import explain.cli.output as output

    real, calls = output.figures.save, []

    def save(fig, path, **kwargs):
        calls.append(path)
        if len(calls) >= n:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(fig, path, **kwargs)

    monkeypatch.setattr(output.figures, "save", save)


def test_a_tour_that_fails_half_way_removes_what_it_wrote(tmp_path, monkeypatch, capsys) -> None:
    from explain.cli.main import main

    _disk_fills_at(monkeypatch, 3)  # two figures written, the third fails (before any training)
    out = tmp_path / "new" / "tour"
    assert main(["tour", "--data", "sample", "--epochs", "1", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "explain: error: could not finish: [Errno 28] No space left on device" in err
    assert "Nothing in --out was changed." in err and "Traceback" not in err
    assert f"'{out / '03_flatten.png'}'" in err and ".new." not in err  # the file asked for, not a temporary one
    assert list(tmp_path.iterdir()) == []  # not the two figures, not the folders it created


def test_figures_that_fail_half_way_remove_what_they_wrote_and_keep_what_was_there(tmp_path, monkeypatch,
                                                                                   trained_sample) -> None:  # fmt: skip
    import errno

    out = tmp_path / "slides"
    out.mkdir()
    (out / "notes.txt").write_text("the user's own file")
    _disk_fills_at(monkeypatch, 5)
    with pytest.raises(OSError, match="No space left") as info:
        explain.write_figures(out, data="sample", epochs=1, echo=lambda s: None)
    assert info.value.errno == errno.ENOSPC
    assert [p.name for p in out.iterdir()] == ["notes.txt"]  # four figures written, then removed


def test_a_figure_the_disk_refuses_is_named_as_the_learner_knows_it(tmp_path, monkeypatch, trained_sample) -> None:
    # figures.save turns the refusal into an OutputError naming the file it was given: the temporary one.
    import errno

    import explain.figures.saving as saving

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(saving, "atomic_write_bytes", full)
    with pytest.raises(OutputError) as info:
        explain.write_figures(tmp_path / "slides", data="sample", epochs=1, echo=lambda s: None)
    assert str(info.value) == (
        f"Expected a folder that takes the figure. Received: {tmp_path / 'slides'}, which refused digit.png "
        f"(No space left on device). Make it writable or free some space, or save the figure somewhere else."
    )
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_run_leaves_an_earlier_runs_figures_as_they_were(tmp_path, monkeypatch, trained_sample) -> None:
    # A teacher makes the slides' figures, then starts again into the same folder and presses Ctrl+C half-way:
    # the first set stays whole (it lost the figures the second run had redrawn, and kept a mix, before).
    import explain.cli.output as output

    out = tmp_path / "slides"
    first = explain.write_figures(out, data="sample", epochs=1, echo=lambda s: None)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(before) == sorted(p.name for p in first)

    real, calls = output.figures.save, []

    def save(fig, path, **kwargs):
        calls.append(path)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real(fig, path, **kwargs)

    monkeypatch.setattr(output.figures, "save", save)
    with pytest.raises(KeyboardInterrupt):
        explain.write_figures(out, data="sample", epochs=1, seed=1, echo=lambda s: None)
    assert len(calls) == 5
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # every file, byte for byte; no temporary one


def test_an_atomic_write_never_replaces_a_device_or_a_folder(tmp_path) -> None:
    import os

    from explain._core.files import atomic_write_bytes

    for target in ("/dev/null", tmp_path):
        with pytest.raises(OSError, match="Not a regular file, so not replaced"):
            atomic_write_bytes(target, b"x")
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null") and tmp_path.is_dir()
    assert list(tmp_path.iterdir()) == []  # and no temporary file left


def test_a_log_on_standard_input_is_read_up_to_the_limit(monkeypatch, capsys) -> None:
    import io
    import sys

    import explain.cli.diagnose as cli_diagnose
    from explain.cli.main import main

    monkeypatch.setattr(cli_diagnose, "MAX_LOG_BYTES", 100)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"Epoch 1/1\n" * 50)))
    assert main(["diagnose", "-"]) == 2
    assert "Expected a log of at most 0 MB on standard input. Received: more." in capsys.readouterr().err


def test_a_really_read_only_out_folder_is_refused_before_any_work(tmp_path) -> None:
    # A folder mode 0555, which binds the child process even as root (see unprivileged.py).
    import os
    import pathlib
    import sys

    from unprivileged import run_with_folder_read_only

    folder = tmp_path / "slides"
    folder.mkdir()
    proc = run_with_folder_read_only(
        folder, [sys.executable, "-m", "explain", "figures", "--data", "sample", "--out", str(folder / "new")],
        env={**os.environ, "PYTHONPATH": str(pathlib.Path(explain.__file__).parents[1])}, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert f"Received: {folder / 'new'}, where {folder} refuses a new file (Permission denied)" in proc.stderr
    assert list(folder.iterdir()) == []


# == Issue #14, second audit: the same classes on the functions the first pass did not reach ===================


@pytest.mark.parametrize("fn", ["loss_by_hand", "logits_shortcut", "gradients", "adam_steps"])
def test_an_overflow_inside_the_model_stops_the_explainers_that_compute_a_loss(model, batch, fn) -> None:
    # 3e38 fits in float32, so the input check passes; x·W overflows. A loss, gradients or Adam steps computed
    # from inf/NaN would read "NumPy matches Keras to nan": refused, naming the inputs as the cause.
    x, y = batch
    x = x.copy()
    x[:, 4:8] = 3e38
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", explain.PixelScaleWarning)
        warnings.simplefilter("ignore", ExplanationWarning)
        warnings.simplefilter("error", RuntimeWarning)  # and no NumPy warning on the way
        says = (
            r"Expected finite (outputs|loss) of model 'hello_world'.*Received: \d+ of \d+ values infinite or "
            r"NaN: float32 overflowed.*The inputs reach 3e\+38, far outside any pixel scale.*explain\.normalize"
        )
        with pytest.raises(InputError, match=says):
            getattr(explain, fn)(model, x, y)


def test_weights_that_diverged_are_named_as_the_cause_when_the_inputs_are_pixels(batch) -> None:
    from explain._core import checks

    x, _ = batch
    with pytest.raises(InputError, match=r"The inputs are within pixel scale \(largest 1\), so the weights are the "
                                         r"cause"):  # fmt: skip
        checks.finite_result(np.array([np.nan]), what="loss", model_name="m", batch=x)


@pytest.mark.parametrize("fn", ["trace", "dense", "softmax", "flatten", "dropout"])
def test_an_overflow_in_the_forward_explainers_warns_once_and_no_numpy_warning_leaks(overflowing, image, fn) -> None:
    x = _overflowing_input(image)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        result = getattr(explain, fn)(overflowing, x)
        str(result)  # rendering the report computes ratios and means of inf too
    kinds = {w.category for w in seen}
    assert ExplanationWarning in kinds and RuntimeWarning not in kinds, [str(w.message)[:80] for w in seen]


def test_a_layer_position_outside_the_trace_is_named(model, image) -> None:
    with pytest.raises(IndexError, match=r"Expected layer in \[0, 5\) for the 5 steps of this trace \(the input is "
                                         r"step 0\)\. Received: layer=5\."):  # fmt: skip
        explain.dense(model, image, layer=5)
    t = explain.trace(model, image)
    with pytest.raises(IndexError, match=r"Received: layer=9\."):
        t[9]
    with pytest.raises(IndexError, match=r"Received: layer=1\.0, a float: pass layer=1\."):
        t[1.0]
    assert t[-1].name == "dense_1" and [s.name for s in t[1:3]] == ["flatten", "dense"]
    assert explain.dense(model, image, layer=2).layer == "dense"  # a position that is a Dense layer works


@pytest.mark.parametrize(
    "call",
    [
        lambda m, x, y: explain.gradients(m, x, y, training="no"),
        lambda m, x, y: explain.figures.confusion_matrix(np.eye(3, dtype=int), normalize="no"),
    ],
    ids=["gradients-training", "confusion_matrix-normalize"],
)
def test_the_flags_the_first_pass_missed_are_real_bools(model, batch, call) -> None:
    x, y = batch
    with pytest.raises(ValueError, match=r"Expected \w+ to be True or False\. Received: \w+='no', which Python "
                                         r"would read as True"):  # fmt: skip
        call(model, x, y)


@pytest.mark.parametrize("verbose", ["loud", 7, -1, True, 1.0, "1"])
def test_train_verbose_is_what_fit_takes_not_anything(tiny, verbose) -> None:
    # Keras's fit takes verbose='loud' or 7 without a word; explain refuses them before training.
    with pytest.raises(ValueError, match=r"Expected verbose to be 0 \(silent\), 1 \(a progress bar\), 2 \(one line "
                                         r"per epoch\) or 'auto'\. Received: verbose="):  # fmt: skip
        explain.train(explain.seed_model(), tiny, epochs=1, verbose=verbose)


def test_figures_save_with_its_arguments_swapped_says_so(tmp_path) -> None:
    from explain.figures.layers import digit

    fig = digit(np.eye(28, dtype=np.uint8) * 255, label=1)
    with pytest.raises(TypeError, match=r"Expected a matplotlib Figure.*Received: pathlib\.PosixPath .*The figure "
                                        r"comes first: save\(fig, path\)\."):  # fmt: skip
        explain.figures.save(tmp_path / "one.png", fig)
    with pytest.raises(ValueError, match=r"Expected dpi to be a positive number\. Received: dpi=0"):
        explain.figures.save(fig, tmp_path / "one.png", dpi=0)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("where", "match"),
    [
        ("long", r"Expected folder of at most 4,096 characters\. Received: a path of 5,005 characters"),
        ("/dev/null", r"Expected folder to be a folder for the web page's weights\. Received: /dev/null, a character "
                      r"device\."),
        ("file", r"Expected folder to be a folder for the web page's weights\. Received: .*file, which is a file\. "
                 r"Pass a folder"),
        ("file/web", r"Expected folder to be a folder or a place to create one\. Received: .*file/web, but .*file "
                     r"is a file, not a folder\."),
        ("~nosuchuser/web", r"there is no user 'nosuchuser' on this machine"),
    ],
)  # fmt: skip
def test_export_for_web_checks_its_folder_before_writing(model, tmp_path, where, match) -> None:
    from explain.errors import OutputError

    (tmp_path / "file").write_text("a file")
    target = {"long": "/tmp/" + "a" * 5000}.get(where, where)
    if where.startswith("file"):
        target = tmp_path / where
    with pytest.raises(OutputError, match=match):
        explain.export_for_web(model, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"] and (tmp_path / "file").read_text() == "a file"


# Property tests of the checks added in this pass, with the time per call bounded (a check must never scan
# or allocate in proportion to anything but its input).


def _timed(action, limit: float = 0.25):
    import time

    start = time.perf_counter()
    try:
        return action()
    finally:
        assert time.perf_counter() - start < limit


@settings(max_examples=300, deadline=None)
@given(value=ANYTHING)
def test_verbosity_takes_0_1_2_or_auto_only(value) -> None:
    ok = value == "auto" if isinstance(value, str) else (
        isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) and value in (0, 1, 2)
    )  # fmt: skip
    if ok:
        assert _timed(lambda: checks.verbosity(value)) == value
    else:
        with pytest.raises(ValueError, match=r"^Expected verbose to be 0 \(silent\)"):
            _timed(lambda: checks.verbosity(value))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    value=st.one_of(
        ANYTHING, st.text(min_size=250, max_size=6000), st.from_regex(r"~[a-z]{1,12}(/[a-z]{0,5})?"),
        st.sampled_from(["/dev/null", "/dev/zero", "/etc/hostname", "/etc/hostname/x", "/", "/proc/self"]),
    )
)  # fmt: skip
def test_an_output_folder_is_a_path_or_its_own_error(value) -> None:
    from explain.errors import OutputError

    try:
        p = _timed(lambda: checks.output_folder(value, name="folder", error=OutputError))
    except OutputError as e:
        assert str(e).startswith("Expected") and "folder" in str(e).split("Received")[0]
    else:
        assert checks.path_kind(p) in ("folder", "missing")


# -- a loss that reads the outputs as the other kind ----------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "from_logits", "said"),
    [("logits", False, r"outputs logits \(raw scores\), and a loss with from_logits=False"),
     ("softmax", True, r"applies softmax.*from_logits=True, which applies softmax to them a second time")],
    ids=["logits read as probabilities", "probabilities read as logits"],
)  # fmt: skip
@pytest.mark.parametrize("doing", ["evaluate", "train"])
def test_a_loss_that_misreads_the_outputs_is_warned_about(tiny, output, from_logits, said, doing) -> None:
    # Keras trains and scores either way, with a wrong loss: explain says so before the numbers are trusted.
    k = keras()
    m = explain.seed_model(output=output, compile=False)
    m.compile(optimizer="adam", loss=k.losses.SparseCategoricalCrossentropy(from_logits=from_logits))
    with pytest.warns(ExplanationWarning, match=f"{said}.*explain\\.{doing} reports.*Fix: compile with"):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*received `from_logits=True`", category=UserWarning)  # Keras's
            explain.evaluate(m, tiny) if doing == "evaluate" else explain.train(m, tiny, epochs=1)


@pytest.mark.parametrize("output", ["softmax", "logits"])
def test_the_tutorial_and_todays_quickstart_are_not_warned_about(tiny, output) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explain.evaluate(explain.seed_model(output=output), tiny)


# -- figures and web exports into a folder that refuses them; a folder's name given as a file ----------------------


def test_a_figure_saved_into_a_read_only_folder_is_an_output_error_and_leaves_nothing(tmp_path) -> None:
    # A folder mode 0555 binds the child process even as root (see unprivileged.py); only matplotlib and explain's
    # figures in the child: no TensorFlow.
    import os
    import pathlib
    import sys

    from unprivileged import run_with_folder_read_only

    folder = tmp_path / "ro"
    folder.mkdir()
    code = (
        "import sys, numpy as np\n"
        "from explain import figures\n"
        "from explain.errors import OutputError\n"
        "fig = figures.digit(np.eye(28, dtype=np.uint8) * 255, label=1)\n"
        "for target in sys.argv[1:]:\n"
        "    try:\n"
        "        figures.save(fig, target)\n"
        "    except OutputError as e:\n"
        "        print('OutputError:', e)\n"
    )
    proc = run_with_folder_read_only(
        folder, [sys.executable, "-c", code, str(folder / "mask.png"), str(folder / "sub" / "m.png")],
        env={**os.environ, "PYTHONPATH": str(pathlib.Path(explain.__file__).parents[1])}, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    said = proc.stdout.splitlines()
    assert said[0] == (
        f"OutputError: Expected a folder that takes the figure. Received: {folder}, which refused mask.png "
        f"(Permission denied). Make it writable or free some space, or save the figure somewhere else."
    )
    assert said[1].startswith(f"OutputError: Expected a folder that takes the figure. Received: {folder / 'sub'}")
    assert ".tmp" not in proc.stdout and list(folder.iterdir()) == []  # no temporary file named, none left


def test_a_folders_name_with_a_slash_is_refused_and_a_name_without_suffix_gets_png(tmp_path) -> None:
    from explain.errors import OutputError
    from explain.figures.layers import digit

    fig = digit(np.eye(28, dtype=np.uint8) * 255, label=1)
    with pytest.raises(OutputError, match=r"Received: '.*slides/', a folder's name \(it ends in '/'\)\. Name the "
                                          r"file: save\(fig, '.*slides/digit\.png'\)"):  # fmt: skip
        explain.figures.save(fig, f"{tmp_path / 'slides'}/")
    assert list(tmp_path.iterdir()) == []  # no file named 'slides'
    path = explain.figures.save(fig, tmp_path / "mask")  # as matplotlib's savefig: the format's suffix is added
    assert path == tmp_path / "mask.png" and path.read_bytes().startswith(b"\x89PNG")
    (tmp_path / "slides").mkdir()
    with pytest.raises(OutputError, match=r"which is a folder"):  # an existing folder's name: not slides.png
        explain.figures.save(fig, tmp_path / "slides")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mask.png", "slides"]


def test_export_for_web_into_a_folder_that_refuses_a_file_removes_its_own_and_keeps_the_earlier(
    model, tmp_path, monkeypatch
) -> None:
    import errno

    import explain.forward.web as web

    first = explain.export_for_web(model, tmp_path)  # an earlier export, complete
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    other = explain.seed_model(seed=1)
    real, calls = web.atomic_write_bytes, []

    def refuse_the_third(path, data):  # the folder refuses the third file (a full disk, say)
        calls.append(path)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(path) + ".tmp")
        return real(path, data)

    monkeypatch.setattr(web, "atomic_write_bytes", refuse_the_third)
    with pytest.raises(OutputError, match=rf"Received: {tmp_path}, which refused a file \(No space left on device\)"):
        explain.export_for_web(other, tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # the earlier export, untouched
    assert first.manifest["model"] == json.loads((tmp_path / "manifest.json").read_text())["model"]


# -- explain's own objects (and tf.data) given where an image is expected ---------------------------------------


def test_a_dataset_a_prepared_picture_or_a_tf_data_dataset_given_as_the_image_says_what_to_pass(
    model, sample, tmp_path
) -> None:
    import tensorflow as tf
    from PIL import Image

    Image.fromarray(255 - sample.x_test[0]).save(tmp_path / "seven.png")
    prepared = explain.prepare_digit(tmp_path / "seven.png")
    ds = tf.data.Dataset.from_tensor_slices((explain.normalize(sample.x_test[:8]), sample.y_test[:8])).batch(4)
    cases = [
        (sample, r"Dataset, a whole dataset: pass one of its images, explain\.normalize\(data\.x_test\[0\]\)"),
        (prepared, r"PreparedDigit, a prepared picture: pass its image, prepared\.image"),
        (ds, r"_?\w*Dataset, a tf\.data dataset: explain takes NumPy arrays; take a batch out of it first"),
    ]
    expected = r"Expected an image or a batch of images of shape \(28, 28\)\. Received: "
    for wrong, said in cases:
        for fn, args in ((explain.trace, ()), (explain.dense, ()), (explain.loss_by_hand, (sample.y_test[:1],))):
            with pytest.raises(InputError, match=expected + said):
                fn(model, wrong, *args)
    assert explain.trace(model, prepared.image).predicted == explain.trace(model, prepared.image[None]).predicted[0]


@pytest.mark.parametrize("fn", ["loss_by_hand", "sparse_vs_categorical", "logits_shortcut"])
def test_todays_quickstart_model_is_told_which_explanations_take_logits(sample, fn) -> None:
    # It is compiled with from_logits=True already: the message must not tell it to use from_logits=True.
    logits_model = explain.seed_model(output="logits")
    with pytest.raises(ModelError, match=r"outputs logits \(today's quickstart\)\. For it, explain\.gradients and "
                                         r"explain\.adam_steps take either output") as info:  # fmt: skip
        _call(fn, logits_model, explain.normalize(sample.x_test[:N]), sample.y_test[:N])
    assert "use keras.losses.SparseCategoricalCrossentropy(from_logits=True)" not in str(info.value)


def test_write_figures_in_python_names_its_argument_not_the_command_lines_option(tmp_path, monkeypatch) -> None:
    from explain.errors import OutputError

    _no_work(monkeypatch)
    (tmp_path / "slides").write_text("a file")
    said = r"^Expected out to be a folder for the files it writes\. Received: .*slides, which is a file\. Pass a folder"
    with pytest.raises(OutputError, match=said + r" .*, e\.g\. out='.*slides-out'\.$"):
        explain.write_figures(tmp_path / "slides", data="sample")


@pytest.mark.parametrize("fn", [*FUNCTIONS, "gradients"])
def test_raw_pixels_are_warned_about_once_per_call(model, sample, fn) -> None:
    # gradients and logits_shortcut look at the same batch twice: the learner hears about it once.
    x, y = sample.x_test[:N], sample.y_test[:N]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        explain.gradients(model, x, y) if fn == "gradients" else _call(fn, model, x, y)
    assert len([w for w in caught if w.category is explain.PixelScaleWarning]) == 1
