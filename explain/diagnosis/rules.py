"""The rules `explain.diagnose` applies, one function per failure, each returning its findings.

Every rule reads a `Context` (the per-epoch history, the evaluate
result, error and warning lines from a log, Recorder snapshots, and facts
about the data and the model when given) and returns `explain.diagnosis.Finding`
objects whose evidence holds the numbers that triggered them. The numbers the
rules rest on:

- an untrained ten-class model scores ``ln 10 = 2.3026`` (it gives each class about 1/10);
- a probability-based cross-entropy clips ``p`` into ``[1e-7, 1 − 1e-7]``, so one
  wrong and sure sample costs at most ``−ln(1e-7) = 16.118``: when every sample is
  either right and sure or wrong and sure, ``loss ≈ 16.118 × (1 − accuracy)``;
- chance accuracy for ten classes is 0.1.

Pure Python: no TensorFlow here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from explain._core.constants import DOCS_FAILURES as DOCS
from explain._core.constants import LN10, MAX_COST
from explain.diagnosis.findings import Finding

CAUSE_UNSCALED = (
    "inputs not scaled to [0, 1]: pixels 0–255 make the hidden layer's outputs and the scores 255 times "
    "too large, so the softmax saturates"
)
CAUSE_CLIPPED = (
    "the loss is computed from clipped probabilities instead of from the logits (older Keras; Keras 3 on the "
    "JAX or PyTorch backend; a custom loss; a softmax Keras cannot see, e.g. one computed in a Lambda): "
    "saturated samples then pass no gradient"
)
CAUSE_LR = "a learning rate so high that the first steps push the scores to extremes"
FIX_SATURATED = (
    "Scale the inputs: x_train, x_test = x_train / 255.0, x_test / 255.0. To make the loss immune to "
    "saturation, end the model with Dense(10) (no activation), compile with "
    "keras.losses.SparseCategoricalCrossentropy(from_logits=True), and apply softmax to predictions."
)


@dataclass
class Context:
    """What the rules can read. Only ``history`` is always there."""

    history: dict[str, list[float]]
    evaluation: dict[str, float] | None = None
    messages: tuple[str, ...] = ()
    snapshots: tuple[Any, ...] = ()
    data: Any = None  # DataFacts
    model: Any = None  # ModelFacts
    probe: Any = None  # ProbeFacts
    partial_last: bool = False
    passed: list[str] = field(default_factory=list)  # checks that found nothing wrong, in words

    @property
    def loss(self) -> list[float]:
        return self.history.get("loss", [])

    @property
    def accuracy(self) -> list[float]:
        return self.history.get("accuracy", [])

    @property
    def n_classes(self) -> int:
        return int(self.model.output_units) if self.model is not None and self.model.output_units else 10

    @property
    def learning_rate(self) -> float | None:
        if self.model is not None and self.model.learning_rate is not None:
            return float(self.model.learning_rate)
        lrs = [v for v in self.history.get("learning_rate", []) if math.isfinite(v)]
        return lrs[-1] if lrs else None

    @property
    def dead_units(self) -> list[float]:
        """Dead-unit shares, one per snapshot (epoch 0 first), or the probe's one value."""
        if self.snapshots:
            return [float(s.dead_units) for s in self.snapshots]
        if self.probe is not None and self.probe.dead_units is not None:
            return [float(self.probe.dead_units)]
        return []


def _r(x: float, digits: int = 3) -> float:
    return round(float(x), digits) if math.isfinite(x) else float(x)


def _n(x: float, digits: int = 3) -> str:
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    return f"{x:,.{digits}f}" if abs(x) < 1e5 else f"{x:.3g}"


def _ranked(causes: list[tuple[float, str]]) -> tuple[str, ...]:
    return tuple(text for _, text in sorted(causes, key=lambda c: -c[0]))


def _finite(values: list[float]) -> list[float]:
    return [v for v in values if math.isfinite(v)]


def _epochs(values: list[float]) -> str:
    return ", ".join(_n(v) for v in values)


def _unscaled_weight(ctx: Context, default: float) -> float:
    if ctx.data is None:
        return default
    return 0.95 if ctx.data.unscaled else 0.02


def _accuracy_and_rate(ctx: Context, facts: list[str], evidence: dict[str, Any]) -> None:
    """Add the accuracy per epoch and the learning rate, where known, to a finding's facts and evidence."""
    if ctx.accuracy:
        facts.append(f"Accuracy per epoch: {_epochs(ctx.accuracy)}.")
        evidence["accuracy"] = [_r(v, 4) for v in ctx.accuracy]
    if ctx.learning_rate is not None:
        facts.append(f"The learning rate is {ctx.learning_rate:g} (Adam's default: 0.001).")


def _lr_weight(ctx: Context, default: float) -> float:
    lr = ctx.learning_rate
    if lr is None:
        return default
    return 0.9 if lr >= 0.01 else 0.05


# -- log messages --------------------------------------------------------------------------------------

_SHAPES = re.compile(r"target\.shape=\(([^)]*)\),?\s*output\.shape=\(([^)]*)\)")
_OLD_CATEGORICAL = re.compile(r"target array of shape \((\d+), (\d+)\) while using as loss `categorical_crossentropy`")
# At most 15 digits: int() refuses numbers of over 4,300 digits, and no label or class count is that long.
_OUT_OF_RANGE = re.compile(r"label value of (-?\d{1,15}) which is outside the valid range of \[0, (\d{1,15})\)")
_FROM_LOGITS = re.compile(r"received `from_logits=True`, but the `output` argument was produced by a (\w+) activation")


def _shape(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",") if p.strip())


