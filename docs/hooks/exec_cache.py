"""MkDocs hook: what each executed block printed, kept between builds whose inputs are the same.

A page's executed blocks (markdown-exec's ``python exec="true"``) are what makes a build slow: they load
the trained models, run the forward passes and draw the figures. Their output depends only on the page's
Markdown, on the code they run (the ``explain`` package, ``docs/snippets``, this file), on the data
files, on the benchmark results a page prints and on the versions of the libraries: with the same seed,
the same numbers and the same figures (the test suite checks that promise). So the hook stores the
output of every block of a page under a key made of all of these, and a later build with the same key
prints the stored output instead of running the page again (a warm build). Change any input and the
page runs again; a page whose block fails is never stored.

Only the execution is skipped: markdown-exec still converts the output to HTML (headings, the table of
contents, links), so a replayed page is the page the run made. The blocks of a page run in a session of
their own (the page's path and the ``session`` name), as markdown-exec runs them.

At the first block a build runs, the hook also starts ``docs/snippets/train_ahead.py`` in a second process: it
trains into explain's cache the runs later pages need (Fashion-MNIST, the Fit page's run, today's quickstart,
the fault runs) while this process trains the tutorial's model for the home page and goes on through the pages.
A page that needs a run still being trained waits for it and loads it (explain's cache takes turns per entry).
Only for this site's own pages; ``EXPLAIN_DOCS_TRAIN_AHEAD=off`` turns it off.

``EXPLAIN_DOCS_PROFILE=FILE`` appends one line per page to FILE: the seconds its Markdown took to turn into
HTML (the blocks' run included) and the build's resident memory after it, now and at its peak (Linux).

The store is ``$EXPLAIN_CACHE/docs-pages`` (else explain's cache folder); ``EXPLAIN_DOCS_CACHE=off``
runs every block and stores nothing (the test suite's own build, and ``benchmarks/docs_build.py``'s
uncached builds, use it).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import gc
import hashlib
import importlib.metadata
import importlib.util
import json
import linecache
import os
import re
import subprocess
import sys
import time
import traceback
from functools import partial
from io import StringIO
from pathlib import Path
from types import ModuleType
from typing import Any

import markdown_exec

FORMAT = 1  # the layout of a stored page; a new layout makes every page run again
DOCS = Path(__file__).resolve().parents[1]
#: Libraries whose version can change what a block prints.
LIBRARIES = ("tensorflow", "keras", "numpy", "matplotlib", "pillow", "rich", "markdown-exec")
#: Variables and files that choose the data the pages load.
DATA_VARIABLES = ("EXPLAIN_MNIST", "EXPLAIN_FASHION_MNIST")
#: Threads per TensorFlow op: the last digits of a forward pass over many images can depend on it.
THREADS_VARIABLE = "TF_NUM_INTRAOP_THREADS"
DATA_PLACES = ("~/.keras/datasets/mnist.npz", "~/.keras/datasets/fashion-mnist", "/usr/share/datasets/fashion-mnist")


#: Trains the runs later pages need, in a second process (docs/snippets/setup.py's ``train_ahead``).
TRAIN_AHEAD = DOCS / "snippets" / "train_ahead.py"


class _Ahead:
    """The second process that trains ahead: started once per build, for this site's own pages only."""

    process: subprocess.Popen[bytes] | None = None
    started: bool = False
    own_site: bool = False


_ahead = _Ahead()


class _Page:
    """The page being built: its key, and the outputs replayed or recorded."""

    key: str | None = None
    name: str = ""
    replay: list[dict[str, str]] | None = None
    recorded: list[dict[str, str]] = []
    failed: bool = False
    sessions: dict[str, dict[str, Any]] = {}
    started: float = 0.0


_page = _Page()
_store: Path | None = None
_inputs_key = ""


def _enabled() -> bool:
    return os.environ.get("EXPLAIN_DOCS_CACHE", "on").strip().lower() not in {"off", "0", "no", "false"}


def _digest_tree(h: Any, root: Path) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")


