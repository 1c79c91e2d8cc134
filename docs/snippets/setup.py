# Shared setup, run at the top of every page of the docs (and by tests/test_docs.py).
#
# Every number on the site comes from code executed at build time; this file holds what
# every page needs for that: the run registry (every run and every number shown on more than
# one page, computed once per build from explain's caches), the helpers that print numbers,
# exercises and the provenance box, and the helpers that turn figures and results into HTML.
import base64
import contextlib
import html
import io
import logging
import os
import re
import sys
import types
import warnings
from dataclasses import dataclass
from pathlib import Path
from textwrap import indent
from typing import Any

import matplotlib
import numpy as np  # noqa: F401 - the pages use np

import explain
from explain._core import formatting as fmt
from explain._core.tf import versions
from explain.data.sources import MNIST_ENV

logging.getLogger("tensorflow").setLevel(logging.ERROR)  # no retracing notices in the build log

SEED = 0  # the seed of the initial weights, the shuffling and the Dropout masks on every page

# -- the run registry ------------------------------------------------------------------------------------
#
# One build-wide place for every run a page shows (the tutorial's trained model, the Fit page's recorded run,
# Fashion-MNIST, today's quickstart, the fault runs, the untrained model) and for every number that more
# than one page prints. Each page runs this file in a session of its own, all in one process: the values
# live in a module of their own (_BUILD), computed at the first page that asks and shared by the others,
# so two pages cannot print two versions of one number. Trained runs come from explain's caches: a warm
# build trains nothing.

_BUILD = sys.modules.get("explain_docs_build")
if _BUILD is None:
    _BUILD = types.ModuleType("explain_docs_build", "Runs and numbers shared by every page of one docs build.")
    _BUILD.memo = {}
    sys.modules["explain_docs_build"] = _BUILD


def _once(key, compute):
    """``compute()`` the first time any page asks for ``key`` in this build; the same object afterwards."""
    if key not in _BUILD.memo:
        _BUILD.memo[key] = compute()
    return _BUILD.memo[key]


def _load_data():
    # $EXPLAIN_MNIST (CI: the full MNIST), else Keras's cache, else the sample shipped with explain.
    # No download: a build gives the same pages with or without a network.
    with contextlib.redirect_stderr(io.StringIO()):
        return explain.load_mnist("auto", download=False)


data = _once("data", _load_data)
x_train, y_train, x_test, y_test = data.x_train, data.y_train, data.x_test, data.y_test

_ORIGINS = {
    "env": "read from the file named by `$EXPLAIN_MNIST`",
    "path": "read from a file",
    "keras-cache": "read from Keras's cache (`~/.keras/datasets`)",
    "keras-download": "downloaded by Keras",
    "debian": "read from Debian's `dataset-fashion-mnist` package",
    "sample": "shipped inside explain",
}


def data_name(ds=None):
    """A dataset by name, origin and size, never by path: "MNIST, full (60,000 + 10,000 images), …"."""
    ds = data if ds is None else ds
    title = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}.get(ds.name, ds.name)
    size = f"{n(len(ds.y_train))} training + {n(len(ds.y_test))} test images"
    if ds.is_sample:
        return f"{title}, the sample shipped inside explain ({size})"
    return f"{title}, full ({size}), {_ORIGINS.get(ds.origin, ds.origin)}"


def data_short(ds=None):
    """"full MNIST", "the MNIST sample", "full Fashion-MNIST": what a run label says about its data."""
    ds = data if ds is None else ds
    title = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}.get(ds.name, ds.name)
    return f"the {title} sample" if ds.is_sample else f"full {title}"


_PLAIN_ORIGINS = {
    "env": "the file named by $EXPLAIN_MNIST",
    "keras-cache": "Keras's cache",
    "keras-download": "Keras's download",
    "debian": "Debian's dataset-fashion-mnist package",
    "path": "a file",
}