def rule_messages(ctx: Context) -> list[Finding]:
    """Errors and warnings Keras printed that name a loss/label mismatch."""
    out: list[Finding] = []
    seen: set[str] = set()
    for text in ctx.messages:
        m = _OUT_OF_RANGE.search(text)
        if m and "labels-out-of-range" not in seen:
            seen.add("labels-out-of-range")
            value, classes = int(m.group(1)), int(m.group(2))
            said = f"Keras stopped: a label value of {value} is outside the valid range [0, {classes})."
            out.append(_out_of_range({"label": value, "classes": classes, "message": text[:300]}, ctx, said))
            continue
        m = _FROM_LOGITS.search(text)
        if m and "from-logits-on-softmax" not in seen:
            seen.add("from-logits-on-softmax")
            out.append(_from_logits_on_softmax({"activation": m.group(1), "message": text[:300]},
                                               f"Keras warned that from_logits=True was given an output "
                                               f"already passed through {m.group(1)}."))  # fmt: skip
            continue
        shapes = _SHAPES.search(text)
        old = _OLD_CATEGORICAL.search(text)
        if (shapes or old) and "loss-label-mismatch" not in seen:
            seen.add("loss-label-mismatch")
            if old:
                target, output = (old.group(1), old.group(2)), ("None", "10")
            else:
                assert shapes is not None
                target, output = _shape(shapes.group(1)), _shape(shapes.group(2))
            one_hot_wanted = len(target) < len(output) or (len(target) == len(output) and target[-1:] == ("1",))
            out.append(_mismatch(
                {"target_shape": list(target), "output_shape": list(output), "message": text[:300]},
                one_hot_wanted=one_hot_wanted if "ndim - 1" not in text else False,
                said=f"Keras stopped: labels of shape ({', '.join(target)}) do not fit outputs of shape "
                     f"({', '.join(output)}).",
            ))  # fmt: skip
    return out


def _mismatch(evidence: dict[str, Any], *, one_hot_wanted: bool, said: str) -> Finding:
    if one_hot_wanted:
        causes = (
            "loss='categorical_crossentropy' expects one-hot labels, shape (n, 10); the labels are integers 0–9, "
            "shape (n,)",
        )
        fix = ("Use loss='sparse_categorical_crossentropy' with integer labels (as the tutorial does), or one-hot "
               "the labels: keras.utils.to_categorical(y, 10).")  # fmt: skip
    else:
        causes = ("loss='sparse_categorical_crossentropy' expects one integer per image, shape (n,); the labels "
                  "are one-hot, shape (n, 10)",)  # fmt: skip
        fix = ("Use loss='categorical_crossentropy' with one-hot labels, or turn them back into integers: "
               "y.argmax(axis=1).")  # fmt: skip
    return Finding(
        "loss-label-mismatch", "problem", "The loss and the labels do not fit each other.", evidence, (said,), causes,
        fix, f"{DOCS}#loss-and-labels", 0.95,
    )  # fmt: skip


def _out_of_range(evidence: dict[str, Any], ctx: Context, said: str) -> Finding:
    causes = [
        (0.6, "labels numbered 1–10 (a 1-based file or an off-by-one) instead of 0–9"),
        (0.3, "a model with fewer outputs than there are classes"),
        (0.1, "a missing-value marker (−1, 255) among the labels"),
    ]
    if evidence.get("label", 0) < 0:
        causes.append((0.9, "negative labels: a missing-value marker such as −1"))
    return Finding(
        "labels-out-of-range", "problem", "A label is outside the classes the model can output.", evidence, (said,),
        _ranked(causes),
        "Make the labels run 0 … classes − 1 (for 1-based labels: y - 1), or give the last Dense layer one unit "
        "per class.",
        f"{DOCS}#loss-and-labels", 0.95,
    )  # fmt: skip


def _from_logits_on_softmax(evidence: dict[str, Any], said: str) -> Finding:
    return Finding(
        "from-logits-on-softmax", "warning",
        "The loss is told it receives logits (from_logits=True), but the model already applies softmax.",
        evidence,
        (said, "On the TensorFlow backend Keras 3 quietly takes the logits from behind the softmax, so this run "
               "may still train; on the JAX or PyTorch backend the loss would apply softmax a second time to "
               "probabilities, squeezing them towards 1/10."),
        ("from_logits=True copied from an example whose last layer has no activation",),
        "Either keep activation='softmax' and from_logits=False (the tutorial), or end with Dense(10) (no "
        "activation), keep from_logits=True, and apply softmax to predictions.",
        f"{DOCS}#loss-and-labels", 0.8,
    )  # fmt: skip


# -- model and data ------------------------------------------------------------------------------------


