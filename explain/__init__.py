"""explain: TensorFlow's Hello World, taken apart line by line and layer by layer.

The program it explains::

    (x_train, y_train), (x_test, y_test) = mnist.load_data()   # explain.load_mnist()
    x_train, x_test = x_train / 255.0, x_test / 255.0          # explain.normalize(), explain.scaling()
    model = Sequential([Flatten, Dense(512, relu),
                        Dropout(0.2), Dense(10, softmax)])     # explain.seed_model()
    model(x)                                                   # explain.trace(model, x)
    model.compile(optimizer='adam',                            # explain.adam_steps()
                  loss='sparse_categorical_crossentropy')      # explain.loss_by_hand(), logits_shortcut()
    model.fit(x_train, y_train, epochs=5)                      # explain.train(), Recorder, trained()
    model.evaluate(x_test, y_test)                             # explain.evaluate(), accuracy_gap()

and, layer by layer, with numbers recomputed in NumPy and compared with Keras:
`flatten`, `dense`, `dropout`, `softmax`. When a run goes wrong,
`diagnose` reads its log or history and `faults` reproduces classic failures.
`explain.figures` draws every figure as a matplotlib figure, and
`teaching_figures` / `write_figures` list or save them all for slides; ``explain tour``,
``explain figures`` and ``explain diagnose`` do the same from the command line.

Importing explain is cheap: TensorFlow is imported (quietly) the first time a
function needs it.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it; loaded on first use (PEP 562)
_EXPORTS = {
    "Dataset": "explain.data",
    "DataDescription": "explain.data",
    "Scaling": "explain.normalization",
    "load_mnist": "explain.data",
    "load_fashion_mnist": "explain.data",
    "normalize": "explain.normalization",
    "scaling": "explain.normalization",
    "seed_model": "explain.model",
    "trace": "explain.tracing",
    "Trace": "explain.tracing",
    "Step": "explain.tracing",
    "flatten": "explain.layers.flatten",
    "FlattenExplanation": "explain.layers.flatten",
    "dense": "explain.layers.dense",
    "DenseExplanation": "explain.layers.dense",
    "dropout": "explain.layers.dropout",
    "DropoutExplanation": "explain.layers.dropout",
    "softmax": "explain.layers.softmax",
    "SoftmaxExplanation": "explain.layers.softmax",
    "train": "explain.training",
    "TrainingRun": "explain.training",
    "Recorder": "explain.training",
    "Snapshot": "explain.training",
    "steps_per_epoch": "explain.training",
    "trained": "explain.store",
    "trained_model": "explain.store",
    "Trained": "explain.store",
    "evaluate": "explain.evaluation",
    "Evaluation": "explain.evaluation",
    "accuracy_gap": "explain.evaluation",
    "AccuracyGap": "explain.evaluation",
    "loss_by_hand": "explain.crossentropy",
    "LossExplanation": "explain.crossentropy",
    "sparse_vs_categorical": "explain.crossentropy",
    "SparseVsCategorical": "explain.crossentropy",
    "logits_shortcut": "explain.crossentropy",
    "LogitsShortcut": "explain.crossentropy",
    "clipped_cost": "explain.crossentropy",
    "cost_from_logits": "explain.crossentropy",
    "adam_steps": "explain.adam",
    "adam_update": "explain.adam",
    "AdamExplanation": "explain.adam",
    "diagnose": "explain.diagnosis",
    "Diagnosis": "explain.diagnosis",
    "Finding": "explain.diagnosis",
    "parse_log": "explain.logparse",
    "ParsedLog": "explain.logparse",
    "LogError": "explain.logparse",
    "faults": "explain.faults",
    "figures": "explain.figures",
    "teaching_figures": "explain.gallery",
    "TeachingFigure": "explain.gallery",
    "write_figures": "explain.gallery",
    "DataError": "explain.errors",
    "InputError": "explain.errors",
    "ModelError": "explain.errors",
    "LayerNotFoundError": "explain.errors",
    "PixelScaleWarning": "explain.inputs",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'explain' has no attribute {name!r}")
    module = importlib.import_module(module_name)
    value = module if name in ("figures", "faults") else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