def public(text):
    """``text`` with every dataset's ``source`` (which names files by their absolute path) replaced by its name.

    For what the package prints for a user at their own machine (a ``Dataset``'s repr, ``describe()``): the
    site names its data, never a path of the machine that built it.
    """
    for ds in _BUILD.memo.get("datasets", []):
        if ds.origin in _PLAIN_ORIGINS and ds.source:
            name = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}.get(ds.name, ds.name)
            text = text.replace(ds.source, f"{name} from {_PLAIN_ORIGINS[ds.origin]}")
    mnist = os.environ.get(MNIST_ENV)
    if mnist:  # a path the package prints in a message: the placeholder a reader would type
        text = text.replace(str(Path(mnist).resolve()), "/path/to/mnist.npz").replace(mnist, "/path/to/mnist.npz")
    text = text.replace(str(Path.home()), "~")  # Keras's cache, named in explain's notices: ~/.keras/datasets
    # describe() ends with the data's fingerprint: a hash, kept for the provenance box
    return re.sub(r"\s*Fingerprint [0-9a-f]{16}\.", "", text)


def _known(ds):
    """Remember ``ds`` so that `public` can name it."""
    known = _BUILD.memo.setdefault("datasets", [])
    if all(d is not ds for d in known):
        known.append(ds)
    return ds


_known(data)


@dataclass(frozen=True)
class Run:
    """One run a page shows, labelled: what model, on what data, how long, which seed, and where it came from."""

    name: str  # the registry's name: "tutorial", "fit", "fashion", "quickstart", "untrained", "fault:…"
    title: str  # in words: "the tutorial's model"
    data: str  # "full MNIST", "the MNIST sample"
    epochs: int  # 0: untrained
    seed: int
    how: str  # "explain.trained: trained once with this seed, kept in explain's cache", "built here"
    key: str = ""  # explain's cache key (shown in the provenance box only)
    value: Any = None  # the Trained, FaultRun or model

    @property
    def label(self):
        """"full MNIST, 5 epochs, seed 0" or "untrained, seed 0": what a number of this run must say with it."""
        if not self.epochs:
            return f"untrained, seed {self.seed}"
        return f"{self.data}, {self.epochs} epoch{'s' * (self.epochs != 1)}, seed {self.seed}"


_page_runs = {}  # the runs this page used, for its provenance box (this file runs again at every page)


def _use(run):
    _page_runs[run.name] = run
    return run


# The same words whether this build trained a model or loaded it: a page's output is kept between builds
# with the same inputs (docs/hooks/exec_cache.py), and a seeded run gives the same model either way.
_CACHED_HOW = "explain.trained: trained once with this seed, kept in explain's cache"


def _trained_run(name, title, ds, **settings):
    def compute():
        t = explain.trained(ds, seed=SEED, **settings)
        return Run(name, title, data_short(ds), t.settings["epochs"], SEED, _CACHED_HOW, t.key, t)

    return _use(_once(f"run:{name}", compute))


def tutorial_run():
    """The tutorial's model, trained as the tutorial does (5 epochs, batch 32, seed 0) on this build's MNIST."""
    return _trained_run("tutorial", "the tutorial's model", data, epochs=5)


def hello_world(epochs=5):
    """The tutorial's model trained for ``epochs`` on ``data`` (the registry's `tutorial` for 5 epochs)."""
    if epochs == 5:
        return tutorial_run().value
    return _trained_run(f"tutorial-{epochs}", f"the tutorial's model, {epochs} epochs", data, epochs=epochs).value


def tutorial_eval():
    """``explain.evaluate`` of the tutorial's model on the test images: every page's accuracy, loss, mistakes."""
    model = tutorial_run().value.model
    return _once("eval:tutorial", lambda: explain.evaluate(model, data))


def tutorial_shortcut():
    """``explain.logits_shortcut`` of the tutorial's model on every test image: the loss computed every way."""
    model = tutorial_run().value.model
    return _once("shortcut:tutorial", lambda: explain.logits_shortcut(model, explain.normalize(x_test), y_test))


def untrained_model():
    """A fresh untrained model (seed 0): the same weights at every call, so a page may change its copy."""
    _use(Run("untrained", "the untrained model", "–", 0, SEED, "built here (no training)"))
    return explain.seed_model(seed=SEED)