def rule_model_and_data(ctx: Context, found: set[str]) -> list[Finding]:
    """Input scale, labels against the loss and the output layer, untrained loss, Dropout."""
    out: list[Finding] = []
    d, m, p = ctx.data, ctx.model, ctx.probe
    if d is not None:
        if d.x_nonfinite:
            out.append(Finding(
                "inputs-not-finite", "problem", f"The inputs hold {d.x_nonfinite:,} NaN or infinite values.",
                {"nonfinite": d.x_nonfinite, "n": d.n}, (f"{d.x_nonfinite:,} of the input values are not finite.",),
                ("missing pixels, or a division by zero while preprocessing",),
                "Find where they come from, or replace them: np.nan_to_num(x).", f"{DOCS}#exploding-loss", 0.95,
            ))  # fmt: skip
        if d.unscaled:
            facts = [f"The inputs run from {_n(d.x_min)} to {_n(d.x_max)} (dtype {d.x_dtype}, mean {_n(d.x_mean)}); "
                     "the model expects pixels scaled to [0, 1], as x / 255.0 gives."]  # fmt: skip
            loss = _finite(ctx.loss)
            if loss and loss[0] > 2 * LN10:
                facts.append(f"The first epoch's loss, {_n(loss[0])}, is {loss[0] / LN10:.1f} times ln 10 = 2.303, "
                             "the loss of a model that has learnt nothing yet.")  # fmt: skip
            if p is not None and p.untrained_loss is not None:
                facts.append(
                    f"A freshly initialised copy of the model scores loss {_n(p.untrained_loss)} on these inputs "
                    f"({p.untrained_loss / LN10:.1f} × ln 10); on scaled inputs it would be about 2.303."
                )
            out.append(Finding(
                "inputs-not-scaled", "problem", f"The inputs are not scaled: their largest value is {_n(d.x_max)}.",
                {"x_min": d.x_min, "x_max": d.x_max, "x_mean": d.x_mean, "x_dtype": d.x_dtype,
                 "first_loss": loss[0] if loss else None,
                 "untrained_loss": p.untrained_loss if p is not None else None},
                tuple(facts), (CAUSE_UNSCALED.split(":")[0] + ": the line x_train, x_test = x_train / 255.0, "
                               "x_test / 255.0 is missing or ran on a copy",),
                "x_train, x_test = x_train / 255.0, x_test / 255.0 (or explain.normalize(x)) before fit and evaluate.",
                f"{DOCS}#inputs-not-scaled", 0.9,
            ))  # fmt: skip
        elif d.scaled_twice:
            out.append(Finding(
                "inputs-scaled-twice", "problem",
                f"The inputs look scaled twice: their largest value is {d.x_max:.5f}, at most 1/255 = 0.00392.",
                {"x_max": d.x_max, "x_mean": d.x_mean, "x_dtype": d.x_dtype},
                (f"The largest input is {d.x_max:.5f}; pixels scaled once reach 1.0.",),
                ("x / 255.0 applied twice (e.g. once by hand and once by explain.normalize, or in a cell run twice)",),
                "Scale once: the inputs should end in [0, 1] with a maximum of 1.0.", f"{DOCS}#inputs-not-scaled", 0.9,
            ))  # fmt: skip
        else:
            ctx.passed.append(f"inputs scaled: {_n(d.x_min)}–{_n(d.x_max)}")
    if m is not None:
        sparse = m.sparse
        if d is not None and d.y_shape is not None and sparse is not None and "loss-label-mismatch" not in found:
            one_d = len(d.y_shape) == 1 or (len(d.y_shape) == 2 and d.y_shape[1] == 1)
            one_hot = len(d.y_shape) == 2 and d.y_shape[1] == (m.output_units or 10) and d.y_shape[1] > 1
            ev = {"loss": m.loss, "label_shape": list(d.y_shape), "label_dtype": d.y_dtype,
                  "output_units": m.output_units}  # fmt: skip
            said = f"The loss is {m.loss}; the labels have shape {tuple(d.y_shape)}."
            if not sparse and one_d:
                out.append(_mismatch(ev, one_hot_wanted=True, said=said))
            elif sparse and one_hot:
                out.append(_mismatch(ev, one_hot_wanted=False, said=said))
        units = m.output_units or 10
        if (d is not None and d.y_max is not None and sparse and "labels-out-of-range" not in found
                and (d.y_max >= units or (d.y_min or 0) < 0)):  # fmt: skip
            out.append(_out_of_range({"label_min": d.y_min, "label_max": d.y_max, "classes": units}, ctx,
                                     f"The labels run {d.y_min}–{d.y_max}; the model has {units} outputs, "
                                     f"so the labels must run 0–{units - 1}."))  # fmt: skip
        if m.from_logits and m.output_activation == "softmax" and "from-logits-on-softmax" not in found:
            said = "The loss has from_logits=True; the last layer's activation is softmax."
            out.append(_from_logits_on_softmax({"loss": m.loss, "from_logits": True, "activation": "softmax"}, said))
        if m.from_logits is False and m.output_activation == "linear":
            acc = _finite(ctx.accuracy)
            facts = [
                "The last layer has no activation (its outputs are scores, any real number), but the loss "
                "has from_logits=False and reads them as probabilities: it clips them into [1e-7, 1 − 1e-7]."
            ]
            if acc:
                facts.append(f"Accuracy per epoch: {_epochs(acc)}.")
            if p is not None and p.untrained_loss is not None:
                facts.append(f"Before training the loss is already {_n(p.untrained_loss)}, not ln 10 = 2.303: clipped "
                             "scores are not a probability distribution.")  # fmt: skip
            out.append(Finding(
                "logits-as-probabilities", "problem",
                "The loss reads the model's raw scores as probabilities.",
                {"loss": m.loss, "from_logits": False, "activation": "linear", "accuracy": acc}, tuple(facts),
                ("activation='softmax' left off the last Dense layer",),
                "Add activation='softmax' to the last layer (as the tutorial), or compile with "
                "keras.losses.SparseCategoricalCrossentropy(from_logits=True).",
                f"{DOCS}#loss-and-labels", 0.95,
            ))  # fmt: skip
        heavy = [r for r in m.dropout_rates if r >= 0.5]
        if heavy:
            rate = max(heavy)
            facts = [
                f"Dropout({rate:g}) zeroes {rate:.0%} of the hidden outputs at every training step and "
                f"multiplies the survivors by 1/(1 − {rate:g}) = {1 / (1 - rate):.1f}; the tutorial uses 0.2."
            ]
            gap = _fit_vs_other(ctx)
            if gap is not None:
                facts.append(f"fit printed accuracy {_n(gap[0], 4)} for the last epoch; {gap[2]} measured "
                             f"{_n(gap[1], 4)} ({100 * (gap[1] - gap[0]):+.1f} points): with Dropout off the same "
                             "weights do much better.")  # fmt: skip
            out.append(Finding(
                "heavy-dropout", "warning", f"Dropout rate {rate:g}: training is held back.",
                {"dropout_rate": rate, "fit_accuracy": gap[0] if gap else None,
                 "evaluate_accuracy": gap[1] if gap else None}, tuple(facts),
                ("a Dropout rate meant as 'keep 0.9' written as 'drop 0.9'", "regularisation set far too strong"),
                "Use Dropout(0.2), as the tutorial; Dropout's rate is the share dropped, not kept.",
                f"{DOCS}#fit-and-evaluate-disagree", 0.8,
            ))  # fmt: skip
    folded = (d is not None and d.unscaled) or any(f.key == "logits-as-probabilities" for f in out)
    if p is not None and p.untrained_loss is not None and not folded:
        ln_k = math.log(ctx.n_classes)
        ratio = p.untrained_loss / ln_k
        if 0.67 <= ratio <= 1.5:
            ctx.passed.append(f"untrained loss {_n(p.untrained_loss)} ≈ ln {ctx.n_classes} = {_n(ln_k)}")
        else:
            out.append(Finding(
                "untrained-loss", "problem" if ratio > 3 or ratio < 0.3 else "warning",
                f"Before training the model already scores loss {_n(p.untrained_loss)}, not ln {ctx.n_classes} "
                f"= {_n(ln_k)}.",
                {"untrained_loss": p.untrained_loss, "expected": ln_k, "ratio": ratio,
                 "untrained_saturated": p.untrained_saturated, "probe": p.n},
                (f"A freshly initialised copy of the model, on {p.n} training inputs: loss {_n(p.untrained_loss)}, "
                 f"{ratio:.1f} × ln {ctx.n_classes}; {p.untrained_saturated:.0%} of its outputs are exactly 0 or 1.",),
                _ranked([(_unscaled_weight(ctx, 0.5), CAUSE_UNSCALED),
                         (0.3, "initial weights far larger than Glorot's"),
                         (0.2, "a loss that does not fit the output layer")]),
                "An untrained model should give each class about 1/10: check the input scale and the initializers.",
                f"{DOCS}#untrained-loss", 0.7,
            ))  # fmt: skip
    return out


