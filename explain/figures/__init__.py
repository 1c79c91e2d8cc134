"""Figures: a result goes in, a matplotlib `matplotlib.figure.Figure` comes out.

One function per picture the Hello World needs:

- `digit`: one image with a colour bar, the tutorial's ``plt.imshow(x); plt.colorbar()``;
- `pixel_values`: the same pixels before and after ``x / 255``, with the numbers;
- `flatten_strip`: the image and the 784-vector Flatten makes of it, row after row;
- `dense_histograms`: ``z = x·W + b`` and the activation, as two histograms;
- `dropout_mask`: Keras's real Dropout mask, with the layer's input and output;
- `softmax_bars`: the ten logits and the ten probabilities softmax makes of them;
- `network_diagram`: the whole network, 784 → 512 → 10, with shapes and parameter counts;
- `digit_steps`: a picture of a digit becoming MNIST's 28 × 28 image, step by step (`explain.prepare_digit`);
- `training_curves`: loss and accuracy per epoch from ``model.fit(...).history``;
- the training and evaluation figures: `confusion_matrix`, `class_examples`, `mistakes_gallery`,
  `unit_weights`, `activation_histograms`, `per_class_accuracy`;
- `with_note`: say under a figure's title which run it shows (trained or not, which data);
- `save`: write a figure to disk, atomically and byte for byte reproducibly.

Every drawing function is pure: it reads its argument, builds a new ``Figure``
and returns it (`with_note` adds a line to the figure it is given). Nothing here
touches ``matplotlib.pyplot`` (so no global figure state, no GUI backend, nothing
to close) and nothing imports TensorFlow: the explanation objects are read by
duck typing (any object with the attributes a docstring lists will do), so
figures can be drawn from saved results, in the docs build, or in a test,
without Keras. In a Jupyter notebook, run ``%matplotlib inline`` once and a
returned ``Figure`` displays itself (without it, Jupyter shows only
``<Figure size …>``); elsewhere, `save` it.

Every figure is at most 7.5 inches wide with every text at least 11 points, so
that shown at its own size (the docs' text column at 1280 px, a slide) it reads
like the page around it; colours are safe for colour-blind readers.
"""

from explain.figures._style import grid_shape
from explain.figures.evaluation import class_examples, confusion_matrix, mistakes_gallery, per_class_accuracy
from explain.figures.layers import dense_histograms, digit, dropout_mask, flatten_strip, pixel_values, softmax_bars
from explain.figures.network import network_diagram
from explain.figures.notes import with_note
from explain.figures.preparation import digit_steps
from explain.figures.saving import save
from explain.figures.training import activation_histograms, training_curves, unit_weights

__all__ = [
    "activation_histograms",
    "class_examples",
    "confusion_matrix",
    "dense_histograms",
    "digit",
    "digit_steps",
    "dropout_mask",
    "flatten_strip",
    "grid_shape",
    "mistakes_gallery",
    "network_diagram",
    "per_class_accuracy",
    "pixel_values",
    "save",
    "softmax_bars",
    "training_curves",
    "unit_weights",
    "with_note",
]