def _digest_place(h: Any, place: str) -> None:
    """A data file or folder by its path, size and modification time (hashing 50 MB at every build costs)."""
    path = Path(os.path.expanduser(place))
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file():
                st = p.stat()
                h.update(f"{p}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    elif path.is_file():
        st = path.stat()
        h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    else:
        h.update(f"{path}\0absent\0".encode())


def inputs_key() -> str:
    """The hash of everything a page's output depends on besides its own Markdown."""
    h = hashlib.sha256(f"format {FORMAT}\0python {sys.version}\0".encode())
    spec = importlib.util.find_spec("explain")  # the package the pages import, without importing it
    if spec is None or spec.origin is None:
        raise RuntimeError("Expected the explain package to be importable for the docs build. Received: none found.")
    _digest_tree(h, Path(spec.origin).parent)
    _digest_tree(h, DOCS / "snippets")
    _digest_tree(h, DOCS / "hooks")
    _digest_tree(h, DOCS.parent / "benchmarks" / "results")
    for name in LIBRARIES:
        try:
            h.update(f"{name} {importlib.metadata.version(name)}\0".encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(f"{name} absent\0".encode())
    h.update(f"{THREADS_VARIABLE}={os.environ.get(THREADS_VARIABLE, '')}\0".encode())
    for variable in DATA_VARIABLES:
        value = os.environ.get(variable, "")
        h.update(f"{variable}={value}\0".encode())
        if value:
            _digest_place(h, value)
    for place in DATA_PLACES:
        _digest_place(h, place)
    return h.hexdigest()


def _store_folder() -> Path:
    from explain._core.cache import cache_dir  # importing explain is cheap: TensorFlow loads on first use

    return cache_dir() / "docs-pages"


def _slug(src_uri: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", src_uri).strip("-")


def _train_ahead() -> None:
    """Start ``train_ahead.py`` once per build, unless turned off or these pages are not this site's."""
    if _ahead.started or not _ahead.own_site:
        return
    _ahead.started = True
    if os.environ.get("EXPLAIN_DOCS_TRAIN_AHEAD", "on").strip().lower() in {"off", "0", "no", "false"}:
        return
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}  # its errors still reach the build's stderr
    # Its stdin is a pipe this process holds: when the build ends in any way, even killed, the pipe closes
    # and the script stops (train_ahead.py watches it), so no training outlives the build.
    _ahead.process = subprocess.Popen(
        [sys.executable, str(TRAIN_AHEAD)], cwd=DOCS.parent, env=env, stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip


def _stop_training_ahead() -> None:
    """End the second process with the build: whatever it still trains, no page of this build waits for."""
    process, _ahead.process = _ahead.process, None
    if process is not None and process.poll() is None:
        process.terminate()  # explain's cache commits whole entries or nothing
        process.wait()


atexit.register(_stop_training_ahead)


def _run(code: str, returncode: int | None = None, session: str | None = None, id: str | None = None, **extra: Any):  # noqa: A002
    """Run one block as markdown-exec does (``print`` goes to the page), or give back its stored output."""
    digest = hashlib.sha256(code.encode()).hexdigest()
    if _page.replay is not None:
        i = len(_page.recorded)
        if i >= len(_page.replay) or _page.replay[i]["code"] != digest:
            raise markdown_exec.ExecutionError(
                f"Expected the stored output of block {i + 1} of {_page.name}. Received: a different block. "
                f"Delete {_store} to build every page afresh."
            )
        _page.recorded.append(_page.replay[i])
        return _page.replay[i]["output"]
    _train_ahead()  # a block runs: later pages will need their runs
    scope = _page.sessions.setdefault(session, {}) if session else {}
    name = f"<code block: {_page.name}; {session or ''} n{len(_page.recorded) + 1}>"
    module = re.sub(r"[^a-zA-Z\d]+", "_", name)
    scope["__name__"] = module  # a module of its own, as dataclasses and pickle expect
    sys.modules[module] = ModuleType(module)
    buffer = StringIO()
    scope["print"] = partial(_print, buffer)
    linecache.cache[name] = (len(code), None, code.splitlines(keepends=True), name)  # tracebacks show the lines
    try:
        exec(compile(code, name, "exec"), scope)  # noqa: S102 - the docs' own code
    except Exception as error:
        _page.failed = True
        trace = traceback.TracebackException.from_exception(error)
        raise markdown_exec.ExecutionError(markdown_exec.code_block("python", "".join(trace.format()))) from error
    output = buffer.getvalue()
    _page.recorded.append({"code": digest, "output": output})
    return output


def _print(buffer: StringIO, *texts: Any, end: str = "\n", **_: Any) -> None:
    buffer.write(" ".join(str(t) for t in texts) + end)


def _format_python(**kwargs: Any) -> str:
    return markdown_exec.base_format(language="python", run=_run, **kwargs)


def on_config(config: Any) -> Any:
    """Run every Python block through this hook (markdown-exec's formatting, this hook's execution)."""
    global _store, _inputs_key
    markdown_exec.formatters["python"] = _format_python
    markdown_exec.formatters["py"] = _format_python
    # One thread per TensorFlow op, in this process and the one that trains ahead (TensorFlow reads this when it
    # starts, at the first block). Measured on 2 cores: an epoch of the tutorial takes 10.6 s that way, 16.0 s with
    # TensorFlow's default of one thread per core, with the same weights to the last bit; and two processes
    # then share the cores instead of slowing each other down. A value set by the caller is kept. The forward
    # passes of large batches can differ in the last float digits with the thread count, so it is in the key.
    os.environ.setdefault(THREADS_VARIABLE, "1")
    _store = _store_folder() if _enabled() else None
    _inputs_key = inputs_key() if _store is not None else ""
    _ahead.own_site = Path(config["docs_dir"]).resolve() == DOCS
    _ahead.started = False  # a new build (mkdocs serve builds again in the same process)
    return config


def on_post_build(config: Any) -> None:
    _stop_training_ahead()


def on_build_error(error: Exception) -> None:
    _stop_training_ahead()


def _memory() -> str:
    """The process's resident memory now and at its peak, from ``/proc/self/status`` (Linux), in MiB."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return "memory unknown"
    kib = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, flags=re.M))
    return f"{int(kib.get('VmRSS', 0)) // 1024} MiB, peak {int(kib.get('VmHWM', 0)) // 1024} MiB"


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """Find the stored outputs of this page, if its Markdown and every input are the same as then."""
    _page.started = time.perf_counter()
    _page.name = page.file.src_uri
    _page.recorded, _page.failed, _page.sessions, _page.replay = [], False, {}, None
    _page.key = None
    if _store is not None:
        _page.key = hashlib.sha256(f"{_inputs_key}\0{page.file.src_uri}\0{markdown}".encode()).hexdigest()
        stored = _store / f"{_slug(page.file.src_uri)}.{_page.key[:32]}.json"
        try:
            entry = json.loads(stored.read_text())
            if entry.get("format") == FORMAT and entry.get("key") == _page.key:
                _page.replay = entry["outputs"]
        except (OSError, ValueError, KeyError, TypeError):
            pass  # not stored yet, or unreadable: the page runs
    return markdown


def _release_memory() -> None:
    """Give back what a page's blocks held: their sessions, the cycles Keras models make, and the freed heap.

    So the build's one process does not keep growing with the arrays and models of every page it ran; the
    runs the pages share stay in ``docs/snippets/setup.py``'s registry.
    """
    _page.sessions = {}
    gc.collect()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # not glibc (musl): its free already returns memory
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def on_page_content(html: str, page: Any, **_: Any) -> str:
    """Store what a page's blocks printed, when every block ran (a page that failed is never stored)."""
    if _page.recorded and _page.replay is None:
        _release_memory()
    profile = os.environ.get("EXPLAIN_DOCS_PROFILE")
    if profile:
        with open(profile, "a", encoding="utf-8") as log:
            log.write(f"{page.file.src_uri}\t{time.perf_counter() - _page.started:.1f} s\t{_memory()}\n")
    if _store is None or _page.key is None or _page.replay is not None or _page.failed or not _page.recorded:
        return html
    slug = _slug(page.file.src_uri)
    target = _store / f"{slug}.{_page.key[:32]}.json"
    try:
        _store.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"format": FORMAT, "key": _page.key, "outputs": _page.recorded}))
        os.replace(temporary, target)  # whole or not at all
        for old in _store.glob(f"{slug}.*.json"):  # the same page's outputs for older inputs
            if old != target:
                old.unlink(missing_ok=True)
    except OSError as e:
        print(f"explain docs: page outputs not stored ({e})", file=sys.stderr)
    return html