# -- the loss curve --------------------------------------------------------------------------------------


def rule_saturated_softmax(ctx: Context) -> list[Finding]:
    """loss ≈ 16.118 × (1 − accuracy): every sample costs about 0 or 16.118."""
    pairs = [(i, lo, a) for i, (lo, a) in enumerate(zip(ctx.loss, ctx.accuracy)) if math.isfinite(lo + a)]
    from_eval = False
    if not pairs and ctx.evaluation and math.isfinite(ctx.evaluation.get("loss", math.nan) +
                                                       ctx.evaluation.get("accuracy", math.nan)):  # fmt: skip
        pairs, from_eval = [(0, ctx.evaluation["loss"], ctx.evaluation["accuracy"])], True
    if not pairs:
        return []

    def fits(lo: float, a: float) -> bool:
        pred = MAX_COST * (1 - a)
        return lo >= 1.0 and abs(lo - pred) <= max(0.25, 0.03 * pred)

    matched = [fits(lo, a) for _, lo, a in pairs]
    n_match = sum(matched)
    if not (n_match >= 2 and n_match >= math.ceil(2 * len(pairs) / 3)) and not (len(pairs) == 1 and n_match == 1):
        return []
    loss = [lo for _, lo, _ in pairs]
    acc = [a for _, _, a in pairs]
    pred = [MAX_COST * (1 - a) for a in acc]
    worst = max(abs(lo - pr) for lo, pr, ok in zip(loss, pred, matched) if ok)
    where = "the evaluate result" if from_eval else "epoch by epoch"
    facts = [
        f"Loss and 16.118 × (1 − accuracy), {where}: "
        + ", ".join(f"{_n(lo)} vs {_n(pr)}" for lo, pr in zip(loss, pred))
        + f" (largest gap {_n(worst)}).",
        "So each sample costs about 0 (right and sure) or −ln(1e-7) = 16.118 (wrong and sure): the probabilities "
        "sit at the clip, where they pass no gradient.",
    ]
    if len(acc) > 1:
        facts.append(f"The accuracy moved by only {max(acc) - min(acc):.3f} over {len(acc)} epochs.")
    evidence: dict[str, Any] = {
        "loss": [_r(v, 4) for v in loss],
        "accuracy": [_r(v, 4) for v in acc],
        "predicted_loss": [_r(v) for v in pred],
        "largest_gap": _r(worst, 4),
        "accuracy_change": _r(max(acc) - min(acc), 4),
        "wrong_and_sure_share": [_r(lo / MAX_COST) for lo in loss],
    }
    val = [(lo, a) for lo, a in zip(ctx.history.get("val_loss", []), ctx.history.get("val_accuracy", []))
           if math.isfinite(lo + a)]  # fmt: skip
    if val and all(fits(lo, a) for lo, a in val):
        facts.append("The validation numbers follow the same line: "
                     + ", ".join(f"{_n(lo)} vs {_n(MAX_COST * (1 - a))}" for lo, a in val) + ".")  # fmt: skip
        evidence["val_predicted_loss"] = [_r(MAX_COST * (1 - a)) for _, a in val]
    if ctx.snapshots:
        sat = float(ctx.snapshots[-1].saturated_share)
        evidence["saturated_outputs"] = _r(sat)
        facts.append(f"On the probe batch, {sat:.0%} of the softmax outputs are exactly 0 or 1 in float32.")
    causes = [(_unscaled_weight(ctx, 0.5), CAUSE_UNSCALED), (0.3, CAUSE_CLIPPED), (_lr_weight(ctx, 0.2), CAUSE_LR)]
    if ctx.model is not None and (ctx.model.loss not in ("sparse_categorical_crossentropy", "categorical_crossentropy")
                                  or ctx.model.output_activation != "softmax"):  # fmt: skip
        causes[1] = (0.9, CAUSE_CLIPPED + f" — here the loss is {ctx.model.loss!r} and the last layer's "
                                          f"activation is {ctx.model.output_activation!r}")  # fmt: skip
    if ctx.data is not None and ctx.data.unscaled:
        evidence["x_max"] = ctx.data.x_max
    return [Finding(
        "saturated-softmax", "problem",
        "The softmax is saturated: the loss is 16.118 × (1 − accuracy) and the model has stopped learning.",
        evidence, tuple(facts), _ranked(causes), FIX_SATURATED, f"{DOCS}#saturated-softmax",
        0.95 if len(pairs) > 1 else 0.7,
    )]  # fmt: skip