def quickstart_run():
    """Today's quickstart: Dense(128), logits, from_logits=True; 5 epochs on this build's MNIST."""
    return _trained_run("quickstart", "today's quickstart model", data, epochs=5, hidden_units=128, output="logits")


def quickstart_eval():
    model = quickstart_run().value.model
    return _once("eval:quickstart", lambda: explain.evaluate(model, data))


def sample():
    """The MNIST sample shipped with explain (the same on every machine)."""
    return _known(_once("sample", lambda: explain.load_mnist("sample")))


def fit_run():
    """The Fit page's recorded run: 2 epochs on the shipped sample, a tenth held out, the loss every 20 steps."""
    return _trained_run(
        "fit", "the recorded run (explain.train)", sample(), epochs=2, validation_split=0.1, record_every=20
    )


def fashion_data():
    """Fashion-MNIST, or None when this machine has no copy (the page says so)."""

    def load():
        try:
            return explain.load_fashion_mnist(download=False)
        except explain.DataError as e:
            return e

    found = _once("fashion-data", load)
    return None if isinstance(found, Exception) else _known(found)


def fashion_run():
    return _trained_run("fashion", "the tutorial's model on Fashion-MNIST", fashion_data(), epochs=5)


def fashion_eval():
    model = fashion_run().value.model
    return _once("eval:fashion", lambda: explain.evaluate(model, fashion_data()))


def fault(name):
    """A fault run: the Hello World with one thing changed, trained on the shipped sample (explain.faults)."""

    def compute():
        r = explain.faults.run(name)
        epochs = len(r.run.history["loss"]) if r.run is not None else r.fault.epochs
        how = "explain.faults.run: trained once, kept in explain's cache"
        return Run(f"fault:{name}", f"the fault run {name}", "the MNIST sample", epochs, SEED, how, "", r)

    return _use(_once(f"run:fault:{name}", compute)).value


def train_ahead():
    """Every run the later pages need, in the order they need them; run by ``train_ahead.py`` in a second process.

    The home page needs the tutorial's model at once, so the build's own process trains that one, while a
    second process (started by ``docs/hooks/exec_cache.py`` at the first block a build runs) trains these
    into explain's cache. A page that asks for one still being trained waits for it and loads it (the cache
    takes turns per entry); one already cached is only loaded. Same seed, same runs, in either process.
    """
    if fashion_data() is not None:
        fashion_run()
    fit_run()
    quickstart_run()
    for name in ("raw-inputs-clipped-loss", "raw-inputs", "healthy", "learning-rate-1"):  # when-training-goes-wrong
        fault(name)


@dataclass(frozen=True)
class ScalingNumbers:
    """What ``explain.scaling(x_train)`` measured, kept without the 60,000 scaled images."""

    min: float
    max: float
    mean: float
    std: float
    markdown: str


def scaling():
    """``explain.scaling(x_train)``: the training images before and after x / 255 (index and scaling pages)."""

    def compute():
        s = explain.scaling(x_train)
        a = s.after  # s.mean and s.std go a block of images at a time: no float64 copy of all 60,000
        return ScalingNumbers(float(a.min()), float(a.max()), s.mean, s.std, s.to_markdown())

    return _once("scaling", compute)


def first_trace():
    """The trained tutorial model on ``x_test[0]``: the prediction the home page and Softmax both show."""
    model = tutorial_run().value.model
    return _once("trace:x_test[0]", lambda: explain.trace(model, explain.normalize(x_test[0])))


def untrained_run():
    """The untrained model, in a caption."""
    return f"the untrained model (random initial weights, `explain.seed_model(seed={SEED})`)"


def trained_run(trained, ds=None):
    """A trained model in a caption: epochs, data, seed and its test accuracy."""
    s = trained.settings
    return (
        f"the model trained {s['epochs']} epoch{'s' * (s['epochs'] != 1)} on {data_name(ds)}, seed {s['seed']} "
        f"(test accuracy {trained.test_accuracy:.4f})"
    )


# -- numbers ---------------------------------------------------------------------------------------------


