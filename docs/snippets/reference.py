# Shared by the API reference pages: ``document(modules)`` prints mkdocstrings' ``:::`` directives for the
# public names (``explain.__all__``) that those modules define, grouped by module, in the order given.
# The pages list no names by hand: a new public name appears on the page of its module by itself, and
# tests/test_docs.py checks that every public name is on one of the pages.
import importlib
import inspect
import re
from pathlib import Path

import griffe

import explain

#: The pages of the reference and the modules each documents, in the order of the program.
PAGES = {
    "reference-data.md": (
        "Data and the model",
        ["explain.data.sources", "explain.data.dataset", "explain.data.scaling", "explain.data.digit", "explain.model"],
    ),
    "reference-trace.md": (
        "The forward pass, layer by layer",
        [
            "explain.forward.trace",
            "explain.forward.flatten",
            "explain.forward.dense",
            "explain.forward.dropout",
            "explain.forward.softmax",
            "explain.forward.web",
        ],
    ),
    "reference-training.md": (
        "Compile, fit, evaluate",
        [
            "explain.compile.loss",
            "explain.compile.sparse",
            "explain.compile.shortcut",
            "explain.compile.crossentropy",
            "explain.compile.gradients",
            "explain.compile.adam",
            "explain.compile.adam_steps",
            "explain.fit.train",
            "explain.fit.run",
            "explain.fit.recorder",
            "explain.fit.snapshot",
            "explain.fit.cache",
            "explain.evaluation.evaluate",
            "explain.evaluation.gap",
        ],
    ),
    "reference-diagnosis.md": (
        "When training goes wrong",
        [
            "explain.diagnosis.diagnose",
            "explain.diagnosis.findings",
            "explain.diagnosis.logparse",
            "explain.diagnosis.faults",
        ],
    ),
    "reference-figures.md": ("Figures", ["explain.figures", "explain.cli.gallery"]),
    "reference-errors.md": ("Errors and warnings", ["explain.errors"]),
}


def module_of(name):
    """The module that defines the public name ``name`` (``explain.figures`` is itself a module)."""
    obj = getattr(explain, name)
    return obj.__name__ if inspect.ismodule(obj) else obj.__module__


def public_names():
    """Public name -> the module that defines it."""
    return {name: module_of(name) for name in explain.__all__ if name != "__version__"}


def page_of(module):
    """The reference page that documents ``module``: the page listing it, else the last page."""
    return next((page for page, (_, modules) in PAGES.items() if module in modules), list(PAGES)[-1])


# What mkdocstrings sees: the source, not live objects (the folder that holds the imported explain package).
_package = griffe.load("explain", search_paths=[str(Path(explain.__file__).resolve().parents[1])])


def _static_path(module, name):
    """Whether mkdocstrings can find ``module.name`` in the source."""
    try:
        _package[f"{module.removeprefix('explain.')}.{name}"]
    except KeyError:
        return False
    return True


def _fallback(module, name):
    """A public name built at run time (invisible to static analysis): its docstring from the live object."""
    obj = getattr(explain, name)
    signature = f"{name}{inspect.signature(obj)}".replace("'", "")  # annotations are strings here
    doc = griffe.Docstring(inspect.getdoc(obj) or "", parser="google", parser_options={"warn_missing_types": False})
    print(f'<h3 id="{module}.{name}"><code>{name}</code></h3>\n')
    print(f"```python\n{signature}\n```\n")
    for section in doc.parse():
        kind = section.kind.value
        if kind == "text":
            print(section.value + "\n")
        elif kind == "parameters":
            print("**Parameters:**\n")
            print("| name | description |\n| --- | --- |")
            for p in section.value:
                print(f"| `{p.name}` | {' '.join(p.description.split())} |")
            print()
        elif kind == "examples":
            print("**Examples:**\n")
            for sub_kind, text in section.value:
                lang = "pycon" if sub_kind.value == "examples" else "text"
                print(f"```{lang}\n{text}\n```\n" if lang == "pycon" else text + "\n")


def summary(module):
    """The first line of a module's docstring, Sphinx roles (:class:`Dataset`) as code."""
    doc = (importlib.import_module(module).__doc__ or "").strip().split("\n")[0]
    return re.sub(r":\w+:`~?([^`]+)`", r"`\1`", doc)


def document(page):
    """Print the reference of every public name whose module belongs on ``page``."""
    names = public_names()
    modules = [m for m in dict.fromkeys(names.values()) if page_of(m) == page]
    listed = PAGES[page][1]
    for module in sorted(modules, key=lambda m: listed.index(m) if m in listed else len(listed)):
        print(f"## `{module}`\n\n{summary(module)}\n")
        for name in (n for n, m in names.items() if m == module):
            if inspect.ismodule(getattr(explain, name)):  # the module's members, under the module's heading
                print(f"::: {module}\n    options:\n      show_root_heading: false\n      heading_level: 3\n")
            elif _static_path(module, name):
                print(f"::: {module}.{name}\n")
            else:
                _fallback(module, name)


def index():
    """A table of every public name: what it is, in one line, and the page that documents it."""
    print("| name | what it is | page |\n| --- | --- | --- |")
    for name, module in sorted(public_names().items(), key=lambda item: item[0].lower()):
        obj = getattr(explain, name)
        first = (inspect.getdoc(obj) or "").strip().split("\n")[0].replace("|", "\\|")
        first = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", first)
        page = page_of(module)
        anchor = module if inspect.ismodule(obj) else f"{module}.{name}"
        print(f"| [`{name}`]({page.replace('.md', '.html')}#{anchor}) | {first} | {PAGES[page][0]} |")
