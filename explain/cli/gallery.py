"""Teaching figures in one go: every figure explain draws, each with the call that makes it.

For slides: the digit and its pixels, the network, each layer's explanation for that digit
(untrained and trained), the training curves, the confusion matrix, the most
confident mistakes, per-class accuracy, what first-layer units look for, and
the digit drawn dark on white prepared as MNIST prepared its digits.
`teaching_figures` lists them (drawn on demand), `write_figures` saves them as
PNG files (``explain figures --out DIR``), and the docs' Teaching figures page
shows them. The trained model comes from the cache (`explain.trained`), so a
second run takes seconds. Each file is written atomically; same settings, same
bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explain import figures
from explain._core import checks
from explain._core.formatting import plural
from explain.cli.output import OutputFolder
from explain.data.dataset import Dataset
from explain.data.digit import prepare_digit
from explain.data.scaling import normalize
from explain.data.sources import load_mnist
from explain.evaluation.evaluate import evaluate
from explain.fit.cache import trained
from explain.forward.dense import dense
from explain.forward.dropout import dropout
from explain.forward.flatten import flatten
from explain.forward.softmax import softmax
from explain.forward.trace import trace
from explain.model import seed_model


@dataclass(frozen=True)
class TeachingFigure:
    """One teaching figure: its file name, what it shows, the call that draws it, and where it is explained.

    Attributes:
        name: the file name it is saved under (``"dropout_mask.png"``).
        title: what it shows, in a few words.
        call: the Python call that draws it, as a reader would type it.
        page: the docs page that explains it (``"dropout.md"``).
        run: which run it shows, as written under the figure's title: the untrained or
            the trained model, which data (``"untrained model (seed 0), x_test[0] of the full MNIST"``).
        draw: draws the figure, with ``run`` under its title, and returns a matplotlib
            ``Figure`` (a new one at each call).

    Examples:
        >>> import explain
        >>> first = explain.teaching_figures("sample", epochs=1)[0]
        >>> first.name, first.call
        ('digit.png', 'figures.digit(x_test[0], label=6)')
        >>> type(first.draw()).__name__
        'Figure'
    """

    name: str
    title: str
    call: str
    page: str
    run: str
    draw: Callable[[], Any] = field(repr=False, compare=False)


def _dataset(data: Dataset | str) -> Dataset:
    return data if isinstance(data, Dataset) else load_mnist(data)


def teaching_figures(
    data: Dataset | str = "auto", *, epochs: int = 5, seed: int = 0, index: int = 0
) -> list[TeachingFigure]:
    """Every teaching figure for test digit ``index``, untrained and trained, in the order of the program.

    The untrained model is `explain.seed_model` with ``seed``; the trained one is
    `explain.trained` with ``epochs`` and ``seed`` (from the cache, or trained
    once). Figures are drawn only when their ``draw()`` is called.

    Args:
        data: a `explain.Dataset` or a source for `explain.load_mnist`.
        epochs: epochs of the trained model.
        seed: the seed of the model and of the Dropout mask shown.
        index: which test image the layer figures follow.

    Returns:
        The `TeachingFigure`\\ s, the digit first, its preparation (`explain.prepare_digit`) last.

    Raises:
        ValueError: ``index`` is not a position in the test split.

    Examples:
        >>> import explain
        >>> figs = explain.teaching_figures("sample", epochs=1)
        >>> [f.name for f in figs][:4]
        ['digit.png', 'pixel_values.png', 'network.png', 'flatten.png']
        >>> figs[6].call
        'figures.dropout_mask(explain.dropout(model, image, seed=0))'
        >>> figs[6].run
        'untrained model (seed 0); x_test[0] of the shipped sample'
    """
    return _figures(_dataset(data), epochs, seed, index)[0]


def _figures(ds: Dataset, epochs: int, seed: int, index: int) -> tuple[list[TeachingFigure], Any]:
    """The figures and the `explain.Trained` they show (trained once, or loaded from the cache)."""
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(ds.y_test):
        raise ValueError(f"Expected index in [0, {len(ds.y_test)}) for the test split. Received: index={index!r}.")
    raw, label = ds.x_test[index], int(ds.y_test[index])
    image = normalize(raw)
    untrained = seed_model(seed)
    t = trained(ds, epochs=epochs, seed=seed)
    ev = evaluate(t.model, ds)
    worst = ev.mistakes[:16]
    names = ds.class_names

    where = "the shipped sample" if ds.is_sample else ("the full Fashion-MNIST" if ds.name == "fashion_mnist"
                                                           else "the full MNIST")  # fmt: skip
    digit_of = f"x_test[{index}] of {where}"
    before = f"untrained model (seed {seed}); {digit_of}"
    after = f"trained {epochs} epoch{'s' * (epochs != 1)} on {where} (seed {seed})"

    def job(name: str, title: str, call: str, page: str, run: str, draw: Callable[[], Any]) -> TeachingFigure:
        return TeachingFigure(name, title, call, page, run, lambda: figures.with_note(draw(), run))

    figs = [
        job("digit.png", "one test digit, with a colour bar",
            f"figures.digit(x_test[{index}], label={label})", "data.md", digit_of,
            lambda: figures.digit(raw, label=label)),
        job("pixel_values.png", "the same pixels before and after x / 255",
            f"figures.pixel_values(x_test[{index}])", "scaling.md", digit_of,
            lambda: figures.pixel_values(raw)),
        job("network.png", "the network: 784 → 512 → 10, with shapes and parameters",
            "figures.network_diagram(explain.trace(model, image), rates={'dropout': 0.2})", "model.md",
            f"read from a forward pass of the untrained model (seed {seed})",
            lambda: figures.network_diagram(trace(untrained, image),
                                            rates={"dropout": untrained.get_layer("dropout").rate})),
        job("flatten.png", "Flatten: the image laid out as a vector, row after row",
            "figures.flatten_strip(explain.flatten(model, image))", "flatten.md", digit_of,
            lambda: figures.flatten_strip(flatten(untrained, image))),
        job("dense_untrained.png", "Dense: z = x·W + b and relu(z), untrained",
            "figures.dense_histograms(explain.dense(model, image))", "dense.md", before,
            lambda: figures.dense_histograms(dense(untrained, image))),
        job("dense_trained.png", "Dense: z = x·W + b and relu(z), trained",
            "figures.dense_histograms(explain.dense(trained_model, image))", "dense.md", f"{after}; {digit_of}",
            lambda: figures.dense_histograms(dense(t.model, image))),
        job("dropout_mask.png", "Dropout: Keras's real mask in training mode",
            f"figures.dropout_mask(explain.dropout(model, image, seed={seed}))", "dropout.md", before,
            lambda: figures.dropout_mask(dropout(untrained, image, seed=seed))),
        job("softmax_untrained.png", "softmax: logits and probabilities, untrained",
            "figures.softmax_bars(explain.softmax(model, image))", "softmax.md", before,
            lambda: figures.softmax_bars(softmax(untrained, image, class_names=names))),
        job("softmax_trained.png", "softmax: logits and probabilities, trained",
            "figures.softmax_bars(explain.softmax(trained_model, image))", "softmax.md", f"{after}; {digit_of}",
            lambda: figures.softmax_bars(softmax(t.model, image, class_names=names))),
        job("training_curves.png", "loss and accuracy per epoch, as fit recorded them",
            f"figures.training_curves(explain.trained(data, epochs={epochs}).history)", "fit.md", after,
            lambda: figures.training_curves(t.history)),
        job("confusion_matrix.png", "which class the model predicts for each true class",
            "figures.confusion_matrix(explain.evaluate(trained_model, data).matrix)", "evaluate.md",
            f"{after}; its test images",
            lambda: figures.confusion_matrix(ev.matrix, names)),
        job("mistakes.png", "the 16 most confident mistakes on the test split",
            "figures.mistakes_gallery(...)  # the 16 most confident mistakes", "evaluate.md", after,
            lambda: figures.mistakes_gallery(
                ds.x_test[worst], ev.labels[worst], ev.predicted[worst], ev.confidence[worst], names)),
        job("per_class_accuracy.png", "test accuracy class by class",
            "figures.per_class_accuracy(evaluation.per_class_accuracy)", "evaluate.md", after,
            lambda: figures.per_class_accuracy(ev.per_class_accuracy, names)),
        job("unit_weights.png", "what first-layer units look for: their 784 weights as 28 × 28 images",
            "figures.unit_weights(trained_model.get_layer('dense').get_weights()[0])", "dense.md", after,
            lambda: figures.unit_weights(t.model.get_layer("dense").get_weights()[0])),
        job("digit_steps.png", "the digit drawn dark on white, made into what MNIST made, step by step",
            f"figures.digit_steps(explain.prepare_digit(255 - x_test[{index}]))", "draw.md",
            f"{digit_of}, drawn dark on white (255 - x)",
            lambda: figures.digit_steps(prepare_digit(255 - raw))),
    ]  # fmt: skip
    return figs, t


def write_figures(
    out: str | Path = "explain-figures",
    *,
    data: Dataset | str = "auto",
    epochs: int = 5,
    seed: int = 0,
    index: int = 0,
    echo: Callable[[str], None] = print,
) -> list[Path]:
    """Save every teaching figure as PNG into ``out`` and say which call makes each.

    Args:
        out: the folder (created if needed).
        data: a `explain.Dataset` or a source for `explain.load_mnist`.
        epochs: epochs of the trained model (from the cache, or trained once).
        seed: the seed of the model and of the Dropout mask shown.
        index: which test image the layer figures follow.
        echo: where the list of files goes.

    Returns:
        The paths written, in order.

    Raises:
        OutputError: ``out`` cannot take the figures (a file, a read-only folder, a full disk): checked
            before the data is loaded or a model trained. If drawing or writing fails later, the figures
            written so far are removed.

    Examples:
        >>> import explain, tempfile
        >>> paths = explain.write_figures(tempfile.mkdtemp(), data="sample", epochs=1, echo=lambda s: None)
        >>> [p.name for p in paths][:3]
        ['digit.png', 'pixel_values.png', 'network.png']
    """
    epochs, seed = checks.positive_int("epochs", epochs), checks.seed(seed)
    checks.index("index", index, None)
    output = OutputFolder(out, name="out")  # before any work: not after training, as a full disk was found
    with output:
        ds = _dataset(data)
        # Training on the full MNIST takes a minute or more the first time: say so before, not after.
        echo(f"Loading the model trained {plural(epochs, 'epoch')} from explain's cache, or training it once …")
        jobs, t = _figures(ds, epochs, seed, index)
        label = int(ds.y_test[index])
        echo(f"Figures for x_test[{index}] (a {ds.class_names[label]}) and the model trained {plural(epochs, 'epoch')} "
             f"(seed {seed}, test accuracy {t.test_accuracy:.4f}) on {ds.source}:")  # fmt: skip
        for job in jobs:
            path = output.save_figure(job.draw(), job.name)
            echo(f"  {path}  ←  {job.call}")
    return list(output.written)