def rule_exploding(ctx: Context) -> list[Finding]:
    """NaN or infinite loss, a loss far above any untrained model's, or a loss that grows."""
    loss = ctx.loss
    finite = _finite(loss)
    nonfinite = [i for i, v in enumerate(loss) if not math.isfinite(v)]
    said_nan = any(re.search(r"invalid loss|\bnan\b", t, re.IGNORECASE) for t in ctx.messages)
    ev_loss = (ctx.evaluation or {}).get("loss", 0.0)
    big = bool(finite) and max(finite) > 10 * LN10
    grows = (len(finite) >= 2 and finite[-1] > 2 * min(finite[:-1]) and finite[-1] > LN10
             and finite.index(min(finite)) < len(finite) - 1)  # fmt: skip
    if not (nonfinite or said_nan or big or grows or not math.isfinite(ev_loss)):
        return []
    facts = [f"Loss per epoch: {_epochs(loss)}." if loss else "The loss became NaN."]
    evidence: dict[str, Any] = {"loss": [_r(v, 4) for v in loss], "learning_rate": ctx.learning_rate}
    if nonfinite:
        evidence["first_nonfinite_epoch"] = nonfinite[0] + 1
        if nonfinite[0] == 0:  # no epoch ever ended with a number: nothing says the weights grew first
            facts.append(f"The loss is {loss[0]} from epoch 1 on: a step of the first epoch already gave NaN (the "
                         f"epoch's loss is the mean of its steps'): NaN or infinite inputs, or a step so large "
                         f"that it overflowed.")
        else:
            facts.append(f"The loss is {loss[nonfinite[0]]} from epoch {nonfinite[0] + 1} on, after "
                         f"{_n(loss[nonfinite[0] - 1])} at epoch {nonfinite[0]}: a weight or a score overflowed.")
    if finite:
        mx = max(finite)
        evidence.update(max_loss=_r(mx, 4), max_epoch=loss.index(mx) + 1, ratio_to_ln10=_r(mx / LN10, 1))
        if big:
            facts.append(f"At epoch {loss.index(mx) + 1} the loss reached {_n(mx)}, {mx / LN10:.0f} times ln 10 = "
                         f"2.303 (a model that has learnt nothing), and above 16.118, the most a clipped "
                         f"probability can cost: the scores are enormous.")  # fmt: skip
    _accuracy_and_rate(ctx, facts, evidence)
    causes = [(_lr_weight(ctx, 0.6), "a learning rate too high: each step overshoots and the weights grow"),
              (_unscaled_weight(ctx, 0.3), CAUSE_UNSCALED),
              (0.1, "a loss that does not fit the labels or the output layer")]  # fmt: skip
    if ctx.data is not None and ctx.data.x_nonfinite:
        causes.append((0.97, "NaN or infinite values in the inputs"))
    elif nonfinite and nonfinite[0] == 0 and ctx.data is None:  # from the start: the data is as likely as the rate
        causes.append((0.5, "NaN or infinite values in the inputs (check with np.isfinite(x).all())"))
    return [Finding(
        "loss-explodes", "problem",
        "The loss explodes" + (" to NaN." if nonfinite or said_nan else "."), evidence, tuple(facts), _ranked(causes),
        "Lower the learning rate (Adam's default is 0.001), scale the inputs to [0, 1], check the inputs with "
        "np.isfinite(x).all(); keras.callbacks.TerminateOnNaN() stops a run at the first NaN.",
        f"{DOCS}#exploding-loss", 0.95 if nonfinite or said_nan else 0.9,
    )]  # fmt: skip


def rule_negative_loss(ctx: Context) -> list[Finding]:
    """A cross-entropy below 0: impossible for −ln p with p ≤ 1, so the loss is not what it seems."""
    loss_name = ctx.model.loss if ctx.model is not None else None
    if loss_name is not None and "crossentropy" not in loss_name.replace("_", "").lower():
        return []  # another loss (cosine similarity, a custom one) may well be negative
    values = [(f"epoch {i + 1}", v) for i, v in enumerate(ctx.loss) if math.isfinite(v) and v < 0]
    values += [(f"val epoch {i + 1}", v) for i, v in enumerate(ctx.history.get("val_loss", [])) if v < 0]
    ev = (ctx.evaluation or {}).get("loss")
    if ev is not None and math.isfinite(ev) and ev < 0:
        values.append(("evaluate", ev))
    if not values:
        return []
    where, first = values[0]
    facts = [
        f"The loss is {_n(first)} at {where}"
        + (f" (and below 0 in {len(values) - 1} more place{'s' if len(values) > 2 else ''})" if len(values) > 1 else "")
        + ": a cross-entropy is −ln p with p ≤ 1, so it is never below 0 (Keras clips p into [1e-7, 1 − 1e-7]).",
    ]
    if loss_name is None:
        facts.append("The model was not given: the loss is read as the tutorial's cross-entropy.")
    causes = [
        (0.5, "targets that are not class indices or one-hot rows: negative values, or rows with values above 1 "
              "given to categorical_crossentropy (−Σ y·ln p is then negative)"),
        (0.3, "negative sample_weight or class_weight values"),
        (0.2, "a loss that is not a cross-entropy (a custom loss, cosine similarity) logged as the loss"),
    ]  # fmt: skip
    return [Finding(
        "negative-loss", "problem", f"The loss is negative ({_n(first)} at {where}): it cannot be a cross-entropy.",
        {"negative": [[w, _r(v, 4)] for w, v in values[:10]], "loss": [_r(v, 4) for v in ctx.loss]},
        tuple(facts), _ranked(causes),
        "Check the labels (integers 0–9 for sparse_categorical_crossentropy, one-hot rows of 0s and one 1 for "
        "categorical_crossentropy), any sample or class weights (all ≥ 0), and which loss the model is compiled with.",
        f"{DOCS}#negative-loss", 0.9,
    )]  # fmt: skip


