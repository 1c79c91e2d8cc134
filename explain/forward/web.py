"""The Hello World's weights for a web page: ``export_for_web(model, folder)`` -> `WebExport`.

The Draw a digit page runs the trained model's forward pass in plain JavaScript, so it needs the four
weight arrays (``dense``'s kernel ``(784, 512)`` and bias ``(512,)``, ``dense_1``'s ``(512, 10)`` and
``(10,)``) and what to do with them. The folder gets:

- one raw file per array: little-endian float32 in C order (row after row), named after its layer, its
  role and the first hex digits of its SHA-256 (``dense-kernel-3f2a….f32``), so a file never changes once
  written;
- ``weights.js``: the manifest and every array (base64) in one script that sets ``window.explainWeights``.
  A page opened from disk (``file://``) cannot ``fetch()`` files next to it in Chromium, but it can run a
  ``<script>``: this is what the docs page embeds;
- ``manifest.json``: the input shape, each layer (kind, activation, units, Dropout's rate), each array's
  file, shape, dtype and SHA-256, which run the weights come from, and the versions.

Every file is written to a temporary file and renamed into place, ``manifest.json`` last, so a reader never
follows the manifest to a half-written file; array files the new manifest no longer names are removed.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from explain._core import checks
from explain._core import formatting as fmt
from explain._core.files import atomic_write_bytes, atomic_write_text
from explain._core.report import Rendered, Report, Table
from explain._core.tf import keras, versions
from explain.errors import ModelError, OutputError

#: Bump when what the folder holds changes; the page refuses a manifest of another format.
FORMAT = 1
#: The layer chain the page's JavaScript computes.
CHAIN = "Flatten → Dense(n, relu) → Dropout(rate) → Dense(10, softmax)"


@dataclass(frozen=True, eq=False)
class WebExport(Rendered):
    """What `export_for_web` wrote.

    Attributes:
        folder: the folder.
        manifest: the manifest as a dictionary (also in ``manifest.json`` and ``weights.js``).
        files: every file written, the manifest last.

    Examples:
        >>> import explain, tempfile
        >>> w = explain.export_for_web(explain.seed_model(), tempfile.mkdtemp())
        >>> [(a["name"], a["shape"]) for a in w.arrays]
        [('dense/kernel', [784, 512]), ('dense/bias', [512]), ('dense_1/kernel', [512, 10]), ('dense_1/bias', [10])]
    """

    folder: Path
    manifest: dict[str, Any] = field(repr=False)
    files: tuple[Path, ...] = field(repr=False)

    @property
    def arrays(self) -> list[dict[str, Any]]:
        """Each array's entry in the manifest: name, file, shape, dtype, byte order, SHA-256."""
        return [a for layer in self.manifest["layers"] for a in layer.get("arrays", [])]

    def __repr__(self) -> str:
        size = sum(math.prod(a["shape"]) for a in self.arrays)
        return f"WebExport({self.folder}, {len(self.arrays)} arrays, {size:,} float32 values)"

    def report(self) -> Report:
        rows = tuple(
            (a["name"], a["file"], fmt.shape(a["shape"]), fmt.count(4 * math.prod(a["shape"])), a["sha256"][:16] + "…")
            for a in self.arrays
        )
        table = Table(("array", "file", "shape", "bytes", "sha256"), rows, align="llrrl")
        run = self.manifest.get("run")
        about = (
            "Which run: " + ", ".join(f"{k} {v}" for k, v in run.items()) + "."
            if run
            else "Which run: not given (pass run=explain.trained(...) to record it)."
        )
        return Report(
            f"Weights of '{self.manifest['model']}' for the web, in {self.folder}",
            (table, about, "weights.js holds the manifest and every array (base64) for pages opened from disk."),
        )


def _layers(model: Any) -> list[Any]:
    """The model's layers if they are the Hello World's chain; else a ModelError that names what differs."""
    k = keras()
    checks.traceable_model(model)
    layers = [layer for layer in model.layers if not isinstance(layer, k.layers.InputLayer)]

    def describe(layer: Any) -> str:
        act = getattr(getattr(layer, "activation", None), "__name__", None)
        units = getattr(layer, "units", None)
        inner = ", ".join(str(x) for x in (units, act) if x is not None)
        return f"{type(layer).__name__}({inner})" if inner else type(layer).__name__

    kinds = [(k.layers.Flatten,), (k.layers.Dense, "relu"), (k.layers.Dropout,), (k.layers.Dense, "softmax")]
    ok = len(layers) == len(kinds) and all(
        isinstance(layer, kind[0])
        and (len(kind) == 1 or getattr(layer.activation, "__name__", "").removesuffix("_v2") == kind[1])
        for layer, kind in zip(layers, kinds)
    )
    in_shape = tuple(model.inputs[0].shape[1:])
    if not ok or in_shape != (28, 28) or any(layer.dtype != "float32" for layer in layers):
        raise ModelError(
            f"Expected the Hello World's layers, which the page's JavaScript computes: input (28, 28), {CHAIN}, "
            f"float32. Received: model '{model.name}' with input {in_shape}: "
            f"{' → '.join(describe(layer) for layer in layers)}. Export a model built by explain.seed_model() "
            f"(or trained by explain.trained())."
        )
    return layers


