# Shared setup, run at the top of every page of the docs (and by tests/test_docs.py).
#
# Every number on the site comes from code executed at build time; this file holds what
# every page needs for that: the data, the seed, a trained model from the package's cache,
# and helpers that turn figures and results into HTML and Markdown.
import base64
import contextlib
import html
import io
import logging
import warnings

import matplotlib
import numpy as np  # noqa: F401 - the pages use np

import explain
from explain._core import formatting as fmt
from explain._core.tf import versions

logging.getLogger("tensorflow").setLevel(logging.ERROR)  # no retracing notices in the build log

SEED = 0  # the seed of the initial weights, the shuffling and the Dropout masks on every page

# $EXPLAIN_MNIST (CI: the full MNIST), else Keras's cache, else the sample shipped with explain.
# No download: a build gives the same pages with or without a network.
_notice = io.StringIO()
with contextlib.redirect_stderr(_notice):
    data = explain.load_mnist("auto", download=False)
x_train, y_train, x_test, y_test = data.x_train, data.y_train, data.x_test, data.y_test


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


def show(fig, alt, *, fmt="png", caption=None):
    """Print a matplotlib figure as HTML: PNG data for images, inline SVG for charts (``fmt="svg"``)."""
    caption_html = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    print(f'<figure class="explain-figure">{_figure_html(fig, alt, fmt)}{caption_html}</figure>')


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
            buf.write(f"{type(e).__module__}.{type(e).__qualname__}: {e}\n")
        else:
            if expect_error:
                raise AssertionError(f"expected an exception from: {text[0]}")
        for line in buf.getvalue().rstrip("\n").split("\n") if buf.getvalue() else []:
            prose = len(line) > width and "  " not in line.strip() and not set(line) <= set("=-─ ")
            out += textwrap.wrap(line, width, subsequent_indent="  ") if prose else [line]
    print("```pycon\n" + "\n".join(out) + "\n```")