def rule_start_loss_high(ctx: Context) -> list[Finding]:
    """The first epoch's loss far above ln 10, then recovering: typical of unscaled inputs under the logits loss."""
    loss = _finite(ctx.loss)
    if not loss or loss[0] <= 2 * LN10 or (len(loss) > 1 and min(loss[1:]) > loss[0] / 2):
        return []
    facts = [f"The first epoch's loss is {_n(loss[0])}, {loss[0] / LN10:.1f} times ln 10 = 2.303, the loss of a "
             "model that has learnt nothing: the first outputs were confidently wrong."]  # fmt: skip
    if len(loss) > 1:
        facts.append(f"It then fell to {_n(loss[-1])}: training recovered, but from a bad start.")
    return [Finding(
        "start-loss-high", "warning", f"Training started far from ln 10: the first epoch's loss is {_n(loss[0])}.",
        {"loss": [_r(v, 4) for v in ctx.loss], "first_loss": _r(loss[0], 4), "ratio_to_ln10": _r(loss[0] / LN10, 1)},
        tuple(facts),
        _ranked([(_unscaled_weight(ctx, 0.7), CAUSE_UNSCALED), (_lr_weight(ctx, 0.3), CAUSE_LR)]),
        "Scale the inputs to [0, 1] (x / 255.0); a model should start near loss ln 10 = 2.303.",
        f"{DOCS}#inputs-not-scaled", 0.6,
    )]  # fmt: skip


def rule_loss_rises(ctx: Context) -> list[Finding]:
    """The training loss ends above where it started: training made the model worse on its own data.

    Examples:
        >>> [f.key for f in rule_loss_rises(Context({"loss": [0.20, 0.25, 0.30], "accuracy": [0.95, 0.94, 0.93]}))]
        ['loss-rises']
        >>> rule_loss_rises(Context({"loss": [0.30, 0.20, 0.25]}))  # ends below its start: not this rule's
        []
    """
    loss = _finite(ctx.loss)
    if len(loss) < 2 or loss[-1] <= loss[0]:
        return []
    facts = [f"Loss per epoch: {_epochs(ctx.loss)}: from {_n(loss[0])} to {_n(loss[-1])}, "
             f"{100 * (loss[-1] / loss[0] - 1):.0f} % higher."]  # fmt: skip
    evidence: dict[str, Any] = {"loss": [_r(v, 4) for v in ctx.loss], "learning_rate": ctx.learning_rate}
    _accuracy_and_rate(ctx, facts, evidence)
    causes = [(_lr_weight(ctx, 0.6), "a learning rate too high: the steps overshoot the minimum they aim at"),
              (0.3, "data that changes from epoch to epoch (a generator reading other images, labels shuffled "
                    "apart from their images)"),
              (0.1, "a loss with a term that grows (a regulariser on weights that grow)")]  # fmt: skip
    return [Finding(
        "loss-rises", "warning", "The training loss rises: the model gets worse on the images it trains on.",
        evidence, tuple(facts), _ranked(causes),
        "Lower the learning rate (Adam's default is 0.001) and check that every epoch sees the same images with "
        "their labels; keras.callbacks.EarlyStopping(monitor='loss', restore_best_weights=True) keeps the best epoch.",
        f"{DOCS}#loss-rises", 0.7,
    )]  # fmt: skip


def rule_not_learning(ctx: Context) -> list[Finding]:
    """Accuracy near chance, or flat and low across epochs, or the loss stuck at ln 10."""
    acc, loss = _finite(ctx.accuracy), _finite(ctx.loss)
    chance = 1 / ctx.n_classes
    near_chance = bool(acc) and acc[-1] <= chance + 0.1
    flat = len(acc) >= 3 and max(acc) - min(acc) < 0.005 and acc[-1] < 0.9
    uniform = bool(loss) and all(abs(v - math.log(ctx.n_classes)) < 0.05 for v in loss[-2:])
    if not (near_chance or flat or uniform):
        return []
    facts = []
    if acc:
        facts.append(f"Accuracy per epoch: {_epochs(acc)}; chance for {ctx.n_classes} classes is {chance:.2f}.")
    if uniform:
        facts.append(f"The loss stays at {_n(loss[-1])} ≈ ln {ctx.n_classes}: the model gives every class about "
                     f"1/{ctx.n_classes}, whatever the image.")  # fmt: skip
    elif loss:
        facts.append(f"Loss per epoch: {_epochs(ctx.loss)}.")  # every epoch, NaN included: none left out
    dead = ctx.dead_units
    causes = [
        (_lr_weight(ctx, 0.4) if not (loss and max(loss) > 3 * LN10) else 0.85,
         "a learning rate too high: large steps killed the hidden ReLU units or pinned the output to a few classes"),
        (0.2, "labels that do not belong to the images (shuffled separately, or read from another file)"),
        (0.8 if ctx.data is not None and (ctx.data.scaled_twice or ctx.data.x_max == 0) else 0.15,
         "inputs that carry almost no signal (all zeros, or scaled twice)"),
        (0.7 if dead and dead[-1] > 0.5 else 0.1, "most hidden ReLU units dead"),
    ]  # fmt: skip
    if ctx.model is not None and ctx.model.output_activation == "linear" and ctx.model.from_logits is False:
        causes.append((0.95, "the loss reads raw scores as probabilities (a linear output with from_logits=False)"))
    return [Finding(
        "not-learning", "problem",
        "The model is not learning: " + ("its accuracy is near chance." if near_chance else
                                         "its accuracy is flat across epochs." if flat else "its loss sits at ln 10."),
        {"accuracy": [_r(v, 4) for v in acc], "loss": [_r(v, 4) for v in loss], "chance": chance,
         "accuracy_change": _r(max(acc) - min(acc), 4) if acc else None},
        tuple(facts), _ranked(causes),
        "Go back to the tutorial's settings (x / 255.0, Adam with learning rate 0.001, sparse_categorical_crossentropy "
        "on a softmax output) and change one thing at a time; look at a few images next to their labels.",
        f"{DOCS}#not-learning", 0.85,
    )]  # fmt: skip


