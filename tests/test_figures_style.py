"""Every figure reads where it is shown: at most 7.5 in wide, every text at least 11 pt, text at 4.5:1 contrast.

The docs' text column is 748 CSS px wide at a 1280 px window, 7.8 in at 96 CSS px per inch, so a
figure no wider than 7.5 in is shown at its own size and its points are the reader's points (the
page's body text is 12 pt). Colours: Okabe & Ito's palette, black or white text on coloured cells,
whichever contrasts more (WCAG 2).
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.text import Text
from test_figures import HISTORY, make_dense, make_dropout, make_flatten, make_softmax, raw_digit
from test_figures_training import CM, EDGES, PER_CLASS, activation_counts, digits, kernel

from explain import figures
from explain.data.dataset import FASHION_CLASSES
from explain.data.digit import prepare_digit
from explain.figures import _style

#: Every public figure, drawn from numbers alone, with the inputs the docs and the slides use.
FIGURES: dict[str, Callable[[], Figure]] = {
    "digit": lambda: figures.digit(raw_digit(), label=1),
    "pixel_values": lambda: figures.pixel_values(raw_digit()),
    "flatten_strip": lambda: figures.flatten_strip(make_flatten()),
    "dense_histograms": lambda: figures.dense_histograms(make_dense()),
    "dropout_mask": lambda: figures.dropout_mask(make_dropout()),
    "softmax_bars": lambda: figures.softmax_bars(make_softmax()),
    "softmax_bars_fashion": lambda: figures.softmax_bars(make_softmax(names=FASHION_CLASSES)),
    "training_curves": lambda: figures.training_curves(HISTORY),
    "confusion_matrix": lambda: figures.confusion_matrix(CM),
    "confusion_matrix_fashion": lambda: figures.confusion_matrix(CM, FASHION_CLASSES, normalize=True),
    "class_examples": lambda: figures.class_examples(digits(40), np.arange(40) % 10, per_class=4),
    "class_examples_fashion": lambda: figures.class_examples(
        digits(80), np.arange(80) % 10, FASHION_CLASSES, per_class=8
    ),
    "mistakes_gallery": lambda: figures.mistakes_gallery(
        digits(16), np.arange(16) % 10, (np.arange(16) + 3) % 10, np.linspace(0.99996, 0.9, 16)
    ),
    "mistakes_gallery_fashion": lambda: figures.mistakes_gallery(
        digits(16), np.arange(16) % 10, (np.arange(16) + 3) % 10, np.full(16, 0.97), FASHION_CLASSES
    ),
    "per_class_accuracy": lambda: figures.per_class_accuracy(PER_CLASS),
    "unit_weights": lambda: figures.unit_weights(kernel()),
    "activation_histograms": lambda: (lambda e, c, z: figures.activation_histograms(e, c, EDGES, zero_share=z))(
        *activation_counts()
    ),
    "network_diagram": lambda: figures.network_diagram(
        [
            figures_layer("input", "InputLayer", (28, 28), 0),
            figures_layer("flatten", "Flatten", (784,), 0),
            figures_layer("dense", "Dense", (512,), 401_920, "relu"),
            figures_layer("dropout", "Dropout", (512,), 0),
            figures_layer("dense_1", "Dense", (10,), 5_130, "softmax"),
        ],
        rates={"dropout": 0.2},
    ),
    "digit_steps": lambda: figures.digit_steps(prepare_digit(255 - raw_digit())),
    "with_note": lambda: figures.with_note(figures.training_curves(HISTORY), "trained 5 epochs on MNIST, seed 0"),
}


def figures_layer(name: str, kind: str, shape: tuple[int, ...], params: int, activation: str | None = None):
    from types import SimpleNamespace

    return SimpleNamespace(name=name, kind=kind, output_shape=shape, params=params, activation=activation)


def drawn_texts(fig: Figure) -> list[Text]:
    """Every text the figure draws: visible, not empty (tick labels included, once the figure is drawn)."""
    FigureCanvasAgg(fig).draw()
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def on_a_cell(t: Text) -> bool:
    """A number written on an image cell (a confusion count, a pixel value): its colour follows the cell's."""
    ax = t.axes
    return ax is not None and bool(ax.images) and t.get_transform() == ax.transData


