"""Adam on a real batch: `adam_steps` takes steps with ``keras.optimizers.Adam`` and with NumPy, and compares.

The update itself is in `explain.compile.adam`; this module runs it on the
gradients of a real model's compiled loss, and reports the step sizes of the
first step (why every weight moves by about the learning rate), the bias
correction, and the difference from Keras at every step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explain._core import checks
from explain._core import formatting as fmt
from explain._core.report import Block, Rendered, Report, Table
from explain._core.tf import keras
from explain._core.warn import warn
from explain.compile.adam import adam_delta, check_hyper
from explain.errors import ExplanationWarning, InputError, ModelError
from explain.forward.capture import seeded

#: The quantiles of the first step's sizes that a result keeps (the last one is the maximum).
QUANTILES = (0.01, 0.25, 0.5, 0.75, 0.99, 1.0)

#: A gradient counts as "not tiny" when it is at least this many times Keras's effective ε at step 1.
#: The first step is then lr·|g| / (|g| + ε/√(1 - β2)) ≥ lr / 1.01: within 1 % of lr.
LARGE_GRADIENT = 100.0


@dataclass(frozen=True)
class WeightStep:
    """One weight's first Adam step, next to SGD's and to the step without bias correction.

    Attributes:
        label: why this weight was picked (``"largest |g|"``, ``"median |g|"`` …).
        index: its position in the variable, e.g. ``(406, 3)``: input 406, unit 3.
        gradient: g at step 1.
        m: the first moment after step 1: (1 - β1)·g.
        v: the second moment after step 1: (1 - β2)·g².
        adam: Keras's (and NumPy's) change Δθ.
        uncorrected: the change without bias correction.
        textbook: the change in the textbook form.
        sgd: plain gradient descent's change, -lr·g.

    Examples:
        >>> w = WeightStep("median |g|", (712, 308), 2.18e-3, 2.18e-4, 4.76e-9, -9.99e-4, -3.16e-3, -9.99e-4, -2.18e-6)
        >>> round(w.adam / w.sgd)  # Adam's first step against SGD's, on the same gradient
        458
    """

    label: str
    index: tuple[int, ...]
    gradient: float
    m: float
    v: float
    adam: float
    uncorrected: float
    textbook: float
    sgd: float


@dataclass(frozen=True, eq=False)
class StepSizes:
    """The first step's sizes for one variable (the first Dense kernel): Adam against plain SGD.

    Statistics only, not the 401,408 values: quantiles of |g|, of SGD's lr·|g| and
    of Adam's |Δθ| over the weights whose gradient is not 0, and a few sample weights.

    Attributes:
        variable: the variable's name, e.g. ``"dense/kernel"``.
        size: how many weights it has.
        zero_gradients: how many have g = 0 exactly (they do not move, under SGD or Adam).
        threshold: the "not tiny" gradient size: 100·ε/√(1 - β2).
        large: how many weights have |g| ≥ ``threshold``.
        quantiles: the quantile levels of the arrays below (1.0 is the maximum).
        gradient_quantiles: quantiles of |g| over the non-zero gradients.
        sgd_quantiles: quantiles of SGD's step lr·|g|.
        adam_quantiles: quantiles of Adam's step |Δθ|.
        median_ratio: median of |Δθ| / lr over the ``large`` weights (close to 1).
        uncorrected_median_ratio: the same without bias correction (close to (1-β1)/√(1-β2) ≈ 3.16).
        sign_agreement: share of non-zero gradients where sign(Δθ) = -sign(g).
        textbook_max_diff: largest |Keras's Δθ - textbook Δθ| over all weights.
        textbook_max_diff_gradient: |g| of the weight where that largest difference is.
        textbook_max_diff_large: the same largest difference over the ``large`` weights only.
        samples: a few weights, step by step (`WeightStep`).

    Examples:
        >>> import explain
                >>> sample = explain.load_mnist("sample")
        >>> s = adam_steps(explain.seed_model(), explain.normalize(sample.x_train[:32]), sample.y_train[:32]).step_sizes
        >>> s.variable, s.size, s.sign_agreement
        ('dense/kernel', 401408, 1.0)
        >>> [w.label for w in s.samples]
        ['largest |g|', 'median |g|', '|g| near ε/√(1-β2)', 'g = 0']
    """

    variable: str
    size: int
    zero_gradients: int
    threshold: float
    large: int
    quantiles: tuple[float, ...]
    gradient_quantiles: np.ndarray = field(repr=False)
    sgd_quantiles: np.ndarray = field(repr=False)
    adam_quantiles: np.ndarray = field(repr=False)
    median_ratio: float
    uncorrected_median_ratio: float
    sign_agreement: float
    textbook_max_diff: float
    textbook_max_diff_gradient: float
    textbook_max_diff_large: float
    samples: tuple[WeightStep, ...] = field(repr=False)

    @property
    def median_adam_over_sgd(self) -> float:
        """How many times larger Adam's median step is than SGD's, on the same gradients."""
        i = self.quantiles.index(0.5)
        return float(self.adam_quantiles[i] / self.sgd_quantiles[i])


@dataclass(frozen=True, eq=False)
class AdamExplanation(Rendered):
    """Adam's update recomputed in NumPy for a few steps, compared with ``keras.optimizers.Adam``.

    Attributes:
        learning_rate: lr.
        beta_1: β1.
        beta_2: β2.
        epsilon: ε.
        steps: how many steps were taken.
        batch_size: how many images the batch has.
        loss_name: the compiled loss the gradients are of.
        training: whether the gradients were computed in training mode (Dropout active).
        seed: the seed of the Dropout masks (used when ``training``).
        variables: the trainable variables' names, e.g. ``("dense/kernel", "dense/bias", …)``.
        shapes: their shapes.
        losses: the batch's loss before step 1, 2, … and after the last step, ``(steps + 1,)``
            (in training mode each value has its own Dropout mask, as in ``fit``).
        max_abs_diff: ``max |NumPy θ - Keras θ|`` after each step, per variable: ``(steps, variables)``.
        textbook_max_abs_diff: the same for the textbook form: ``(steps, variables)``.
        rescaled_epsilon_max_abs_diff: the same for the textbook form with ε/√(1 - β2^t)
            in place of ε, which is Keras's form rewritten: ``(steps, variables)``.
        weights: NumPy's weights after the last step, one array per variable.
        step_sizes: the first step's sizes for the first Dense kernel (`StepSizes`).
        notes: what a reader must know first: a model compiled with another loss than the tutorial's
            cross-entropy (the gradients, and so the steps, are that loss's).

    Examples:
        >>> import explain
                >>> sample = explain.load_mnist("sample")
        >>> a = adam_steps(explain.seed_model(), explain.normalize(sample.x_train[:32]), sample.y_train[:32], steps=2)
        >>> a.variables
        ('dense/kernel', 'dense/bias', 'dense_1/kernel', 'dense_1/bias')
        >>> a.max_abs_diff.shape, float(a.max_abs_diff.max()) < 1e-6
        ((2, 4), True)
        >>> round(a.step_sizes.median_ratio, 2), round(a.step_sizes.uncorrected_median_ratio, 2)
        (1.0, 3.16)
    """

    learning_rate: float
    beta_1: float
    beta_2: float
    epsilon: float
    steps: int
    batch_size: int
    loss_name: str
    training: bool
    seed: int
    variables: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    losses: np.ndarray = field(repr=False)
    max_abs_diff: np.ndarray = field(repr=False)
    textbook_max_abs_diff: np.ndarray = field(repr=False)
    rescaled_epsilon_max_abs_diff: np.ndarray = field(repr=False)
    weights: tuple[np.ndarray, ...] = field(repr=False)
    step_sizes: StepSizes = field(repr=False)
    notes: tuple[str, ...] = ()

    @property
    def max_diff(self) -> float:
        """The largest ``|NumPy θ - Keras θ|`` over every step and weight."""
        return float(self.max_abs_diff.max())

    @property
    def textbook_max_diff(self) -> float:
        """The largest ``|textbook θ - Keras θ|`` over every step and weight."""
        return float(self.textbook_max_abs_diff.max())

    @property
    def bias_correction(self) -> np.ndarray:
        """Per step t = 1 … steps: ``1 - β1^t``, ``1 - β2^t``, ``α_t / lr`` and Keras's effective ε.

        ``α_t / lr = √(1 - β2^t) / (1 - β1^t)``; the effective ε is ``ε / √(1 - β2^t)``,
        the ε of the textbook form that gives Keras's update. Shape ``(steps, 4)``, float64.
        """
        t = np.arange(1, self.steps + 1, dtype=np.float64)
        c1 = 1 - self.beta_1**t  # shrinks the zero-started m's bias away
        c2 = 1 - self.beta_2**t
        return np.stack([c1, c2, np.sqrt(c2) / c1, self.epsilon / np.sqrt(c2)], axis=1)

    def __repr__(self) -> str:
        return (
            f"AdamExplanation({self.steps} step{'s' if self.steps != 1 else ''}, batch {self.batch_size}, "
            f"lr {self.learning_rate:g}, loss {self.losses[0]:.4f} -> {self.losses[-1]:.4f}, "
            f"max |NumPy - Keras| {self.max_diff:.1e}, first step |Δθ|/lr median {self.step_sizes.median_ratio:.3f})"
        )

    def report(self) -> Report:
        s = self.step_sizes
        mode = (
            f"with Dropout in training mode (seed {self.seed}: a fresh mask at every step, as in fit)"
            if self.training
            else "in inference mode (Dropout off)"
        )
        blocks: list[Block] = [
            "Keras 3's Adam, for every weight θ with gradient g at step t: m ← m + (1-β1)(g - m); "
            "v ← v + (1-β2)(g² - v); α_t = lr·√(1-β2^t)/(1-β1^t); θ ← θ - α_t·m/(√v + ε). "
            "m and v start at 0.",
            f"Gradients of {self.loss_name} on a batch of {self.batch_size} images, taken with tf.GradientTape "
            f"{mode}, recomputed at every step from the updated weights. The same gradients go to the NumPy "
            f"update and to keras.optimizers.Adam(learning_rate={self.learning_rate:g}, beta_1={self.beta_1:g}, "
            f"beta_2={self.beta_2:g}, epsilon={self.epsilon:g}) on a copy of the model.",
        ]
        rows = []
        for t in range(self.steps):
            rows.append(
                (
                    str(t + 1),
                    fmt.num(self.losses[t], 4),
                    *(f"{d:.1e}" for d in self.max_abs_diff[t]),
                    f"{self.textbook_max_abs_diff[t].max():.1e}",
                )
            )
        blocks += [
            "Largest |NumPy θ - Keras θ| after each step, per variable (and the textbook form's, over all):",
            Table(
                ("step", "loss before", *self.variables, "textbook"), tuple(rows), align="r" * (3 + len(self.variables))
            ),
            f"NumPy's Keras-form update matches Keras to {self.max_diff:.1e}"
            + (" (bit for bit)." if self.max_diff == 0 else " (float32 rounding).")
            + f" The loss on this batch went from {self.losses[0]:.4f} to {self.losses[-1]:.4f}.",
            f"The textbook form (m̂ = m/(1-β1^t), v̂ = v/(1-β2^t), θ ← θ - lr·m̂/(√v̂ + ε)) differs from Keras by "
            f"up to {self.textbook_max_diff:.1e}. Keras adds ε to √v before the correction, which is the textbook "
            f"form with ε/√(1-β2^t) = {self.bias_correction[0, 3]:.2e} in place of ε = {self.epsilon:g} at t = 1; "
            f"with that ε the textbook form matches Keras to {self.rescaled_epsilon_max_abs_diff.max():.1e}. "
            f"The difference matters only for tiny gradients: at step 1 the largest is "
            f"{s.textbook_max_diff:.1e} at a weight of {s.variable} with |g| = {s.textbook_max_diff_gradient:.1e}, "
            f"but over the {fmt.count(s.large)} weights with |g| ≥ {s.threshold:.1e} it is "
            f"{s.textbook_max_diff_large:.1e}.",
        ]
        q = s.quantiles
        labels = {1.0: "max"}
        qrows = tuple(
            (
                labels.get(level, f"{100 * level:g} %"),
                f"{s.gradient_quantiles[i]:.2e}",
                f"{s.sgd_quantiles[i]:.2e}",
                f"{s.adam_quantiles[i]:.2e}",
                fmt.num(s.adam_quantiles[i] / self.learning_rate, 4),
            )
            for i, level in enumerate(q)
        )
        blocks += [
            f"Step 1, per weight, for {s.variable} ({fmt.count(s.size)} weights; "
            f"{fmt.count(s.zero_gradients)} have g = 0 exactly and do not move). "
            f"Quantiles over the non-zero gradients:",
            Table(("quantile", "|g|", "SGD lr·|g|", "Adam |Δθ|", "Adam |Δθ|/lr"), qrows, align="rrrrr"),
            f"SGD's step is proportional to the gradient; Adam's first step is about lr for every weight whose "
            f"gradient is not tiny: median |Δθ|/lr = {s.median_ratio:.4f} over the {fmt.count(s.large)} weights "
            f"with |g| ≥ {s.threshold:.1e}, and sign(Δθ) = -sign(g) for {fmt.pct(s.sign_agreement, 2)} of the "
            f"non-zero gradients. Adam's median step is {s.median_adam_over_sgd:,.0f} times SGD's here.",
        ]
        srows = tuple(
            (
                w.label,
                str(w.index),
                f"{w.gradient:.2e}",
                f"{w.m:.2e}",
                f"{w.v:.2e}",
                f"{w.adam:.2e}",
                f"{w.uncorrected:.2e}",
                f"{w.sgd:.2e}",
            )
            for w in s.samples
        )
        blocks += [
            "A few weights of " + s.variable + " at step 1:",
            Table(("weight", "index", "g", "m", "v", "Adam Δθ", "no correction", "SGD Δθ"), srows, align="llrrrrrr"),
        ]
        bc = self.bias_correction
        epoch = 1875  # ceil(60000 / 32): steps in one epoch of the tutorial's fit
        shown = list(range(min(self.steps, 10)))
        if self.steps > 10:
            shown.append(self.steps - 1)
        crows = tuple(
            (str(t + 1), f"{bc[t, 0]:.6f}", f"{bc[t, 1]:.6f}", f"{bc[t, 2]:.4f}", f"{bc[t, 3]:.2e}") for t in shown
        )
        blocks += [
            f"Bias correction: m and v start at 0, so after step 1 m = (1-β1)g = {1 - self.beta_1:g}·g and "
            f"v = (1-β2)g² = {1 - self.beta_2:g}·g². Uncorrected, the first step would be "
            f"lr·{1 - self.beta_1:g}|g|/(√{1 - self.beta_2:g}·|g| + ε) ≈ "
            f"{(1 - self.beta_1) / math.sqrt(1 - self.beta_2):.2f}·lr (measured median "
            f"{s.uncorrected_median_ratio:.4f}·lr); dividing by 1-β1^t and 1-β2^t brings it back to lr. "
            f"Both factors grow towards 1, so the correction fades: 1-β1^t within tens of steps, 1-β2^t only "
            f"over thousands (α_t/lr = {math.sqrt(1 - self.beta_2**epoch) / (1 - self.beta_1**epoch):.3f} at "
            f"t = {epoch:,}, the end of the tutorial's first epoch of 60,000/32 batches):",
            Table(("t", "1-β1^t", "1-β2^t", "α_t/lr", "effective ε"), crows, align="rrrrr"),
        ]
        blocks[:0] = list(self.notes)  # first: they change how everything below reads
        return Report(
            f"Adam, by hand: {self.steps} step{'s' if self.steps != 1 else ''} on a batch of {self.batch_size}",
            tuple(blocks),
        )


# -- checking what the user passes --------------------------------------------------------------


def _check_model(model: Any) -> None:
    checks.compiled_model(model, why="Adam follows the gradient of the compiled loss")
    if not model.trainable_variables:
        raise ModelError(
            f"Expected a model with trainable weights. Received: model '{model.name}' has none "
            f"(model.trainable is {model.trainable}); Adam would have nothing to update."
        )
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs or len(inputs) != 1 or len(model.outputs) != 1:
        raise ModelError(
            f"Expected a built Sequential or functional model with one input and one output. "
            f"Received: model '{model.name}' ({type(model).__name__})."
        )


def _labels(y: Any, n: int, single: bool, classes: int, sparse: bool) -> np.ndarray:
    """Integer labels for a sparse loss (the package's label rule); one-hot rows ``(n, classes)`` otherwise."""
    if sparse:
        return checks.labels(y, n, classes, single=single)
    arr = np.asarray(y)
    if single and arr.ndim == 1:
        arr = arr[None]
    if arr.shape != (n, classes) or not np.issubdtype(arr.dtype, np.number) or arr.dtype == bool:
        raise InputError(
            f"Expected one row of {classes} class probabilities per image (one-hot labels), shape ({n}, {classes}), "
            f"for a model compiled with a categorical loss. Received: {arr.dtype} array of shape "
            f"{fmt.shape(arr.shape)}. For integer labels, compile with loss='sparse_categorical_crossentropy'."
        )
    return arr


# -- the run ------------------------------------------------------------------------------------


def _first_step_sizes(
    name: str,
    g: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    adam: np.ndarray,
    uncorrected: np.ndarray,
    textbook: np.ndarray,
    learning_rate: float,
    beta_2: float,
    epsilon: float,
) -> StepSizes:
    a = np.abs(g).astype(np.float64)  # (784, 512)
    nonzero = a > 0
    threshold = LARGE_GRADIENT * epsilon / math.sqrt(1 - beta_2)  # 100 × Keras's effective ε at t = 1
    large = a >= threshold
    step = np.abs(adam).astype(np.float64)  # |Δθ|, (784, 512)
    sgd = learning_rate * a  # SGD's |Δθ| = lr·|g|
    levels = np.array(QUANTILES)
    nz = a[nonzero]

    def quantiles(values: np.ndarray) -> np.ndarray:
        return np.quantile(values, levels) if values.size else np.zeros(len(levels))

    diff = np.abs(adam.astype(np.float64) - textbook)
    worst = int(np.argmax(diff))

    # a few weights worth looking at: the largest, the median and a tiny non-zero gradient, and a zero one
    picks: list[tuple[str, int]] = []
    flat_nz = np.flatnonzero(nonzero)
    if flat_nz.size:
        order = flat_nz[np.argsort(a.flat[flat_nz], kind="stable")]
        eff = epsilon / math.sqrt(1 - beta_2)
        picks += [
            ("largest |g|", int(order[-1])),
            ("median |g|", int(order[len(order) // 2])),
            ("|g| near ε/√(1-β2)", int(flat_nz[np.argmin(np.abs(a.flat[flat_nz] - eff))])),
        ]
    zero = np.flatnonzero(~nonzero)
    if zero.size:
        picks.append(("g = 0", int(zero[0])))
    samples = tuple(
        WeightStep(
            label=label,
            index=tuple(int(i) for i in np.unravel_index(flat, g.shape)),
            gradient=float(g.flat[flat]) + 0.0,  # + 0.0 turns -0.0 into 0.0
            m=float(m.flat[flat]) + 0.0,
            v=float(v.flat[flat]) + 0.0,
            adam=float(adam.flat[flat]) + 0.0,
            uncorrected=float(uncorrected.flat[flat]) + 0.0,
            textbook=float(textbook.flat[flat]) + 0.0,
            sgd=float(-learning_rate * g.flat[flat]) + 0.0,
        )
        for label, flat in picks
    )
    return StepSizes(
        variable=name,
        size=int(g.size),
        zero_gradients=int((~nonzero).sum()),
        threshold=float(threshold),
        large=int(large.sum()),
        quantiles=QUANTILES,
        gradient_quantiles=quantiles(nz),
        sgd_quantiles=quantiles(sgd[nonzero]),
        adam_quantiles=quantiles(step[nonzero]),
        median_ratio=float(np.median(step[large] / learning_rate)) if large.any() else float("nan"),
        uncorrected_median_ratio=(
            float(np.median(np.abs(uncorrected[large]) / learning_rate)) if large.any() else float("nan")
        ),
        sign_agreement=float(np.mean(np.sign(adam[nonzero]) == -np.sign(g[nonzero]))) if nz.size else float("nan"),
        textbook_max_diff=float(diff.flat[worst]),
        textbook_max_diff_gradient=float(a.flat[worst]),
        textbook_max_diff_large=float(diff[large].max()) if large.any() else 0.0,
        samples=samples,
    )


def adam_steps(
    model: Any,
    x: Any,
    y: Any,
    *,
    steps: int = 1,
    learning_rate: float = 0.001,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-7,
    seed: int = 0,
    training: bool = True,
) -> AdamExplanation:
    """Take Adam steps on a real batch, in NumPy and with ``keras.optimizers.Adam``, and compare.

    The model is copied (``keras.models.clone_model`` and its weights), so the
    model you pass is left exactly as it was: weights, optimizer and Dropout
    seed state. At each step the gradient of the compiled loss with respect to
    every trainable weight is taken with ``tf.GradientTape`` on the copy, at
    the copy's current weights; that same gradient goes to

    - the NumPy update in Keras's form (`adam_update`), which carries
      its own weights, m and v from step to step;
    - ``keras.optimizers.Adam`` with the same hyper-parameters, which updates
      the copy (so the next gradient is Keras's, as in ``fit``);
    - the textbook form and the textbook form with ε/√(1 - β2^t), for comparison.

    With ``training=True`` (the default, as in ``fit``) Dropout is active:
    its masks are drawn from ``seed``, a fresh mask at every step, so the
    same seed gives the same run, and the first step's mask is the one
    ``explain.trace(model, x, training=True, seed=seed)`` shows. With
    ``training=False`` Dropout is off and the gradients are deterministic.

    Args:
        model: a compiled Keras model, e.g. `explain.seed_model`.
        x: a batch of images scaled to [0, 1], e.g. ``(32, 28, 28)`` (one image works too).
        y: the labels, one integer class per image, e.g. ``(32,)``.
        steps: how many consecutive steps to take on this batch.
        learning_rate: lr (Keras's default 0.001).
        beta_1: β1 (0.9).
        beta_2: β2 (0.999).
        epsilon: ε (Keras's default 1e-7).
        seed: the seed of the Dropout masks.
        training: compute the gradients in training mode (Dropout active).

    Returns:
        An `AdamExplanation`.

    Warns:
        ExplanationWarning: the model is compiled with another loss than cross-entropy: the steps are
            that loss's (the result's ``notes`` and report say so first).

    Raises:
        ValueError: ``steps`` < 1, a seed outside 0 … 2**32 - 1, ``training`` not True or False, or a
            hyper-parameter out of range.
        ModelError: the model is not a compiled Keras model with trainable weights and one input.
        InputError: ``x`` has the wrong shape or values, or ``y`` is not one class label per image; or the
            loss or a gradient overflowed to inf or NaN at some step (see `explain._core.checks.finite_result`).

    Examples:
        >>> import explain
        >>> sample = explain.load_mnist("sample")
                >>> model = explain.seed_model()
        >>> a = adam_steps(model, explain.normalize(sample.x_train[:32]), sample.y_train[:32])
        >>> a.max_diff < 1e-6  # NumPy's Adam against Keras's, float32
        True
        >>> a.step_sizes.variable, a.step_sizes.sign_agreement
        ('dense/kernel', 1.0)
        >>> a.bias_correction[0, :3].round(4)  # 1-β1, 1-β2 and α_1/lr = √(1-β2)/(1-β1) at t = 1
        array([0.1   , 0.001 , 0.3162])
    """
    steps, seed, training = checks.positive_int("steps", steps), checks.seed(seed), checks.flag("training", training)
    learning_rate, beta_1, beta_2, epsilon = check_hyper(learning_rate, beta_1, beta_2, epsilon)
    _check_model(model)
    k = keras()
    import tensorflow as tf

    model_input = model.inputs[0]
    batch, single = checks.model_batch(x, tuple(model_input.shape[1:]), dtype=model_input.dtype, model_name=model.name)
    loss_name = checks.loss_name(model.loss)
    classes = model.outputs[0].shape[-1]
    labels = _labels(y, batch.shape[0], single, classes, sparse="sparse" in loss_name)

    try:
        copy = k.models.clone_model(model)  # new layers, new variables; compiled like the model
    except Exception as e:  # subclassed models without get_config, and the like
        raise ModelError(f"Expected a model that keras.models.clone_model can copy. Received: {e}") from e
    copy.set_weights(model.get_weights())
    if not copy.compiled:  # clone_model compiles the copy from the model's compile config; be sure
        copy.compile(loss=model.loss)
    variables = list(copy.trainable_variables)
    prefix = copy.name + "/"
    names = tuple(v.path[len(prefix) :] if v.path.startswith(prefix) else v.path for v in variables)
    optimizer = k.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
    hyper = (learning_rate, beta_1, beta_2, epsilon)

    def loss_and_gradients() -> tuple[float, list[np.ndarray]]:
        with tf.GradientTape() as tape:
            y_pred = copy(batch, training=training)  # (n, 10)
            loss = copy.compute_loss(x=batch, y=labels, y_pred=y_pred, training=training)  # the compiled loss
        grads = tape.gradient(loss, variables)
        missing = [n for n, g in zip(names, grads) if g is None]
        if missing:
            raise ModelError(
                f"Expected every trainable weight to affect the loss. Received: no gradient for {', '.join(missing)}."
            )
        result = float(loss), [np.asarray(g) for g in grads]
        where = f" at step {len(losses) + 1} of {steps}"
        checks.finite_result(result[0], what="loss", model_name=model.name, batch=batch, where=where)
        for name, g in zip(names, result[1]):
            checks.finite_result(g, what=f"gradients ({name})", model_name=model.name, batch=batch, where=where)
        return result

    start = [np.array(v.numpy()) for v in variables]
    numpy_w = [w.copy() for w in start]  # NumPy's weights, Keras's form
    textbook_w = [w.copy() for w in start]  # the textbook form
    rescaled_w = [w.copy() for w in start]  # the textbook form with ε/√(1-β2^t)
    ms = [np.zeros_like(w) for w in start]
    vs = [np.zeros_like(w) for w in start]
    ms_tb, vs_tb = [np.zeros_like(w) for w in start], [np.zeros_like(w) for w in start]
    ms_rs, vs_rs = [np.zeros_like(w) for w in start], [np.zeros_like(w) for w in start]
    kernel = next((i for i, w in enumerate(start) if w.ndim >= 2), 0)  # the first Dense kernel, (784, 512)

    losses: list[float] = []
    diffs = np.zeros((steps, len(variables)))
    tb_diffs = np.zeros((steps, len(variables)))
    rs_diffs = np.zeros((steps, len(variables)))
    step_sizes: StepSizes | None = None
    with seeded(copy, seed if training else None):  # the copy's Dropout masks: seed, seed + 1 draw, …
        for t in range(1, steps + 1):
            loss, grads = loss_and_gradients()
            losses.append(loss)
            optimizer.apply(grads, variables)  # Keras's Adam updates the copy in place
            eps_t = epsilon / math.sqrt(1 - beta_2**t)  # Keras's ε, moved into the textbook form
            for i, g in enumerate(grads):
                delta, ms[i], vs[i] = adam_delta(g, ms[i], vs[i], t, *hyper, "keras")
                numpy_w[i] = numpy_w[i] + delta
                tb_delta, ms_tb[i], vs_tb[i] = adam_delta(g, ms_tb[i], vs_tb[i], t, *hyper, "textbook")
                textbook_w[i] = textbook_w[i] + tb_delta
                rs_delta, ms_rs[i], vs_rs[i] = adam_delta(
                    g, ms_rs[i], vs_rs[i], t, learning_rate, beta_1, beta_2, eps_t, "textbook"
                )
                rescaled_w[i] = rescaled_w[i] + rs_delta
                keras_w = np.asarray(variables[i].numpy())
                diffs[t - 1, i] = np.max(np.abs(numpy_w[i] - keras_w))
                tb_diffs[t - 1, i] = np.max(np.abs(textbook_w[i] - keras_w))
                rs_diffs[t - 1, i] = np.max(np.abs(rescaled_w[i] - keras_w))
                if t == 1 and i == kernel:
                    zeros = np.zeros_like(g)
                    uncorrected, _, _ = adam_delta(g, zeros, zeros, 1, *hyper, "uncorrected")
                    step_sizes = _first_step_sizes(
                        names[i], g, ms[i], vs[i], delta, uncorrected, tb_delta, learning_rate, beta_2, epsilon
                    )
        y_pred = copy(batch, training=training)  # after the last step, with the next Dropout mask
        losses.append(float(copy.compute_loss(x=batch, y=labels, y_pred=y_pred, training=training)))
    assert step_sizes is not None  # steps ≥ 1
    return AdamExplanation(
        learning_rate=learning_rate,
        beta_1=beta_1,
        beta_2=beta_2,
        epsilon=epsilon,
        steps=steps,
        batch_size=int(batch.shape[0]),
        loss_name=loss_name,
        training=training,
        seed=seed,
        variables=names,
        shapes=tuple(tuple(int(d) for d in w.shape) for w in start),
        losses=np.array(losses),
        max_abs_diff=diffs,
        textbook_max_abs_diff=tb_diffs,
        rescaled_epsilon_max_abs_diff=rs_diffs,
        weights=tuple(numpy_w),
        step_sizes=step_sizes,
        notes=_loss_notes(model.name, loss_name),
    )


def _loss_notes(model_name: str, loss_name: str) -> tuple[str, ...]:
    """A note (and an ExplanationWarning) when the compiled loss is not the tutorial's cross-entropy."""
    squashed = loss_name.replace("_", "").lower()
    if squashed in ("sparsecategoricalcrossentropy", "categoricalcrossentropy"):
        return ()
    note = (
        f"Model '{model_name}' is compiled with loss='{loss_name}', not the tutorial's cross-entropy: the gradients, "
        f"and so every step and loss below, are those of {loss_name}. Adam's update is the same for any loss, but "
        f"these are not the numbers the tutorial's model would give; compile with "
        f"loss='sparse_categorical_crossentropy' to see those."
    )
    warn(f"explain: {note}", ExplanationWarning)
    return (note,)
