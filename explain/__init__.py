"""explain: TensorFlow's Hello World, taken apart line by line and layer by layer.

The program it explains, and where each line is taken apart (one folder per line)::

    (x_train, y_train), (x_test, y_test) = mnist.load_data()  # data/      load_mnist(), Dataset
    x_train, x_test = x_train / 255.0, x_test / 255.0         # data/      normalize(), scaling()
    # your own digit, as MNIST made its digits                # data/      prepare_digit()
    model = Sequential([Flatten(), Dense(512, relu),          # model.py   seed_model()
                        Dropout(0.2), Dense(10, softmax)])
    model(x)                                                  # forward/   trace(), flatten(), dense(),
                                                              #            dropout(), softmax(),
                                                              #            export_for_web()
    model.compile(optimizer='adam',                           # compile/   loss_by_hand(), logits_shortcut(),
                  loss='sparse_categorical_crossentropy')     #            sparse_vs_categorical(), gradients(),
                                                              #            adam_steps()
    model.fit(x_train, y_train, epochs=5)                     # fit/       train(), Recorder, trained()
    model.evaluate(x_test, y_test)                            # evaluation/ evaluate(), accuracy_gap()

When a run goes wrong, ``diagnosis/`` reads its log or history (`diagnose`)
and reproduces classic failures (`faults`). On top, ``figures/`` draws every
figure from results (never from models) and ``cli/`` is the ``explain``
command (``tour``, ``figures``, ``diagnose``, ``faults``); underneath,
``_core/`` holds the checks, constants, reports, files, the cache and the
lazy TensorFlow import; ``errors.py`` every error class. Imports run one way:
``_core`` ← ``data`` ← ``model`` ← ``forward`` ← ``compile`` ← ``fit`` ←
``evaluation`` ← ``diagnosis`` ← ``cli``, and ``figures`` uses ``_core`` only.

Every result prints as a table (``print(result)``), renders as HTML in a
notebook and as Markdown for the docs (see `explain._core.report`). Importing
explain is cheap: TensorFlow is imported (quietly) the first time a function
needs it.
"""

from __future__ import annotations

import importlib
from typing import Any

from explain._core.constants import VERSION as __version__

# public name -> module that defines it; loaded on first use (PEP 562)
_EXPORTS = {
    # data/: the program's first two lines
    "Dataset": "explain.data.dataset",
    "DataDescription": "explain.data.dataset",
    "load_mnist": "explain.data.sources",
    "load_fashion_mnist": "explain.data.sources",
    "normalize": "explain.data.scaling",
    "scaling": "explain.data.scaling",
    "Scaling": "explain.data.scaling",
    "prepare_digit": "explain.data.digit",
    "PreparedDigit": "explain.data.digit",
    # model.py
    "seed_model": "explain.model",
    # forward/: model(x), layer by layer
    "trace": "explain.forward.trace",
    "Trace": "explain.forward.trace",
    "Step": "explain.forward.trace",
    "flatten": "explain.forward.flatten",
    "FlattenExplanation": "explain.forward.flatten",
    "dense": "explain.forward.dense",
    "DenseExplanation": "explain.forward.dense",
    "dropout": "explain.forward.dropout",
    "DropoutExplanation": "explain.forward.dropout",
    "softmax": "explain.forward.softmax",
    "SoftmaxExplanation": "explain.forward.softmax",
    "export_for_web": "explain.forward.web",
    # compile/: the loss and Adam by hand
    "loss_by_hand": "explain.compile.loss",
    "LossExplanation": "explain.compile.loss",
    "sparse_vs_categorical": "explain.compile.sparse",
    "SparseVsCategorical": "explain.compile.sparse",
    "logits_shortcut": "explain.compile.shortcut",
    "LogitsShortcut": "explain.compile.shortcut",
    "clipped_cost": "explain.compile.crossentropy",
    "cost_from_logits": "explain.compile.crossentropy",
    "gradients": "explain.compile.gradients",
    "GradientsExplanation": "explain.compile.gradients",
    "adam_update": "explain.compile.adam",
    "adam_steps": "explain.compile.adam_steps",
    "AdamExplanation": "explain.compile.adam_steps",
    # fit/: training, recorded and cached
    "train": "explain.fit.train",
    "TrainingRun": "explain.fit.run",
    "steps_per_epoch": "explain.fit.run",
    "Recorder": "explain.fit.recorder",
    "Snapshot": "explain.fit.snapshot",
    "trained": "explain.fit.cache",
    "trained_model": "explain.fit.cache",
    "Trained": "explain.fit.cache",
    # evaluation/
    "evaluate": "explain.evaluation.evaluate",
    "Evaluation": "explain.evaluation.evaluate",
    "accuracy_gap": "explain.evaluation.gap",
    "AccuracyGap": "explain.evaluation.gap",
    # diagnosis/: when training goes wrong
    "diagnose": "explain.diagnosis.diagnose",
    "Diagnosis": "explain.diagnosis.findings",
    "Finding": "explain.diagnosis.findings",
    "parse_log": "explain.diagnosis.logparse",
    "ParsedLog": "explain.diagnosis.logparse",
    "faults": "explain.diagnosis.faults",
    # figures/ and the command line's gallery
    "figures": "explain.figures",
    "teaching_figures": "explain.cli.gallery",
    "TeachingFigure": "explain.cli.gallery",
    "write_figures": "explain.cli.gallery",
    # errors.py
    "DataError": "explain.errors",
    "InputError": "explain.errors",
    "PictureError": "explain.errors",
    "ModelError": "explain.errors",
    "LayerNotFoundError": "explain.errors",
    "LogError": "explain.errors",
    "PixelScaleWarning": "explain.errors",
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