def test_every_public_figure_is_checked_here() -> None:
    drawing = set(figures.__all__) - {"save", "grid_shape"}
    assert drawing <= {name.removesuffix("_fashion") for name in FIGURES}, drawing - set(FIGURES)


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figure_text_is_at_least_11_pt_at_the_size_shown(name: str) -> None:
    fig = FIGURES[name]()
    width, height = fig.get_size_inches()
    assert width <= _style.MAX_WIDTH <= 748 / 96  # shown at its own size in the docs' column at 1280 px
    assert height <= 11.0  # one screen and a bit, not a poster
    texts = drawn_texts(fig)
    assert texts, name
    small = sorted({(t.get_text()[:30], t.get_fontsize()) for t in texts if t.get_fontsize() < _style.MIN_FONT})
    assert not small, small


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figure_text_contrasts_with_what_is_behind_it(name: str) -> None:
    fig = FIGURES[name]()
    low = []
    for t in drawn_texts(fig):
        if on_a_cell(t):
            continue  # checked below, for every colour of the colour maps
        box = t.get_bbox_patch()
        behind = box.get_facecolor() if box is not None else fig.get_facecolor()
        ratio = _style.contrast(to_rgb(t.get_color()), behind)
        if ratio < 4.5:
            low.append((t.get_text()[:30], t.get_color(), round(ratio, 2)))
    assert not low, low


@pytest.mark.parametrize("cmap", [_style.CMAP, _style.CORRECT_CMAP, _style.CONFUSED_CMAP, _style.WEIGHT_CMAP])
def test_text_on_a_coloured_cell_is_black_or_white_at_4_5_to_1(cmap: str) -> None:
    for rgba in matplotlib.colormaps[cmap](np.linspace(0, 1, 256)):
        text = to_rgb(_style.text_color(rgba))
        assert _style.contrast(text, rgba) >= 4.5, (cmap, rgba)


def test_numbers_on_cells_use_that_rule() -> None:
    fig = figures.confusion_matrix(CM)
    ax = fig.axes[0]
    counted = 0
    for t in ax.texts:
        i, j = (round(v) for v in t.get_position()[::-1])
        if CM[i, j] == 0:
            continue  # written in a quiet grey on white
        im = ax.images[1] if i == j else ax.images[0]
        assert t.get_color() == _style.text_color(im.cmap(im.norm(CM[i, j])))
        counted += 1
    assert counted > 20


def test_the_palette_is_colour_blind_safe_and_visible_on_white() -> None:
    # Okabe & Ito's blue and vermillion: told apart by hue and by lightness, 3:1 on white for shapes
    assert (_style.BAR_COLOR, _style.PREDICTED_COLOR) == ("#0072B2", "#D55E00")
    for colour in (_style.BAR_COLOR, _style.PREDICTED_COLOR, _style.ZEROED_COLOR, *_style.HIGHLIGHTS):
        assert _style.contrast(to_rgb(colour), (1, 1, 1)) >= 3.0, colour
    # bars of two kinds differ in lightness too, not only in hue (what a red-green colour-blind reader still sees)
    assert abs(_style.luminance(to_rgb(_style.BAR_COLOR)) - _style.luminance(to_rgb(_style.PREDICTED_COLOR))) > 0.04
    assert _style.contrast(to_rgb(_style.QUIET_TEXT), (1, 1, 1)) >= 4.5


def test_contrast_is_wcag_2() -> None:
    assert _style.contrast((0, 0, 0), (1, 1, 1)) == pytest.approx(21.0)
    assert _style.contrast(to_rgb("#767676"), (1, 1, 1)) == pytest.approx(4.54, abs=0.01)  # the well-known AA grey
    assert _style.contrast(to_rgb("#717171"), to_rgb("#f5f5f5")) == pytest.approx(4.47, abs=0.01)  # Material's
