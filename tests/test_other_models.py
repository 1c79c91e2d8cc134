"""trace and the layer explainers on Keras models other than the Hello World.

Every captured output is checked against an independent computation: Keras
calling each layer on the previous layer's real output, and, where the formula
is short, NumPy (convolution, pooling, batch normalization, softmax).
Property-based tests (hypothesis) build random small MLPs and CNNs.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import explain
from explain._core.tf import keras
from explain.errors import LayerNotFoundError, ModelError
from explain.forward.capture import random_layers, seeded

# -- oracles --------------------------------------------------------------------------------


def layer_by_layer(model, x: np.ndarray, *, training: bool = False, seed: int | None = None) -> list[np.ndarray]:
    """Keras calling each layer of a chain model on the previous layer's real output (a batch)."""
    k = keras()
    layers = [layer for layer in model.layers if not isinstance(layer, k.layers.InputLayer)]
    outs, h = [], x
    # seeded() gives the i-th random layer the seed state seed + i, as trace does; in inference it draws nothing.
    with seeded(model, seed if training else None):
        for layer in layers:
            h = np.asarray(layer(h, training=training))
            outs.append(h)
    return outs


def assert_trace_matches(t, expected: list[np.ndarray], atol: float = 1e-5) -> None:
    assert len(t) == len(expected) + 1
    for step, want in zip(t.steps[1:], expected):
        got = step.output[None] if t.single else step.output
        assert got.shape == want.shape, step.name
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=atol, err_msg=step.name)


def np_conv2d_valid(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """(n, h, w, c) * (kh, kw, c, f) + (f,), stride 1, padding 'valid' -> (n, h-kh+1, w-kw+1, f)."""
    kh, kw = kernel.shape[:2]
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))  # (n, oh, ow, c, kh, kw)
    return np.einsum("nhwcij,ijcf->nhwf", win.astype(np.float64), kernel.astype(np.float64)) + bias


def np_maxpool(x: np.ndarray, p: int) -> np.ndarray:
    """Max over p×p windows, stride p, padding 'valid' (the remainder rows/columns are dropped)."""
    n, h, w, c = x.shape
    h2, w2 = h // p, w // p
    return x[:, : h2 * p, : w2 * p].reshape(n, h2, p, w2, p, c).max(axis=(2, 4))


def np_batchnorm(x, gamma, beta, mean, var, eps):
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def rng_images(shape, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).random(shape).astype("float32")


# -- a CNN ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cnn():
    k = keras()
    k.utils.set_random_seed(1)
    inp = k.Input((10, 10, 2))
    h = k.layers.Conv2D(3, 3, activation="relu", name="conv")(inp)
    h = k.layers.MaxPooling2D(2, name="pool")(h)
    h = k.layers.Flatten(name="flat")(h)
    h = k.layers.Dense(6, activation="relu", name="hidden")(h)
    out = k.layers.Dense(4, activation="softmax", name="probs")(h)
    return k.Model(inp, out, name="small_cnn")


