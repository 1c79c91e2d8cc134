# Shared setup, run at the top of every page of the docs (and by tests/test_docs.py).
#
# Every number on the site comes from code executed at build time; this file holds what
# every page needs for that: the data, the seed, a trained model from the package's cache,
# and helpers that turn figures and results into HTML and Markdown.
import base64
import contextlib
import dataclasses
import html
import io
import logging
import os
import re
import warnings
from pathlib import Path

import matplotlib
import numpy as np  # noqa: F401 - the pages use np

import explain
from explain._core import formatting as fmt
from explain._core.tf import versions
from explain.data.sources import MNIST_ENV

logging.getLogger("tensorflow").setLevel(logging.ERROR)  # no retracing notices in the build log

SEED = 0  # the seed of the initial weights, the shuffling and the Dropout masks on every page

# $EXPLAIN_MNIST (CI: the full MNIST), else Keras's cache, else the sample shipped with explain.
# No download: a build gives the same pages with or without a network.
_notice = io.StringIO()
with contextlib.redirect_stderr(_notice):
    data = explain.load_mnist("auto", download=False)


def named_source(d):
    """Where ``d`` came from, by name: a page never shows a path of the machine that built it."""
    kind = "Fashion-MNIST" if d.name == "fashion_mnist" else "MNIST"
    if d.origin == "env":
        return f"the full {kind}, from the file named by ${MNIST_ENV if kind == 'MNIST' else 'its variable'}"
    if d.origin == "keras-cache":
        return f"the full {kind}, from Keras's cache of datasets"
    if d.origin == "keras-download":
        return f"the full {kind}, downloaded by Keras"
    if d.origin == "path":
        return f"the full {kind}, from a local file"
    return d.source  # the sample, or Debian's package: no path of this machine


data = dataclasses.replace(data, source=named_source(data))  # what data.describe() and repr(data) print
x_train, y_train, x_test, y_test = data.x_train, data.y_train, data.x_test, data.y_test


def data_name(d=None):
    """The data in a caption: "the full MNIST (60,000 training, 10,000 test images)" or the sample."""
    d = data if d is None else d
    if d.is_sample:
        return d.source
    kind = "Fashion-MNIST" if d.name == "fashion_mnist" else "MNIST"
    return f"the full {kind} ({n(len(d.y_train))} training, {n(len(d.y_test))} test images)"


def untrained_run():
    """The untrained model, in a caption."""
    return f"the untrained model (random initial weights, `explain.seed_model(seed={SEED})`)"


def trained_run(trained, d=None):
    """A trained model in a caption: epochs, data, seed and its test accuracy."""
    s = trained.settings
    return (
        f"the model trained {s['epochs']} epoch{'s' * (s['epochs'] != 1)} on {data_name(d)}, seed {s['seed']} "
        f"(test accuracy {trained.test_accuracy:.4f})"
    )


def hello_world(epochs=5):
    """The tutorial's model trained for ``epochs`` on ``data``: from explain's cache, or trained once."""
    return explain.trained(data, epochs=epochs, seed=SEED)


def n(x):
    """A count as the site writes it: 60,000."""
    return fmt.count(x)


def prob(p):
    """A probability with four decimals, or as many as it takes not to round it to 0 or 1: 0.999998."""
    text = f"{p:.4f}"
    return f"{p:.6g}" if text in ("0.0000", "1.0000") else text


_figure_ids = {}


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
        f"    This page was built on {data.source}, not on all 70,000 MNIST images, so its counts and "
        "accuracies are those of the sample. CI builds the site on the full MNIST "
        "(`EXPLAIN_MNIST=/path/to/mnist.npz mkdocs build`).\n"
    )


def provenance(*, trained=None, extra=""):
    """The admonition every page ends with: data, seed, versions, and the trained model used."""
    v = versions()
    lines = [
        f"Data: {data.source}" + (", not the full MNIST." if data.is_sample else "."),
        f"Seed {SEED}. explain {v['explain']}, TensorFlow {v['tensorflow']}, Keras {v['keras']}, "
        f"NumPy {v['numpy']}, Python {v['python']}.",
    ]
    if trained is not None:
        how = "loaded from explain's cache" if trained.from_cache else "trained during this build, then cached"
        lines.append(
            f"Trained model: {trained.settings['epochs']} epochs, batch {trained.settings['batch_size']}, "
            f"seed {trained.settings['seed']}, {how} (key `{trained.key}`)."
        )
    if extra:
        lines.append(extra)
    body = "\n".join(f"    {line}\n" for line in lines)
    return '!!! info "Where the numbers on this page come from"\n' + body


def public(text):
    """``text`` without the paths of the machine that builds the site: the placeholders a reader would use."""
    mnist = os.environ.get(MNIST_ENV)
    if mnist:
        text = text.replace(str(Path(mnist).resolve()), "/path/to/mnist.npz").replace(mnist, "/path/to/mnist.npz")
    return text.replace(str(Path.home()) + "/", "~/")


def repl(source, namespace, *, width=80):
    """Run ``source`` statement by statement as the Python REPL would; print the transcript as Markdown.

    Each statement is shown after ``>>>`` (``...`` for continuation lines) and followed by what the
    REPL prints: the ``repr`` of an expression's value, anything written to standard output or
    error, and warnings (``UserWarning`` and its subclasses), in the order they happen. Paths of the
    machine that builds the site are shown as a reader would write them (``/path/to/mnist.npz``). Lines of
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
            buf.write(f"{type(e).__module__}.{type(e).__qualname__}: {e}\n")
        else:
            if expect_error:
                raise AssertionError(f"expected an exception from: {text[0]}")
        for line in public(buf.getvalue()).rstrip("\n").split("\n") if buf.getvalue() else []:
            prose = len(line) > width and "  " not in line.strip() and not set(line) <= set("=-─ ")
            out += textwrap.wrap(line, width, subsequent_indent="  ") if prose else [line]
    print("```pycon\n" + "\n".join(out) + "\n```")
