"""Teaching figures in one go: ``write_figures(out)`` saves every figure explain draws.

For slides: the digit and its pixels, each layer's explanation for that digit
(untrained and trained), the training curves, the confusion matrix, the most
confident mistakes, per-class accuracy and what first-layer units look for.
The trained model comes from the cache (`explain.trained`), so a second
run takes seconds. Each file is written atomically; same settings, same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from explain import figures
from explain.data import Dataset, load_mnist
from explain.evaluation import evaluate
from explain.layers.dense import dense
from explain.layers.dropout import dropout
from explain.layers.flatten import flatten
from explain.layers.softmax import softmax
from explain.normalization import normalize


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

    Examples:
        >>> from explain.gallery import write_figures
        >>> paths = write_figures("/tmp/explain-figures", data="sample", epochs=1, echo=lambda s: None)
        >>> [p.name for p in paths][:3]
        ['digit.png', 'pixel_values.png', 'flatten.png']
    """
    from explain.model import seed_model
    from explain.store import trained

    ds = data if isinstance(data, Dataset) else load_mnist(data)
    if not 0 <= index < len(ds.y_test):
        raise ValueError(f"Expected index in [0, {len(ds.y_test)}) for the test split. Received: index={index}.")
    out = Path(out)
    raw, label = ds.x_test[index], int(ds.y_test[index])
    image = normalize(raw)
    untrained = seed_model(seed)
    t = trained(ds, epochs=epochs, seed=seed)
    ev = evaluate(t.model, ds)
    worst = ev.mistakes[:16]
    names = ds.class_names

    jobs: list[tuple[str, str, Callable[[], Any]]] = [
        ("digit.png", f"figures.digit(x_test[{index}], label={label})", lambda: figures.digit(raw, label=label)),
        ("pixel_values.png", f"figures.pixel_values(x_test[{index}])", lambda: figures.pixel_values(raw)),
        ("flatten.png", "figures.flatten_strip(explain.flatten(model, image))",
         lambda: figures.flatten_strip(flatten(untrained, image))),
        ("dense_untrained.png", "figures.dense_histograms(explain.dense(model, image))",
         lambda: figures.dense_histograms(dense(untrained, image))),
        ("dense_trained.png", "figures.dense_histograms(explain.dense(trained_model, image))",
         lambda: figures.dense_histograms(dense(t.model, image))),
        ("dropout_mask.png", f"figures.dropout_mask(explain.dropout(model, image, seed={seed}))",
         lambda: figures.dropout_mask(dropout(untrained, image, seed=seed))),
        ("softmax_untrained.png", "figures.softmax_bars(explain.softmax(model, image))",
         lambda: figures.softmax_bars(softmax(untrained, image, class_names=names))),
        ("softmax_trained.png", "figures.softmax_bars(explain.softmax(trained_model, image))",
         lambda: figures.softmax_bars(softmax(t.model, image, class_names=names))),
        ("training_curves.png", f"figures.training_curves(explain.trained(data, epochs={epochs}).history)",
         lambda: figures.training_curves(t.history)),
        ("confusion_matrix.png", "figures.confusion_matrix(explain.evaluate(trained_model, data).matrix)",
         lambda: figures.confusion_matrix(ev.matrix, names)),
        ("mistakes.png", "figures.mistakes_gallery(...)  # the 16 most confident mistakes",
         lambda: figures.mistakes_gallery(
             ds.x_test[worst], ev.labels[worst], ev.predicted[worst], ev.confidence[worst], names)),
        ("per_class_accuracy.png", "figures.per_class_accuracy(evaluation.per_class_accuracy)",
         lambda: figures.per_class_accuracy(ev.per_class_accuracy, names)),
        ("unit_weights.png", "figures.unit_weights(trained_model.get_layer('dense').get_weights()[0])",
         lambda: figures.unit_weights(t.model.get_layer("dense").get_weights()[0])),
    ]  # fmt: skip
    echo(f"Figures for x_test[{index}] (a {names[label]}) and the model trained {epochs} epoch{'s' * (epochs != 1)} "
         f"(seed {seed}, test accuracy {t.test_accuracy:.4f}) on {ds.source}:")  # fmt: skip
    paths = []
    for name, call, make in jobs:
        paths.append(figures.save(make(), out / name))
        echo(f"  {out / name}  ←  {call}")
    return paths
