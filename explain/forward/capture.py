"""The capture model: the same layers and weights as a model, with every layer's output as an output.

`explain.trace` asks Keras for one forward pass of it. The capture model is
built once per model (kept in a weak dictionary) and called as a
``tf.function`` traced once per mode; a model that cannot run as a graph runs
eagerly. `seeded` makes training-mode passes reproducible and undoes every
state change they make; `run_in_chunks` keeps TensorFlow's memory to one
chunk of a big batch.
"""

from __future__ import annotations

import contextlib
import logging
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explain._core import checks
from explain._core.tf import keras
from explain.errors import ModelError

#: How many inputs one call of the capture model gets; bigger batches run in chunks of this size.
DEFAULT_BATCH_SIZE = 1024


@dataclass(frozen=True)
class Capture:
    """A model's capture model, its layers (no InputLayer), and the step each layer reads from."""

    model: Any  # a keras.Model whose outputs are every layer's output
    layers: tuple[Any, ...]
    sources: tuple[str, ...]
    input_name: str
    # The capture model's call as a compiled TensorFlow function, one per mode, built on first use; None where
    # the model cannot run as a graph (a Lambda layer with NumPy code, say): then it runs eagerly.
    compiled: dict[bool, Any] = field(default_factory=dict, compare=False)

    def call(self, batch: np.ndarray, training: bool) -> list[np.ndarray]:
        """Every layer's output for ``batch``, as NumPy arrays.

        An eager Keras call spends most of its time in Python for a small batch (about 2.5 ms for the
        Hello World); the same call as a ``tf.function`` traced once per mode takes about 0.6 ms and gives
        the same numbers. Its input signature leaves the batch axis free, so chunks of any size reuse it.
        """
        if training not in self.compiled:
            fn = _compile(self.model, training)
            try:
                raw = fn(batch)  # the first call traces the graph
            except Exception:  # the model cannot run as a graph (NumPy code in a Lambda layer, say): run eagerly
                self.compiled[training] = None
                raw = self.model(batch, training=training)
            else:
                self.compiled[training] = fn
        elif (fn := self.compiled[training]) is not None:
            raw = fn(batch)
        else:
            raw = self.model(batch, training=training)
        # A model of one layer returns its one output as a tensor, not a list of one.
        return [np.asarray(o) for o in (raw if isinstance(raw, (list, tuple)) else [raw])]


class _OwnTracesAreExpected(logging.Filter):
    """Drops TensorFlow's "N out of the last N calls to <function _compile.<locals>.<lambda>> triggered
    tf.function retracing" warning. Every model explained gets its own capture function, traced once by design
    (`Capture.compiled` keeps it); TensorFlow counts them together, as if one function retraced, and after five
    models tells the learner to change code that is not theirs. Other retracing warnings pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not ("triggered tf.function retracing" in message and f"{_compile.__name__}.<locals>" in message)


_FILTER = _OwnTracesAreExpected()


def _compile(model: Any, training: bool) -> Any:
    import tensorflow as tf  # already imported, quietly, by explain._core.tf.keras()

    logger = tf.get_logger()
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    spec = tf.TensorSpec((None, *model.inputs[0].shape[1:]), model.inputs[0].dtype)
    return tf.function(lambda batch: model(batch, training=training), input_signature=[spec])


_captures: weakref.WeakKeyDictionary[Any, Capture] = weakref.WeakKeyDictionary()


def capture(model: Any) -> Capture:
    """The capture model of ``model``: built once, reused while the model keeps the same layers.

    Raises:
        ModelError: the model cannot be traced (see `explain._core.checks.traceable_model`), or a layer is
            used twice or has several outputs.

    Examples:
        >>> import explain
        >>> cap = capture(explain.seed_model())
        >>> cap.input_name, [layer.name for layer in cap.layers], cap.sources
        ('input', ['flatten', 'dense', 'dropout', 'dense_1'], ('input', 'flatten', 'dense', 'dropout'))
    """
    cached = _captures.get(model) if isinstance(model, keras().Model) else None
    if cached is not None and cached.layers == tuple(model.layers):
        return cached
    checks.traceable_model(model)
    k = keras()
    model_input = model.inputs[0]
    layers = tuple(layer for layer in model.layers if not isinstance(layer, k.layers.InputLayer))
    input_layer_name = next((layer.name for layer in model.layers if isinstance(layer, k.layers.InputLayer)), "input")
    _check_names(model, layers, input_layer_name)
    _check_used_once(model)
    producers: dict[int, str] = {id(model_input): input_layer_name}
    outputs, sources = [], []
    for layer in layers:
        try:
            out, inp = layer.output, layer.input
        except (AttributeError, ValueError) as e:
            raise ModelError(
                f"Expected each layer to be used once. Received: layer '{layer.name}' is shared or has "
                f"no single output ({e})."
            ) from e
        if isinstance(out, (list, tuple)):
            raise ModelError(f"Expected one output per layer. Received: layer '{layer.name}' has {len(out)}.")
        first = inp[0] if isinstance(inp, (list, tuple)) else inp
        sources.append(producers.get(id(first), "?"))
        producers[id(out)] = layer.name
        outputs.append(out)
    if isinstance(model, k.Sequential):
        # A chain: each layer reads the previous one. (A Sequential loaded from disk keeps several
        # inbound nodes per layer, so matching tensors, as for functional models, can miss.)
        sources = [input_layer_name] + [layer.name for layer in layers[:-1]]
    capture_model = k.Model(inputs=model_input, outputs=outputs, name=f"{model.name}_trace")
    result = Capture(capture_model, layers, tuple(sources), input_layer_name)
    _captures[model] = result
    return result


def _check_names(model: Any, layers: tuple[Any, ...], input_name: str) -> None:
    """A step is found by its name: two steps with one name (a layer named like the input) would mix them up."""
    seen = {input_name: "the model's input"}
    for layer in layers:
        if layer.name in seen:
            raise ModelError(
                f"Expected every layer of model '{model.name}' to have its own name, apart from the input's "
                f"('{input_name}'). Received: layer '{layer.name}' ({type(layer).__name__}) has the name of "
                f"{seen[layer.name]}, so t['{layer.name}'] could mean either. Give it another name, e.g. "
                f"keras.layers.{type(layer).__name__}(..., name='{layer.name}_1')."
            )
        seen[layer.name] = f"layer '{layer.name}' ({type(layer).__name__})"


def _check_used_once(model: Any) -> None:
    """A layer called twice has two outputs but would be traced as one step: refuse it, naming the layer."""
    if isinstance(model, keras().Sequential):
        return  # a chain: each layer once (a Sequential loaded from disk lists extra nodes, never a reuse)
    try:
        config_layers = model.get_config()["layers"]
    except Exception:  # no config (a model that cannot be serialized): Keras's own errors remain
        return
    for entry in config_layers:
        calls = len(entry.get("inbound_nodes") or ())
        if calls > 1:
            raise ModelError(
                f"Expected each layer of model '{model.name}' to be used once. Received: layer "
                f"'{entry.get('name')}' is called {calls} times (a shared layer), so one step could not show "
                f"its {calls} outputs. Trace a model in which each call is its own layer, or trace the shared "
                f"layer's part by itself."
            )


def snapshot_weights(layers: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Each layer's trainable weights as they are now: one entry per weight, ``None`` for non-trainable ones.

    A read of a TensorFlow variable is an immutable snapshot (a later update copies the buffer
    first), so this costs no copy; `explain.forward.trace.Step.weights_changed` compares it with
    the weights read after the pass.
    """
    import tensorflow as tf  # already imported by explain._core.tf.keras()

    out = []
    for layer in layers:
        trainable = {id(v) for v in layer.trainable_weights}
        out.append(tuple(tf.convert_to_tensor(v.value) if id(v) in trainable else None for v in layer.weights))
    return out


