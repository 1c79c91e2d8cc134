"""A learner's honest mistakes with labels, images, Datasets and settings: each one gets a clear message.

Every test triggers the mistake for real and checks what the user sees: the
exception type, and a message in Keras's pattern ("Expected …. Received: …")
that names the problem and the fix; or, where explain converts, that the
converted result equals the one from correct input. Never a TensorFlow
traceback. The docs page docs/bad-input.md triggers the same mistakes at build time.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import explain
from explain._core.tf import keras
from explain.compile.adam_steps import adam_steps
from explain.compile.loss import loss_by_hand
from explain.compile.shortcut import logits_shortcut
from explain.compile.sparse import sparse_vs_categorical
from explain.errors import DataError, InputError, ModelError

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