def q(name, value, spec=".4f"):
    """A number of the registry as the page prints it, tagged with its name for the site's consistency test.

    ``name`` is ``"<run>.<quantity>"`` (``"tutorial.test accuracy"``); the test finds every tagged number,
    checks that each name has one value across the site, and that any "<quantity> <number>" in the text of
    any page is one of the values registered under that quantity.
    """
    text = spec(value) if callable(spec) else format(value, spec)
    return f'<span class="explain-q" data-q="{html.escape(name)}">{text}</span>'


def q_acc(run, value):
    """A test accuracy, four decimals, tagged."""
    return q(f"{run}.test accuracy", value)


def n(x):
    """A count as the site writes it: 60,000."""
    return fmt.count(x)


def prob(p):
    """A probability with four decimals, or as many as it takes not to round it to 0 or 1 (``fmt.prob``)."""
    return fmt.prob(p)


_figure_ids = {}  # this page's figure ids (this file runs again at every page)


def _figure_id(alt):
    """A stable, unique id for a figure on its page, from its alt text: "figure-keras-s-dropout-mask"."""
    slug = "figure-" + (re.sub(r"[^a-z0-9]+", "-", alt.lower()).strip("-")[:48].strip("-") or "figure")
    _figure_ids[slug] = _figure_ids.get(slug, 0) + 1
    return slug if _figure_ids[slug] == 1 else f"{slug}-{_figure_ids[slug]}"


def _figure_html(fig, alt, fmt):
    buf = io.BytesIO()
    # A fixed, per-figure salt keeps SVG ids stable between builds and distinct between figures.
    with matplotlib.rc_context({"svg.hashsalt": alt}):
        if fmt == "svg":
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
            body = buf.getvalue().decode()
            body = body[body.index("<svg") :]  # drop the XML prologue and DOCTYPE
            return body.replace("<svg ", f'<svg role="img" aria-label="{html.escape(alt)}" ', 1)
        fig.savefig(buf, format="png", dpi=144, metadata={"Software": None})  # sharp when zoomed in
    width = round(fig.get_figwidth() * 96)  # shown at the figure's size in CSS pixels, or the column's width
    data64 = base64.b64encode(buf.getvalue()).decode()
    return f'<img src="data:image/png;base64,{data64}" alt="{html.escape(alt)}" width="{width}">'


def show(fig, alt, *, caption, fmt="png"):
    """Print a matplotlib figure as HTML: a captioned ``<figure>`` whose image links to itself at full size.

    ``alt`` names the picture for screen readers; ``caption`` is shown under it and says what the figure
    shows and from which run: trained or untrained (`untrained_run`, `trained_run`), on which data
    (`data_name`). PNG data for images, inline SVG for charts (``fmt="svg"``). The link's target is made
    by docs/javascripts/explain.js (a blob: URL of the same image: browsers do not open data: URLs).
    """
    if not caption or not caption.strip():
        raise ValueError(f"show() needs a caption: what the figure shows, from which run. Received none for {alt!r}.")
    fid = _figure_id(alt)
    print(
        f'<figure class="explain-figure" id="{fid}">'
        f'<a href="#{fid}" data-enlarge="1" title="Open the figure full size">{_figure_html(fig, alt, fmt)}'
        '<span class="explain-sr-only"> (opens the figure full size)</span></a>'
        f"<figcaption>{caption_html(caption)} "
        '<span class="explain-figure__hint">Click or tap the figure to enlarge it.</span></figcaption></figure>'
    )


def caption_html(text):
    """A caption's Markdown-ish text as HTML: `code` becomes <code>, the rest is escaped."""
    parts = re.split(r"`([^`]+)`", text)
    return "".join(f"<code>{html.escape(p)}</code>" if i % 2 else html.escape(p) for i, p in enumerate(parts))


def sample_note():
    """A warning at the top of a page built on the shipped sample (empty on the full MNIST)."""
    if not data.is_sample:
        return ""
    return (
        '!!! warning "Built on the shipped sample"\n'
        f"    This page was built on {data_name()}, not on all 70,000 MNIST images, so its counts and "
        "accuracies are those of the sample. CI builds the site on the full MNIST "
        "(`EXPLAIN_MNIST=/path/to/mnist.npz mkdocs build`).\n"
    )