def rule_dead_relu(ctx: Context) -> list[Finding]:
    """Many hidden ReLU units that output 0 for every probe image."""
    dead = ctx.dead_units
    if not dead:
        return []
    if dead[-1] <= 0.3:
        ctx.passed.append(f"dead ReLU units {dead[-1]:.1%}")
        return []
    facts = [f"{dead[-1]:.0%} of the hidden ReLU units output 0 for every image of the probe batch: they pass no "
             "signal and, with zero gradient, cannot recover."]  # fmt: skip
    if len(dead) > 1:
        facts.append("Dead share before training and after each epoch: " + ", ".join(f"{v:.0%}" for v in dead) + ".")
    return [Finding(
        "dead-relu", "problem" if dead[-1] > 0.6 else "warning", f"{dead[-1]:.0%} of the hidden ReLU units are dead.",
        {"dead_units": [_r(v) for v in dead], "last": _r(dead[-1])}, tuple(facts),
        _ranked([(_lr_weight(ctx, 0.6), "a learning rate too high: one large step pushed the units' inputs below 0 "
                                         "for every image"),
                 (_unscaled_weight(ctx, 0.3), CAUSE_UNSCALED)]),
        "Lower the learning rate; scale the inputs; if it persists, try keras.layers.LeakyReLU or He initialisation.",
        f"{DOCS}#dead-relu", 0.75,
    )]  # fmt: skip


def rule_overfitting(ctx: Context) -> list[Finding]:
    """Validation loss rising while training loss falls."""
    val, loss = ctx.history.get("val_loss", []), ctx.loss
    pairs = [(i, v, lo) for i, (v, lo) in enumerate(zip(val, loss)) if math.isfinite(v + lo)]
    if len(pairs) < 3:
        return []
    best_i, best_v, best_l = min(pairs, key=lambda t: t[1])
    last_i, last_v, last_l = pairs[-1]
    if not (best_i < last_i and last_v > best_v * 1.05 and last_v - best_v > 0.01 and last_l < best_l):
        return []
    vacc = ctx.history.get("val_accuracy", [])
    facts = [
        f"The validation loss was lowest at epoch {best_i + 1} ({_n(best_v)}) and is {_n(last_v)} at epoch "
        f"{last_i + 1} (+{100 * (last_v / best_v - 1):.0f} %), while the training loss fell from {_n(best_l)} to "
        f"{_n(last_l)}.",
        "The model keeps fitting its training images better and the images it never trained on worse: it is "
        "memorising details (overfitting), not learning more digits.",
    ]
    gap = _fit_vs_other(ctx)
    if gap is not None and gap[2] == "evaluate" and gap[0] - gap[1] > 0.02:
        facts.append(f"fit printed accuracy {gap[0]:.4f} for the last epoch; evaluate measured {gap[1]:.4f} "
                     f"({100 * (gap[1] - gap[0]):+.1f} points): the generalization gap.")  # fmt: skip
    if len(vacc) > last_i and math.isfinite(vacc[best_i] + vacc[last_i]):
        facts.append(f"Validation accuracy: {_n(vacc[best_i], 4)} at epoch {best_i + 1}, {_n(vacc[last_i], 4)} at "
                     f"epoch {last_i + 1}.")  # fmt: skip
    return [Finding(
        "overfitting", "warning", f"Overfitting: the validation loss has risen since epoch {best_i + 1}.",
        {"best_epoch": best_i + 1, "best_val_loss": _r(best_v, 4), "last_val_loss": _r(last_v, 4),
         "val_loss": [_r(v, 4) for v in val], "loss": [_r(v, 4) for v in loss],
         "rise": _r(last_v / best_v - 1)}, tuple(facts),
        ("too many epochs for the amount of training data", "too few training images",
         "too little regularisation (Dropout, weight decay)"),
        "Stop at the best epoch: keras.callbacks.EarlyStopping(monitor='val_loss', patience=2, "
        "restore_best_weights=True); or train on more images.",
        f"{DOCS}#overfitting", 0.85,
    )]  # fmt: skip


def _fit_vs_other(ctx: Context) -> tuple[float, float, str] | None:
    acc = _finite(ctx.accuracy)
    if not acc:
        return None
    if ctx.evaluation and math.isfinite(ctx.evaluation.get("accuracy", math.nan)):
        return acc[-1], float(ctx.evaluation["accuracy"]), "evaluate"
    vacc = _finite(ctx.history.get("val_accuracy", []))
    if vacc:
        return acc[-1], vacc[-1], "validation"
    return None


def _points(diff: float) -> str:
    """An accuracy difference in percentage points, signed; one that rounds to zero says so.

    Examples:
        >>> _points(0.0123), _points(-0.0004)
        ('+1.2 points', 'less than 0.1 points')
    """
    return f"{100 * diff:+.1f} points" if round(100 * diff, 1) != 0 else "less than 0.1 points"


