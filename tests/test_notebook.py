"""examples/hello_world.ipynb runs top to bottom in a real Jupyter kernel and shows what a learner should see.

The notebook is executed with nbclient in a kernel of this very interpreter,
described by a kernelspec written to a temporary folder (nothing is written to
the user's home: IPython's and Jupyter's folders point into the same
temporary folder). The kernel inherits this process's environment, so
``EXPLAIN_CACHE`` (the test session's private cache) holds there too, and its
``PYTHONPATH`` starts with the folder of the explain this test imported.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import nbclient
import nbformat
import pytest

import explain

pytestmark = pytest.mark.slow  # builds the site or starts a kernel: minutes

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "hello_world.ipynb"
KERNEL = "explain-test-python"
#: Appended to the in-memory copy only (the committed notebook stays as a learner sees it).
WHERE = "import os, explain; print(explain.__file__); print(os.environ.get('EXPLAIN_CACHE'))"


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The notebook, executed once for this module's tests."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    home = tmp_path_factory.mktemp("jupyter")
    # The kernel imports the explain this test imported: the source tree (pytest puts the repository
    # on sys.path), not a copy installed in site-packages, which CI's `pip install .` also makes.
    source = str(Path(explain.__file__).resolve().parents[1])
    pythonpath = os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH", "")) if p)
    spec = home / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "explain tests",
                "language": "python",
                "env": {"IPYTHONDIR": str(home / "ipython"), "PYTHONPATH": pythonpath},
            }
        )
    )
    folders = {"JUPYTER_CONFIG_DIR": "config", "JUPYTER_DATA_DIR": "data", "JUPYTER_RUNTIME_DIR": "runtime"}
    old = {name: os.environ.get(name) for name in folders}
    os.environ.update({name: str(home / sub) for name, sub in folders.items()})
    try:
        specs = KernelSpecManager(kernel_dirs=[str(home / "kernels")])
        km = KernelManager(kernel_name=KERNEL, kernel_spec_manager=specs)
        nb = nbformat.read(NOTEBOOK, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(WHERE))
        nbclient.NotebookClient(nb, km=km, timeout=120, resources={"metadata": {"path": str(home)}}).execute()
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return nb


def _code(nb: Any, source_start: str) -> Any:
    cells = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(source_start)]
    assert len(cells) == 1, f"expected one code cell starting with {source_start!r}, found {len(cells)}"
    return cells[0]


def _data(cell: Any, mime: str) -> str:
    results = [o for o in cell.outputs if o.output_type in ("execute_result", "display_data") and mime in o.data]
    kinds = [o.output_type for o in cell.outputs]
    assert len(results) == 1, f"expected one {mime} output in {cell.source!r}, got {kinds}"
    return results[0].data[mime]


def test_the_committed_notebook_has_no_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)


def test_the_kernel_uses_this_explain_and_the_private_cache(executed) -> None:
    printed = "".join(o.text for o in _code(executed, WHERE).outputs if o.output_type == "stream")
    assert printed.split("\n")[:2] == [explain.__file__, os.environ["EXPLAIN_CACHE"]]


def test_it_runs_without_errors_or_tensorflow_noise(executed) -> None:
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    stderr = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stderr")
    # Nothing on stderr at all: TensorFlow's C++ start-up log (with EXPLAIN_VERBOSE=1 it shows here as
    # "WARNING: All log messages before absl::InitializeLog() ...", "oneDNN custom operations are on",
    # "failed call to cuInit") stays hidden, and no warning reaches the learner.
    assert stderr == "", stderr


@pytest.mark.parametrize(
    ("cell", "title"),
    [
        ("t = explain.trace", "Trace of &#x27;hello_world&#x27; on one input"),
        ("explain.dense(", "Dense"),
        ("drop = explain.dropout", "Dropout"),
        ("explain.softmax(model, image)\n", "Softmax"),
        ("run = explain.train", "Training: 1 epoch"),
    ],
)
def test_results_render_as_html_tables(executed, cell: str, title: str) -> None:
    code = [c for c in executed.cells if c.cell_type == "code" and c.source.startswith(cell.rstrip("\n"))]
    html = _data(code[0], "text/html")
    assert html.startswith('<div class="explain-report">') and "<table>" in html and title in html, html[:300]


def test_figures_appear_as_png_images(executed) -> None:
    for start in ("model = explain.seed_model", "explain.figures.dropout_mask"):
        png = _data(_code(executed, start), "image/png")
        assert len(png) > 1000  # base64 of a real picture, not an empty canvas


def test_outputs_are_the_numbers_explain_gives_here(executed, sample) -> None:
    """Same seed, same numbers: the kernel's results equal this process's, HTML byte for byte."""
    model = explain.seed_model(seed=0)
    image = explain.normalize(sample.x_test[0])
    assert _data(_code(executed, "t = explain.trace"), "text/html") == explain.trace(model, image)._repr_html_()
    assert _data(_code(executed, "explain.dense("), "text/html") == explain.dense(model, image)._repr_html_()
    drop = explain.dropout(model, image, seed=0)
    assert _data(_code(executed, "drop = explain.dropout"), "text/html") == drop._repr_html_()
    run = explain.train(model, sample, epochs=1, seed=0)
    shown = _data(_code(executed, "run.history"), "text/plain")
    assert shown == repr(run.history)
    after = explain.softmax(model, image)._repr_html_()
    assert _data(_code(executed, "explain.softmax(model, image)  #"), "text/html") == after