def provenance(*, extra="", **_ignored):
    """The collapsed box every page ends with: the data by name, the runs this page used, seeds, versions.

    The runs are those the page asked the registry for (`tutorial`, `fit_run`, `fault` …), with their labels
    and explain's cache keys; no path of the machine that built the page.
    """
    v = versions()
    lines = [
        f"**Data**: {data_name()}; fingerprint `{data.fingerprint}` (a hash of the arrays).",
        f"**Seed**: {SEED}, for the initial weights, the shuffling and the Dropout masks.",
        f"**Versions**: explain {v['explain']}, TensorFlow {v['tensorflow']}, Keras {v['keras']}, "
        f"NumPy {v['numpy']}, Python {v['python']}.",
    ]
    if _page_runs:
        table = [
            "| run | data | epochs | seed | where it came from | run key |",
            "| --- | --- | ---: | ---: | --- | --- |",
        ]
        for r in _page_runs.values():
            epochs = str(r.epochs) if r.epochs else "untrained"
            table.append(f"| {r.title} | {r.data} | {epochs} | {r.seed} | {r.how} | `{r.key or '–'}` |")
        lines += ["**Runs on this page** (the run key names the entry in explain's cache):", "\n".join(table)]
    if extra:
        lines.append(extra)
    body = "\n\n".join(lines)
    return '??? info "Provenance"\n' + indent(body, "    ") + "\n"


def exercises(*items):
    """Print exercises: each a question (open) with its answer in a collapsed block, computed at build time.

    ``items`` are ``(question, answer)`` pairs of Markdown; the answer comes from this build's numbers.
    """
    for i, (question, answer) in enumerate(items, start=1):
        print(f'???+ question "Exercise {i}"')
        print(indent(question.strip(), "    ") + "\n")
        print('    ??? success "Answer"')
        print(indent(answer.strip(), "        ") + "\n")


def repl(source, namespace, *, width=80):
    """Run ``source`` statement by statement as the Python REPL would; print the transcript as Markdown.

    Each statement is shown after ``>>>`` (``...`` for continuation lines) and followed by what the
    REPL prints: the ``repr`` of an expression's value, anything written to standard output or
    error, and warnings (``UserWarning`` and its subclasses), in the order they happen. Lines of
    prose longer than ``width`` are wrapped, as a terminal would (tables are left alone). A
    statement whose first line ends with ``# raises`` must raise; the REPL's last line of the
    error (its type and message) is shown. Any other exception fails the build.
    """
    import ast
    import textwrap

    source = source.strip("\n")
    lines = source.split("\n")
    out = []
    for node in ast.parse(source).body:
        text = lines[node.lineno - 1 : node.end_lineno]
        expect_error = text[0].rstrip().endswith("# raises")
        if expect_error:
            text = [text[0].rstrip()[: -len("# raises")].rstrip(), *text[1:]]
        out += [(">>> " if i == 0 else "... ") + line for i, line in enumerate(text)]
        if len(text) > 1:
            out.append("... ")
        buf = io.StringIO()
        code = compile(ast.Interactive([node]), "<repl>", "single")  # the REPL's mode: values are displayed

        def show_warning(msg, category, *args, buf=buf, **kwargs):
            if issubclass(category, UserWarning):
                buf.write(f"{category.__name__}: {msg}\n")

        try:
            with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf), warnings.catch_warnings():
                warnings.simplefilter("always", UserWarning)  # what a user sees, at every call
                warnings.showwarning = show_warning
                exec(code, namespace)
        except Exception as e:
            if not expect_error:
                raise
            module = "" if type(e).__module__ == "builtins" else f"{type(e).__module__}."  # as the REPL prints it
            buf.write(f"{module}{type(e).__qualname__}: {e}\n")
        else:
            if expect_error:
                raise AssertionError(f"expected an exception from: {text[0]}")
        for line in public(buf.getvalue()).rstrip("\n").split("\n") if buf.getvalue() else []:
            prose = len(line) > width and "  " not in line.strip() and not set(line) <= set("=-─ ")
            out += textwrap.wrap(line, width, subsequent_indent="  ") if prose else [line]
    print("```pycon\n" + "\n".join(out) + "\n```")