def test_cnn_every_output_equals_numpy(cnn) -> None:
    x = rng_images((5, 10, 10, 2))
    t = explain.trace(cnn, x)
    assert t.names[1:] == ("conv", "pool", "flat", "hidden", "probs")
    kernel, bias = cnn.get_layer("conv").get_weights()
    conv = np.maximum(np_conv2d_valid(x, kernel, bias), 0)  # (5, 8, 8, 3)
    pool = np_maxpool(conv, 2)  # (5, 4, 4, 3)
    flat = pool.reshape(5, -1)  # (5, 48)
    w1, b1 = cnn.get_layer("hidden").get_weights()
    hidden = np.maximum(flat @ w1 + b1, 0)
    w2, b2 = cnn.get_layer("probs").get_weights()
    z = hidden @ w2 + b2
    probs = np.exp(z - z.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    for name, want in (("conv", conv), ("pool", pool), ("flat", flat), ("hidden", hidden), ("probs", probs)):
        np.testing.assert_allclose(t[name].output, want, atol=1e-5, err_msg=name)
    assert [t[n].source for n in ("pool", "flat", "hidden", "probs")] == ["conv", "pool", "flat", "hidden"]
    assert t["conv"].input_shape == (10, 10, 2) and t["conv"].params == 3 * 3 * 2 * 3 + 3
    assert t["conv"].activation == "relu" and t.is_distribution
    assert_trace_matches(t, layer_by_layer(cnn, x))


def test_dense_explainer_on_a_cnn_dense_layer(cnn) -> None:
    x = rng_images((3, 10, 10, 2), seed=2)
    d = explain.dense(cnn, x, layer="hidden", index=2)
    t = explain.trace(cnn, x)
    w, b = cnn.get_layer("hidden").get_weights()
    flat = t["flat"].output[2].astype(np.float64)
    np.testing.assert_array_equal(d.input, t["flat"].output[2])
    np.testing.assert_allclose(d.pre_activation, flat @ w + b, atol=1e-5)
    np.testing.assert_allclose(d.output, np.maximum(flat @ w + b, 0), atol=1e-5)
    assert d.arithmetic == "48·6 + 6 = 294" and d.max_abs_diff < 1e-5
    # The first Dense by default; a Conv2D is not a Dense layer.
    assert explain.dense(cnn, x).layer == "hidden"
    with pytest.raises(LayerNotFoundError, match="Expected a Dense layer. Received: layer 'conv', a Conv2D"):
        explain.dense(cnn, x, layer="conv")


def test_flatten_explainer_after_a_conv_layer(cnn) -> None:
    x = rng_images((2, 10, 10, 2), seed=3)
    f = explain.flatten(cnn, x, index=1)
    pooled = explain.trace(cnn, x)["pool"].output[1]  # (4, 4, 3)
    assert f.input.shape == (4, 4, 3) and f.output.shape == (48,)
    np.testing.assert_array_equal(f.output, pooled.reshape(-1))
    i, j, c = np.indices((4, 4, 3))
    np.testing.assert_array_equal(f.index_map, 12 * i + 3 * j + c)  # w·c·i + c·j + k
    np.testing.assert_array_equal(f.output[f.index_map], f.input)
    assert f.roundtrip_equal and f.position(1, 2, 0) == 18 and not f.channels_first
    text = str(f)
    assert "(4, 4, 3) → (48,)" in text and "12·i0 + 3·i1 + i2" in text


def test_flatten_channels_first_moves_the_channels_last() -> None:
    k = keras()
    m = k.Sequential([k.Input((2, 3, 4)), k.layers.Flatten(data_format="channels_first"), k.layers.Dense(2)])
    x = rng_images((2, 3, 4), seed=4)
    f = explain.flatten(m, x)
    np.testing.assert_array_equal(f.output, np.moveaxis(x, 0, -1).reshape(-1))  # NumPy: (c, h, w) -> (h, w, c)
    np.testing.assert_array_equal(f.output[f.index_map], x)
    assert f.channels_first and f.roundtrip_equal and f.position(1, 0, 0) == 1
    assert "channels_first" in str(f)


# -- BatchNormalization -------------------------------------------------------------------


@pytest.fixture(scope="module")
def bn_model():
    k = keras()
    k.utils.set_random_seed(2)
    m = k.Sequential(
        [k.Input((4,)), k.layers.Dense(5), k.layers.BatchNormalization(name="bn"), k.layers.Dense(3, name="out")]
    )
    bn = m.get_layer("bn")  # non-trivial moving statistics and scale, so the formula is really exercised
    bn.set_weights([np.linspace(0.5, 2, 5), np.linspace(-1, 1, 5), np.linspace(-0.3, 0.3, 5), np.linspace(0.5, 3, 5)])
    return m


def test_batchnorm_inference_uses_moving_statistics(bn_model) -> None:
    x = rng_images((8, 4), seed=5)
    t = explain.trace(bn_model, x)
    bn = bn_model.get_layer("bn")
    gamma, beta, mean, var = bn.get_weights()
    np.testing.assert_allclose(
        t["bn"].output, np_batchnorm(t[1].output, gamma, beta, mean, var, bn.epsilon), rtol=1e-5, atol=1e-5
    )
    assert_trace_matches(t, layer_by_layer(bn_model, x))


def test_batchnorm_training_uses_batch_statistics_and_restores_the_moving_ones(bn_model) -> None:
    x = rng_images((8, 4), seed=6)
    before = [np.array(v.numpy()) for v in bn_model.variables]
    t = explain.trace(bn_model, x, training=True, seed=0)
    h = t[1].output.astype(np.float64)
    bn = bn_model.get_layer("bn")
    gamma, beta = bn.get_weights()[:2]
    want = np_batchnorm(h, gamma, beta, h.mean(0), h.var(0), bn.epsilon)  # biased variance, as Keras
    np.testing.assert_allclose(t["bn"].output, want, rtol=1e-4, atol=1e-4)
    for v, old in zip(bn_model.variables, before):
        np.testing.assert_array_equal(v.numpy(), old)
    assert_trace_matches(t, layer_by_layer(bn_model, x, training=True, seed=0))
    for v, old in zip(bn_model.variables, before):  # the oracle restored them too
        np.testing.assert_array_equal(v.numpy(), old)


# -- a nested Sequential ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def nested():
    k = keras()
    k.utils.set_random_seed(3)
    inner = k.Sequential(
        [k.Input((8,)), k.layers.Dense(6, activation="relu"), k.layers.Dropout(0.5), k.layers.Dense(5)],
        name="inner",
    )
    inp = k.Input((4,))
    h = k.layers.Dense(8, activation="tanh", name="first")(inp)
    h = inner(h)
    out = k.layers.Dense(3, activation="softmax", name="last")(h)
    return k.Model(inp, out, name="outer"), inner


def test_nested_sequential_is_one_step(nested) -> None:
    model, inner = nested
    x = rng_images((6, 4), seed=7)
    t = explain.trace(model, x)
    assert t.names[1:] == ("first", "inner", "last")
    step = t["inner"]
    assert step.kind == "Sequential" and step.source == "first" and step.activation is None
    assert step.params == inner.count_params() == 8 * 6 + 6 + 6 * 5 + 5
    assert len(step.weights) == 4  # both Dense layers' kernel and bias
    np.testing.assert_allclose(step.output, np.asarray(inner(t["first"].output)), atol=1e-6)
    # The nested model's own layers, traced by themselves, end in the same output.
    inner_t = explain.trace(inner, t["first"].output)
    np.testing.assert_allclose(inner_t.output, step.output, atol=1e-6)
    assert_trace_matches(t, layer_by_layer(model, x))


def test_nested_sequential_in_training_mode_draws_its_dropout_reproducibly(nested) -> None:
    model, inner = nested
    x = rng_images((6, 4), seed=8)
    a = explain.trace(model, x, training=True, seed=11)
    b = explain.trace(model, x, training=True, seed=11)
    np.testing.assert_array_equal(a["inner"].output, b["inner"].output)
    assert [lay.name for lay in random_layers(model)] == [inner.layers[1].name]
    assert_trace_matches(a, layer_by_layer(model, x, training=True, seed=11))
    inference = explain.trace(model, x)
    assert not np.allclose(a["inner"].output, inference["inner"].output)  # its Dropout really was active
    with pytest.raises(ModelError, match="Dropout") as info:  # a Dropout inside the nested model is not a step
        explain.dropout(model, x)
    assert "inside nested model 'inner'" in str(info.value) and "by itself" in str(info.value)
    d = explain.dropout(inner, a["first"].output, seed=0, draws=50)  # as the message says
    assert d.layer == inner.layers[1].name and d.training_max_abs_diff < 1e-6


# -- several inputs, subclassing ------------------------------------------------------------


def test_multi_input_model_names_what_is_supported() -> None:
    k = keras()
    a, b = k.Input((2,), name="left"), k.Input((3,), name="right")
    m = k.Model([a, b], k.layers.Dense(1)(k.layers.Concatenate()([a, b])))
    with pytest.raises(ModelError) as info:
        explain.trace(m, [np.zeros(2), np.zeros(3)])
    message = str(info.value)
    assert "Expected a model with one input" in message and "2 inputs" in message
    assert "left" in message and "right" in message and "Trace each branch" in message


def test_subclassed_model_names_what_is_supported(subclassed_model) -> None:
    m = subclassed_model
    with pytest.raises(ModelError) as info:
        explain.dense(m, np.zeros(3, "float32"))
    message = str(info.value)
    assert "subclassed" in message and "keras.Sequential" in message and "keras.Model(inputs, outputs)" in message


# -- a model that outputs logits --------------------------------------------------------------


@pytest.fixture(scope="module")
def logits_model():
    k = keras()
    k.utils.set_random_seed(4)
    m = k.Sequential([k.Input((6,)), k.layers.Dense(8, activation="relu"), k.layers.Dense(4, name="logits")])
    m.compile("adam", k.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = rng_images((32, 6), seed=9)
    m.fit(x, np.arange(32) % 4, epochs=2, verbose=0)
    return m


def test_trace_of_logits_claims_no_probability(logits_model) -> None:
    x = rng_images((6,), seed=10)
    t = explain.trace(logits_model, x)
    assert t.outputs_logits and not t.is_distribution and t.probability is None
    assert t.predicted == int(np.argmax(np.asarray(logits_model(x[None]))[0]))
    assert "p=" not in repr(t)
    text = str(t)
    assert "logits" in text and "not probabilities" in text and "with probability" not in text
    assert "from_logits=True" in text
    assert_trace_matches(t, layer_by_layer(logits_model, x[None]))


def test_logits_that_happen_to_look_like_a_distribution_are_still_logits() -> None:
    k = keras()
    m = k.Sequential([k.Input((2,)), k.layers.Dense(2, name="logits")])
    m.set_weights([np.zeros((2, 2), "float32"), np.array([0.25, 0.75], "float32")])  # output (0.25, 0.75)
    t = explain.trace(m, np.ones(2, "float32"))
    np.testing.assert_allclose(t.output, [0.25, 0.75])
    assert not t.is_distribution and t.probability is None


def test_softmax_on_logits_is_a_clear_error_or_applied_on_request(logits_model) -> None:
    x = rng_images((6,), seed=11)
    with pytest.raises(ModelError) as info:
        explain.softmax(logits_model, x)
    message = str(info.value)
    assert "no activation" in message and "logits" in message and "from_logits=True" in message
    s = explain.softmax(logits_model, x, from_logits=True)
    logits = np.asarray(logits_model(x[None]))[0].astype(np.float64)
    want = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    assert s.from_logits and s.layer == "logits"
    np.testing.assert_allclose(s.logits, logits, atol=1e-5)
    np.testing.assert_allclose(s.probabilities, want, atol=1e-6)
    np.testing.assert_allclose(s.output, want, atol=1e-6)  # keras.ops.softmax of the real logits
    assert s.max_abs_diff < 1e-6 and s.predicted == int(np.argmax(logits))
    text = str(s)
    assert "applied to its logits" in text and "from_logits=True" in text


def test_from_logits_refuses_a_softmax_layer(cnn) -> None:
    with pytest.raises(LayerNotFoundError, match="without an activation"):
        explain.softmax(cnn, rng_images((10, 10, 2)), layer="probs", from_logits=True)


# -- several Dropouts ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_dropouts():
    k = keras()
    k.utils.set_random_seed(5)
    return k.Sequential(
        [
            k.Input((12,)),
            k.layers.Dropout(0.25, name="drop_in"),
            k.layers.Dense(16, activation="relu"),
            k.layers.Dropout(0.5, name="drop_hidden"),
            k.layers.Dense(3, activation="softmax"),
        ]
    )


def test_each_dropout_draws_as_a_fresh_layer_with_seed_plus_its_position(two_dropouts) -> None:
    k = keras()
    x = rng_images((4, 12), seed=12) * 0.9 + 0.1  # no zeros in, so every dropped value shows
    t = explain.trace(two_dropouts, x, training=True, seed=7)
    first = np.asarray(k.layers.Dropout(0.25, seed=7)(x, training=True))
    second = np.asarray(k.layers.Dropout(0.5, seed=8)(t[2].output, training=True))
    np.testing.assert_array_equal(t["drop_in"].output, first)
    np.testing.assert_array_equal(t["drop_hidden"].output, second)
    assert_trace_matches(t, layer_by_layer(two_dropouts, x, training=True, seed=7))


def test_dropout_explainer_picks_either_dropout(two_dropouts) -> None:
    x = rng_images((3, 12), seed=13) * 0.9 + 0.1
    t = explain.trace(two_dropouts, x, training=True, seed=2)
    for name, rate, src in (("drop_in", 0.25, t.input), ("drop_hidden", 0.5, t[2].output)):
        d = explain.dropout(two_dropouts, x, layer=name, seed=2, index=1, draws=200)
        assert d.layer == name and d.rate == pytest.approx(rate)
        np.testing.assert_array_equal(d.input, src[1])
        np.testing.assert_array_equal(d.output, t[name].output[1])
        nonzero = d.input != 0
        np.testing.assert_array_equal(d.output[nonzero] == 0, ~d.mask[nonzero])  # the mask is the one applied
        np.testing.assert_allclose(d.output[d.mask], d.input[d.mask] / (1 - rate), rtol=1e-6)
        assert d.training_max_abs_diff < 1e-6 and d.inference_max_abs_diff == 0.0
        assert abs(d.measured_rate - rate) < 0.06  # 200 × 12 or 200 × 16 draws: > 5 sigma
    assert explain.dropout(two_dropouts, x, seed=2).layer == "drop_in"  # the first by default


def test_dropout_after_a_conv_layer() -> None:
    k = keras()
    k.utils.set_random_seed(6)
    m = k.Sequential([k.Input((6, 6, 1)), k.layers.Conv2D(2, 3), k.layers.Dropout(0.3, name="d"), k.layers.Flatten()])
    x = rng_images((2, 6, 6, 1), seed=14)
    d = explain.dropout(m, x, seed=4, index=0, draws=100)
    assert d.mask.shape == (4, 4, 2)
    want = np.asarray(k.layers.Dropout(0.3, seed=4)(np.asarray(m.layers[0](x)), training=True))[0]
    np.testing.assert_allclose(d.output, want, atol=1e-6)
    assert d.training_max_abs_diff < 1e-6


# -- big batches in chunks ----------------------------------------------------------------------


def test_the_model_really_sees_chunks_of_batch_size(monkeypatch) -> None:
    from explain.forward import capture

    k = keras()
    seen: list[int] = []
    real_call = capture.Capture.call

    def recording(self, batch, training):
        seen.append(len(batch))
        return real_call(self, batch, training)

    monkeypatch.setattr(capture.Capture, "call", recording)
    m = k.Sequential([k.Input((3,)), k.layers.Dense(4), k.layers.Dense(2)])
    x = rng_images((10, 3))
    t = explain.trace(m, x, batch_size=4)
    assert seen == [4, 4, 2] and t.output.shape == (10, 2)
    np.testing.assert_allclose(t.output, np.asarray(m(x)), atol=1e-6)


def test_a_model_that_cannot_run_as_a_graph_is_traced_eagerly() -> None:
    k = keras()
    # NumPy inside a Lambda works eagerly but not in a tf.function: trace falls back to eager calls.
    m = k.Sequential(
        [k.Input((3,)), k.layers.Lambda(lambda h: np.asarray(h) * 2.0, output_shape=(3,)), k.layers.Dense(2)]
    )
    x = rng_images((5, 3))
    for _ in range(2):
        t = explain.trace(m, x, batch_size=2)
        np.testing.assert_allclose(t[1].output, 2 * x, rtol=1e-6)
        np.testing.assert_allclose(t.output, np.asarray(m.layers[1](2 * x)), atol=1e-6)


def test_chunked_training_mode_is_one_fit_step_per_chunk(bn_model, two_dropouts) -> None:
    x = rng_images((10, 4), seed=15)
    t = explain.trace(bn_model, x, training=True, seed=0, batch_size=4)
    h = t[1].output.astype(np.float64)
    gamma, beta = bn_model.get_layer("bn").get_weights()[:2]
    eps = bn_model.get_layer("bn").epsilon
    for part in (slice(0, 4), slice(4, 8), slice(8, 10)):  # each chunk normalized with its own statistics
        want = np_batchnorm(h[part], gamma, beta, h[part].mean(0), h[part].var(0), eps)
        np.testing.assert_allclose(t["bn"].output[part], want, rtol=1e-4, atol=1e-4)
    x = rng_images((10, 12), seed=16) * 0.9 + 0.1
    a = explain.trace(two_dropouts, x, training=True, seed=3, batch_size=4)
    b = explain.trace(two_dropouts, x, training=True, seed=3, batch_size=4)
    first = explain.trace(two_dropouts, x[:4], training=True, seed=3)
    for s, sb, sf in zip(a, b, first):
        np.testing.assert_array_equal(s.output, sb.output)  # same seed and batch_size: same numbers
        np.testing.assert_array_equal(s.output[:4], sf.output)  # the first chunk is the trace of x[:4]
    assert not np.array_equal(a["drop_in"].output[:4] == 0, a["drop_in"].output[4:8] == 0)  # new masks per chunk
    d = explain.dropout(two_dropouts, x, seed=3, index=9, batch_size=4, draws=10)  # its mask follows the chunks
    np.testing.assert_array_equal(d.output, a["drop_in"].output[9])
    np.testing.assert_array_equal(d.output == 0, ~d.mask)


# -- property-based: random MLPs and CNNs -------------------------------------------------------

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear", "gelu")


# The strategies draw plain specs; the models are built in the test, after keras.utils.set_random_seed,
# so that each example's weights are the same on every run (and hypothesis sees no global random use).


@st.composite
def mlp_specs(draw):
    hidden = []
    for _ in range(draw(st.integers(1, 3))):
        units, act = draw(st.integers(1, 8)), draw(st.sampled_from(ACTIVATIONS))
        extra = draw(st.sampled_from(("none", "dropout", "batchnorm")))
        rate = draw(st.sampled_from((0.1, 0.3, 0.5)))
        hidden.append((units, act, extra, rate))
    out = (draw(st.integers(2, 5)), draw(st.sampled_from(("softmax", "linear"))))
    return {"n_in": draw(st.integers(1, 6)), "hidden": hidden, "out": out, "batch": draw(st.integers(1, 7))}


def build_mlp(spec, seed):
    k = keras()
    k.utils.set_random_seed(seed)
    layers = [k.Input((spec["n_in"],))]
    for units, act, extra, rate in spec["hidden"]:
        layers.append(k.layers.Dense(units, activation=act))
        if extra == "dropout":
            layers.append(k.layers.Dropout(rate))
        elif extra == "batchnorm":
            layers.append(k.layers.BatchNormalization())
    layers.append(k.layers.Dense(spec["out"][0], activation=spec["out"][1]))
    x = np.random.default_rng(seed).uniform(-1, 1, size=(spec["batch"], spec["n_in"])).astype("float32")
    return k.Sequential(layers), x


@st.composite
def cnn_specs(draw):
    return {
        "size": draw(st.integers(5, 9)),
        "channels": draw(st.integers(1, 2)),
        "filters": draw(st.integers(1, 4)),
        "kernel": draw(st.integers(1, 3)),
        "padding": draw(st.sampled_from(("valid", "same"))),
        "pool": draw(st.sampled_from(("max", "average", "none"))),
        "pool_size": draw(st.integers(1, 2)),
        "dropout": draw(st.booleans()),
        "units": draw(st.integers(2, 4)),
        "batch": draw(st.integers(1, 4)),
    }


def build_cnn(spec, seed):
    k = keras()
    k.utils.set_random_seed(seed)
    layers = [
        k.Input((spec["size"], spec["size"], spec["channels"])),
        k.layers.Conv2D(spec["filters"], spec["kernel"], padding=spec["padding"], activation="relu"),
    ]
    if spec["pool"] == "max":
        layers.append(k.layers.MaxPooling2D(spec["pool_size"]))
    elif spec["pool"] == "average":
        layers.append(k.layers.AveragePooling2D(spec["pool_size"]))
    if spec["dropout"]:
        layers.append(k.layers.Dropout(0.25))
    layers += [k.layers.Flatten(), k.layers.Dense(spec["units"], activation="softmax")]
    shape = (spec["batch"], spec["size"], spec["size"], spec["channels"])
    return k.Sequential(layers), np.random.default_rng(seed).random(shape).astype("float32")


def _check_random_model(model, x, seed: int) -> None:
    before = [np.array(v.numpy()) for v in model.variables]
    t = explain.trace(model, x)
    assert_trace_matches(t, layer_by_layer(model, x), atol=1e-5)
    a = explain.trace(model, x, training=True, seed=seed)
    b = explain.trace(model, x, training=True, seed=seed)
    for sa, sb in zip(a, b):
        np.testing.assert_array_equal(sa.output, sb.output)  # same seed, same numbers
    assert_trace_matches(a, layer_by_layer(model, x, training=True, seed=seed), atol=1e-4)
    for v, old in zip(model.variables, before):  # BatchNorm's moving statistics are left alone
        np.testing.assert_array_equal(v.numpy(), old)
    chunked = explain.trace(model, x, batch_size=2)
    for sc, s in zip(chunked, t):
        np.testing.assert_allclose(sc.output, s.output, rtol=1e-6, atol=1e-6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mlp_specs(), st.integers(0, 2**16))
@pytest.mark.slow
def test_random_mlps_match_layer_by_layer(spec, seed) -> None:
    model, x = build_mlp(spec, seed)
    _check_random_model(model, x, seed)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cnn_specs(), st.integers(0, 2**16))
@pytest.mark.slow
def test_random_cnns_match_layer_by_layer(spec, seed) -> None:
    model, x = build_cnn(spec, seed)
    _check_random_model(model, x, seed)
