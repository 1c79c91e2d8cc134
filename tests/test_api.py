"""The public API: every name resolves, is documented with Examples, and importing stays light."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import explain


@pytest.mark.parametrize("name", [n for n in explain.__all__ if n != "__version__"])
def test_public_name_resolves_and_has_a_google_docstring_with_examples(name: str) -> None:
    obj = getattr(explain, name)
    documented = [(name, obj)]
    if inspect.ismodule(obj):  # a public module: each of its public functions (those it lists in __all__)
        listed = getattr(obj, "__all__", None)
        documented = [(f"{name}.{n}", f) for n, f in inspect.getmembers(obj, inspect.isfunction)
                      if not n.startswith("_")
                      and (n in listed if listed else f.__module__ == obj.__name__)]  # fmt: skip
        assert documented, f"explain.{name} has no public functions"
    for qualname, item in documented:
        doc = inspect.getdoc(item) or ""
        assert doc, f"explain.{qualname} has no docstring"
        is_error = inspect.isclass(item) and issubclass(item, (Exception, Warning))
        if not is_error:
            assert "Examples:" in doc, f"explain.{qualname} has no Examples: section"


def test_functions_stay_functions_whatever_the_import_order() -> None:
    # Importing submodules first must not replace explain.trace (the function) by a module.
    code = (
        "import explain.forward.dropout, explain.forward.trace, explain.evaluation.evaluate, "
        "explain.diagnosis.diagnose, explain, inspect;"
        "assert inspect.isfunction(explain.trace), explain.trace;"
        "assert inspect.isfunction(explain.dense);"
        "assert inspect.isfunction(explain.evaluate), explain.evaluate;"
        "assert inspect.isfunction(explain.diagnose), explain.diagnose"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_import_and_help_do_not_import_tensorflow() -> None:
    code = (
        "import sys, io, contextlib, explain;"
        "from explain.cli.main import main;"
        "buf = io.StringIO();"
        "ctx = contextlib.redirect_stdout(buf);\n"
        "with ctx:\n"
        "    try: main(['--help'])\n"
        "    except SystemExit: pass\n"
        "assert 'usage: explain' in buf.getvalue();"
        "heavy = [m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules];"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        explain.no_such_thing  # noqa: B018