def _run_record(run: Any) -> dict[str, Any] | None:
    """What the manifest says about where the weights come from: from a `explain.Trained`, a mapping, or None."""
    if run is None:
        return None
    settings = getattr(run, "settings", None)
    if isinstance(settings, Mapping):  # a Trained, read by duck typing (fit/ comes after forward/)
        record = {key: settings[key] for key in ("data", "data_fingerprint", "epochs", "seed", "batch_size")}
        record.update(test_accuracy=float(run.test_accuracy), test_loss=float(run.test_loss), cache_key=run.key)
        return record
    if isinstance(run, Mapping):
        record = dict(run)
        try:
            json.dumps(record)
        except (TypeError, ValueError) as e:
            raise ValueError(f"Expected run to hold JSON values (text, numbers). Received: {e}.") from e
        return record
    raise ValueError(
        f"Expected run to be explain.trained(...)'s result, a dict describing the run, or None. "
        f"Received: {type(run).__name__}."
    )


def export_for_web(model: Any, folder: str | os.PathLike[str], *, run: Any = None) -> WebExport:
    """Write the Hello World's weights for a web page: float32 arrays, ``weights.js`` and ``manifest.json``.

    Args:
        model: the Hello World model (`explain.seed_model`, or `explain.trained`'s ``.model``): input
            (28, 28), Flatten → Dense(n, relu) → Dropout → Dense(10, softmax), any hidden width n.
        folder: where to write; created if missing. Files of an earlier export there are replaced.
        run: where the weights come from, recorded in the manifest: `explain.trained`'s result (data,
            epochs, seed, batch size, test accuracy and loss, cache key), a dict of your own, or None.

    Returns:
        A `WebExport`: the folder, the manifest and the files written.

    Raises:
        ModelError: the model is not the Hello World's layer chain (a CNN, another activation, an output
            without softmax …): the page's JavaScript computes only that chain.
        ValueError: ``run`` is none of the above.
        OutputError: ``folder`` cannot be a folder (a file, a device, a path too long; see
            `explain._core.checks.output_folder`; checked before anything is written), or it refuses the
            files (read-only, full): the files this call wrote are removed, an earlier export's stay.

    Examples:
        >>> import explain, json, tempfile
        >>> w = explain.export_for_web(explain.seed_model(), tempfile.mkdtemp(), run={"note": "untrained"})
        >>> manifest = json.loads((w.folder / "manifest.json").read_text())
        >>> [layer["kind"] for layer in manifest["layers"]], manifest["run"]
        (['Flatten', 'Dense', 'Dropout', 'Dense'], {'note': 'untrained'})
        >>> (w.folder / "weights.js").read_text()[:26]
        'window.explainWeights = {"'
    """
    layers = _layers(model)
    record = _run_record(run)
    out = checks.output_folder(folder, name="folder", error=OutputError, purpose="the web page's weights")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(
            f"Expected folder to be a folder explain can create and write to. Received: {out}, which could not be "
            f"created ({e.strerror or e}). Pass another folder."
        ) from None
    entries, blobs, written = [], {}, []
    existed = {p.name for p in out.iterdir()}  # an earlier export's files stay, whatever happens
    try:
        for layer in layers:
            entry: dict[str, Any] = {"name": layer.name, "kind": type(layer).__name__}
            if isinstance(layer, keras().layers.Dense):
                entry.update(activation=layer.activation.__name__.removesuffix("_v2"), units=int(layer.units))
                arrays = []
                for role, value in zip(("kernel", "bias"), layer.get_weights()):
                    data = np.ascontiguousarray(value, dtype="<f4").tobytes()  # little-endian float32, rows in order
                    sha = hashlib.sha256(data).hexdigest()
                    name = f"{layer.name}-{role}-{sha[:12]}.f32"
                    written.append(atomic_write_bytes(out / name, data))
                    arrays.append(
                        {"name": f"{layer.name}/{role}", "file": name, "shape": list(value.shape), "dtype": "float32",
                         "byteorder": "little", "sha256": sha}
                    )  # fmt: skip
                    blobs[f"{layer.name}/{role}"] = base64.b64encode(data).decode("ascii")
                entry["arrays"] = arrays
            elif isinstance(layer, keras().layers.Dropout):
                entry["rate"] = float(layer.rate)
            entries.append(entry)
        manifest = {
            "format": FORMAT,
            "model": model.name,
            "input_shape": [28, 28],
            "layers": entries,
            "run": record,
            "versions": versions(),
        }
        script = "window.explainWeights = " + json.dumps({"manifest": manifest, "data": blobs}) + ";\n"
        written.append(atomic_write_text(out / "weights.js", script))
        written.append(atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=1) + "\n"))  # the commit
    except OSError as e:  # a read-only folder, a full disk: the files this call wrote go, the earlier stay
        for done in written:
            if done.name not in existed:
                with contextlib.suppress(OSError):
                    done.unlink()
        raise OutputError(
            f"Expected folder to be a folder explain can write to. Received: {out}, which refused a file "
            f"({e.strerror or e}). Make it writable or free some space, or pass another folder."
        ) from None
    keep = {p.name for p in written}
    for stale in out.glob("*.f32"):  # an earlier export's arrays, no longer named by the manifest
        if stale.name not in keep and re.fullmatch(r"[\w.]+-(kernel|bias)-[0-9a-f]{12}\.f32", stale.name):
            with contextlib.suppress(OSError):
                stale.unlink()
    return WebExport(out, manifest, tuple(written))