def rule_fit_vs_evaluate(ctx: Context, found: set[str]) -> list[Finding]:
    """fit's printed accuracy against evaluate's (or validation's): explained, or a sign of trouble."""
    gap = _fit_vs_other(ctx)
    if gap is None or found & {"saturated-softmax", "not-learning", "heavy-dropout", "overfitting"}:
        return []  # already said, with the gap, by those findings (or meaningless at chance level)
    fit_acc, other, what = gap
    diff = other - fit_acc
    n = len(_finite(ctx.accuracy))
    evidence = {"fit_accuracy": _r(fit_acc, 4), f"{what}_accuracy": _r(other, 4), "difference": _r(diff, 4)}
    said = (f"fit printed accuracy {fit_acc:.4f} for the last epoch; {what} measured {other:.4f} "
            f"({_points(diff)}).")  # fmt: skip
    why = ("fit's number is a running average over the epoch's batches, measured with Dropout active while the "
           "weights were still changing; evaluate measures the final weights with Dropout off. "
           "explain.accuracy_gap(model, data, fit_accuracy) measures each step.")  # fmt: skip
    if diff < -0.05 and fit_acc > 0.9:
        return [Finding(
            "generalization-gap", "warning",
            f"The model does {100 * -diff:.1f} points worse on images it did not train on.", evidence,
            (said, "Beyond the running average and Dropout, which make fit's number lower, not higher, this is the "
                   "generalization gap: the model has memorised its training images."),
            ("too many epochs for the amount of training data", "too few training images"),
            "Hold out validation data (validation_split=0.2) and stop when its loss stops falling.",
            f"{DOCS}#overfitting", 0.7,
        )]  # fmt: skip
    if diff > 0.05 and n >= 2:
        return [Finding(
            "fit-evaluate-gap", "warning",
            f"evaluate's accuracy is {100 * diff:.1f} points above what fit printed, after {n} epochs.", evidence,
            (said, "A gap this large after the first epoch means training is held back by something that is "
                   "switched off at evaluation: Dropout or another training-only layer."),
            ("a Dropout rate far above the tutorial's 0.2", "another layer that behaves differently in training"),
            "Check the Dropout rate (0.2 in the tutorial) and any layer with a training argument.",
            f"{DOCS}#fit-and-evaluate-disagree", 0.6,
        )]  # fmt: skip
    return [Finding(
        "fit-evaluate-gap", "info",
        f"fit's last accuracy and {what}'s differ by {_points(diff)}, as expected.", evidence,
        (said, why), (), "Nothing to fix.", f"{DOCS}#fit-and-evaluate-disagree", 0.5,
    )]  # fmt: skip


def _went(values: list[float]) -> str:
    """``fell``, ``rose`` or ``stayed``: how a series moved from its first value to its last."""
    return "fell" if values[-1] < values[0] else "rose" if values[-1] > values[0] else "stayed"


def rule_verdict(ctx: Context, findings: list[Finding]) -> list[Finding]:
    """A healthy run says so with its numbers; a failed run with no known pattern quotes its error."""
    if any(f.severity in ("problem", "warning") for f in findings):
        return []
    errors = [t for t in ctx.messages if re.search(r"error|exception|traceback", t, re.IGNORECASE)]
    loss, acc = _finite(ctx.loss), _finite(ctx.accuracy)
    if errors and not loss:
        return [Finding(
            "run-failed", "problem", "The run stopped with an error that matches no known pattern.",
            {"message": errors[-1][:300]}, (f"The log says: {errors[-1][:300]}",), (),
            "Read the last error line; the cause is usually named there.", f"{DOCS}#the-run-failed", 0.5,
        )]  # fmt: skip
    evidence: dict[str, Any] = {"epochs": len(loss), "loss": [_r(v, 4) for v in loss],
                                "accuracy": [_r(v, 4) for v in acc]}  # fmt: skip
    parts = []
    if len(loss) > 1:
        parts.append(f"over {len(loss)} epochs the loss {_went(loss)} from {_n(loss[0])} to {_n(loss[-1])}")
    elif loss:
        parts.append(f"one epoch, loss {_n(loss[0])}")
    if len(acc) > 1:
        parts.append(f"the accuracy {_went(acc)} from {_n(acc[0], 4)} to {_n(acc[-1], 4)}")
    elif acc:
        parts.append(f"accuracy {_n(acc[0], 4)}")
    if ctx.evaluation:
        evidence["evaluation"] = {k: _r(v, 4) for k, v in ctx.evaluation.items()}
        parts.append("evaluate: " + ", ".join(f"{k} {_n(v, 4)}" for k, v in ctx.evaluation.items()))
    falling = len(loss) < 2 or loss[-1] < loss[0]
    good = (acc and acc[-1] >= 1 / ctx.n_classes + 0.3) or (not acc and falling and bool(loss))
    if ctx.evaluation and not loss:
        good = ctx.evaluation.get("accuracy", 0) >= 0.9
    if good and falling:
        return [Finding(
            "healthy", "ok", "Training looks healthy: " + "; ".join(parts) + ".", evidence,
            tuple(f"Checked: {p}." for p in ctx.passed), (), "Nothing to fix.", f"{DOCS}#a-healthy-run", 0.8,
        )]  # fmt: skip
    return [Finding(
        "no-known-failure", "info", "No known failure pattern matched: " + ("; ".join(parts) or "no numbers") + ".",
        evidence, (), (), "", f"{DOCS}#what-the-diagnosis-checks", 0.3,
    )]  # fmt: skip


def run_all(ctx: Context) -> list[Finding]:
    """Apply every rule in order; later rules see what earlier ones found (to avoid saying one thing twice).

    Examples:
        >>> [f.key for f in run_all(Context({"loss": [2.31, 2.30, 2.30], "accuracy": [0.11, 0.11, 0.11]}))]
        ['not-learning']
    """
    findings: list[Finding] = []

    def add(new: list[Finding]) -> None:
        findings.extend(f for f in new if f.key not in {g.key for g in findings})

    keys: Callable[[], set[str]] = lambda: {f.key for f in findings}  # noqa: E731
    add(rule_messages(ctx))
    add(rule_model_and_data(ctx, keys()))
    add(rule_saturated_softmax(ctx))
    add(rule_exploding(ctx))
    add(rule_negative_loss(ctx))
    if not keys() & {"loss-explodes", "saturated-softmax", "inputs-not-scaled"}:
        add(rule_start_loss_high(ctx))
    if not keys() & {"saturated-softmax", "logits-as-probabilities"}:
        add(rule_not_learning(ctx))
    if not keys() & {"loss-explodes", "saturated-softmax", "not-learning", "negative-loss"}:
        add(rule_loss_rises(ctx))
    add(rule_dead_relu(ctx))
    add(rule_overfitting(ctx))
    add(rule_fit_vs_evaluate(ctx, keys()))
    add(rule_verdict(ctx, findings))
    return findings