def _walk(model: Any) -> Iterator[Any]:
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _walk(layer)


def random_layers(model: Any) -> list[Any]:
    """The layers (nested ones included) that draw random numbers through a ``SeedGenerator``."""
    gen_type = keras().random.SeedGenerator
    return [layer for layer in _walk(model) if isinstance(getattr(layer, "seed_generator", None), gen_type)]


def _seed_states(model: Any) -> list[Any]:
    return [layer.seed_generator.state for layer in random_layers(model)]


@contextlib.contextmanager
def seeded(model: Any, seed: int | None) -> Iterator[None]:
    """Run the block with the model's random layers seeded, then undo every state change.

    Training mode can change state: BatchNormalization's moving statistics and the
    random layers' seed states. A trace is an observation, so everything is put
    back afterwards, except the seed states when ``seed`` is None: then each call
    draws anew, as Keras does during ``fit``. With a seed, the i-th random layer
    draws as a fresh layer built with ``seed=seed + i`` would.
    """
    seed_states = _seed_states(model)
    keep_advancing = {id(v) for v in seed_states} if seed is None else set()
    saved = [(v, np.array(v.numpy())) for v in model.non_trainable_variables if id(v) not in keep_advancing]
    try:
        if seed is not None:
            for i, state in enumerate(seed_states):
                state.assign(np.array([seed + i, 0], dtype=state.dtype))
        yield
    finally:
        for v, value in saved:
            v.assign(value)


def chunks(n: int, batch_size: int) -> list[slice]:
    """The slices a batch of ``n`` runs in: ``batch_size`` inputs each, the last one shorter (as ``predict``).

    Examples:
        >>> chunks(10, 4)
        [slice(0, 4, None), slice(4, 8, None), slice(8, 10, None)]
    """
    return [slice(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]


def run_in_chunks(
    cap: Capture, model: Any, batch: np.ndarray, training: bool, seed: int | None, batch_size: int
) -> list[np.ndarray]:
    """Every layer's output for ``batch``, computed ``batch_size`` inputs at a time.

    Each chunk's outputs are copied into arrays allocated once for the whole
    batch, so TensorFlow's working memory is that of one chunk, not of the batch.
    """
    n = len(batch)
    results: list[np.ndarray] = []
    # Training mode: seeded once for all chunks, so the random layers draw chunk after chunk as in
    # successive fit steps; the moving statistics are restored after the last one.
    with seeded(model, seed) if training else contextlib.nullcontext():
        for part in chunks(n, batch_size):
            outs = cap.call(batch[part], training)
            if part.stop - part.start == n:
                return outs  # one chunk: no copy
            if not results:
                results = [np.empty((n, *o.shape[1:]), dtype=o.dtype) for o in outs]
            for r, o in zip(results, outs):
                r[part] = o
    return results
