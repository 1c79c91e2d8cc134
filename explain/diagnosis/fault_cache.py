"""Fault runs, cached on disk: a fault trains once, later processes load it in a second.

An entry is two files in explain's cache folder (`explain._core.cache.cache_dir`):
``fault-<key>-<sha>.npz``, the final weights (plain float arrays, read with
``allow_pickle=False``; the name carries the first hex digits of the file's
SHA-256), and ``fault-<key>.json``: the log, the recorded `explain.TrainingRun`,
the test scores, the error, and that file's name and full SHA-256. The JSON is
written last, atomically: it is the commit point, so a crash or Ctrl-C never
leaves an entry that is later read half-written. The key covers the fault's
definition, the epochs, the seed, the shipped sample and the versions.

On load, the model is rebuilt from the fault's own code (`explain.diagnosis.faults`)
and given the weights, and the log is diagnosed again: nothing but numbers and
text is read from disk.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from explain._core.cache import cache_dir, cache_versions, check_seal, first_line, folder_lock, seal, settings_key
from explain._core.files import atomic_write_bytes, atomic_write_text, file_sha256, remove_stale_temps
from explain._core.warn import warn
from explain.data.sources import load_mnist
from explain.diagnosis.diagnose import diagnose
from explain.diagnosis.fault_catalogue import Fault
from explain.diagnosis.fault_run import FaultRun, fault_data, fault_model
from explain.errors import CacheWarning
from explain.fit.runfile import run_from_dict, run_to_dict

FORMAT = 3  # bump when what an entry holds changes (2: the metadata is checksummed and every field checked;
#            3: a failed run's log holds the error without its stack of frames)


def fault_key(fault: Fault, epochs: int, seed: int) -> str:
    """The cache key of ``fault``'s run with these settings: its files are ``<key>.json`` and ``<key>-<sha>.npz``.

    Examples:
        >>> from explain import faults
        >>> fault_key(faults.get("healthy"), 3, 0).startswith("fault-")
        True
    """
    settings = {
        "format": FORMAT, "kind": "fault-run", "fault": repr(fault), "epochs": epochs, "seed": seed,
        "data_fingerprint": load_mnist("sample").fingerprint, **cache_versions(),
    }  # fmt: skip
    return "fault-" + settings_key(settings)


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _check_meta(meta: Any, key: str, fault: Fault, epochs: int, seed: int) -> dict[str, Any]:
    """``meta`` if every field has the type and range `save_fault_run` writes, and the seal matches; else ValueError.

    A wrongly typed field (an edited JSON, a format of another version) is refused here,
    so the entry is rebuilt once, instead of failing at every later call.
    """
    if not isinstance(meta, dict):
        raise ValueError(f"its metadata is a JSON {type(meta).__name__}, not an object")
    if meta.get("format") != FORMAT:
        raise ValueError(f"format {meta.get('format')!r}, not {FORMAT}")
    if not re.fullmatch(rf"{key}-[0-9a-f]{{12}}\.npz", str(meta.get("weights_file"))):
        raise ValueError(f"it names the weights file {meta.get('weights_file')!r}, not one of its own")
    expected = {"fault": fault.name, "epochs": epochs, "seed": seed}
    for field, value in expected.items():
        if meta.get(field) != value:
            raise ValueError(f"its {field} is {meta.get(field)!r}, not {value!r}")
    types = {"log": str, "weights_sha256": str, "n_weights": int}
    for field, kind in types.items():
        if not isinstance(meta.get(field), kind) or isinstance(meta.get(field), bool):
            raise ValueError(f"its {field} is {type(meta.get(field)).__name__}, not {kind.__name__}")
    if not 0 < meta["n_weights"] <= 1000:
        raise ValueError(f"its n_weights is {meta['n_weights']}, not a count of weight arrays")
    if meta.get("error") is not None and not isinstance(meta["error"], str):
        raise ValueError("its error is not text")
    if not _number(meta.get("seconds")) or not 0 <= meta["seconds"] < 1e6:
        raise ValueError(f"its seconds is {meta.get('seconds')!r}, not a duration")
    evaluation = meta.get("evaluation")
    if evaluation is not None:
        if not isinstance(evaluation, dict) or not all(
            isinstance(k, str) and _number(v) for k, v in evaluation.items()
        ):
            raise ValueError("its evaluation is not a dict of numbers")
        if "accuracy" in evaluation and not 0 <= evaluation["accuracy"] <= 1:
            raise ValueError(f"its evaluation's accuracy is {evaluation['accuracy']!r}, not a fraction in [0, 1]")
    if meta.get("run") is not None and not isinstance(meta["run"], dict):
        raise ValueError("its recorded run is not an object")
    check_seal(meta)
    return meta


def load_fault_run(fault: Fault, epochs: int, seed: int, folder: Path | None = None) -> FaultRun | None:
    """The cached run of ``fault`` with these settings, or ``None`` (absent or damaged: it will be trained again).

    Every field is checked before it is used (`_check_meta`), and everything built from
    the entry (the model, the recorded run, the diagnosis) is built inside the same
    check: a damaged entry warns once and is rebuilt, never an error at every call.

    Examples:
        >>> from explain import faults
        >>> r = faults.run("labels-out-of-range")  # trained once, cached
        >>> load_fault_run(faults.get("labels-out-of-range"), r.fault.epochs, 0).from_cache
        True
    """
    folder = cache_dir() if folder is None else folder
    key = fault_key(fault, epochs, seed)
    try:
        with folder_lock(folder, shared=True):  # no commit removes the weights between the JSON and the read
            meta = _check_meta(json.loads((folder / f"{key}.json").read_text()), key, fault, epochs, seed)
            weights_path = folder / meta["weights_file"]
            if file_sha256(weights_path) != meta["weights_sha256"]:
                raise ValueError(f"{weights_path.name} does not match its checksum")
            with np.load(weights_path, allow_pickle=False) as z:
                weights = [z[f"w{i}"] for i in range(meta["n_weights"])]
        model = fault_model(fault, seed)
        model.set_weights(weights)
        run = None if meta["run"] is None else run_from_dict(meta["run"])
        x, y, _, _ = fault_data(fault)
        diagnosis = diagnose(meta["log"], model=model, data=(x, y), snapshots=run)
        return FaultRun(
            fault=fault, log=meta["log"], run=run, diagnosis=diagnosis,
            evaluation=None if meta["evaluation"] is None else {k: float(v) for k, v in meta["evaluation"].items()},
            error=meta["error"], seconds=float(meta["seconds"]), model=model, from_cache=True,
        )  # fmt: skip
    except (FileNotFoundError, NotADirectoryError):  # never run with these settings (or no cache folder)
        return None
    except Exception as e:  # a corrupt, truncated or edited entry: say so, then run the fault again
        warn(
            f"explain: the cached fault run {key} is damaged ({first_line(e)}); running it again.",
            CacheWarning,
        )
        return None


def save_fault_run(result: FaultRun, epochs: int, seed: int, folder: Path | None = None) -> Path | None:
    """Keep ``result`` in the cache; returns the JSON file, or ``None`` (with a warning) when the disk refuses.

    Examples:
        >>> from explain import faults
        >>> r = faults.run("labels-out-of-range", cache=False)
        >>> save_fault_run(r, r.fault.epochs, 0).suffix
        '.json'
    """

    folder = cache_dir() if folder is None else folder
    key = fault_key(result.fault, epochs, seed)
    weights = result.model.get_weights()
    buf = io.BytesIO()
    np.savez(buf, **{f"w{i}": np.asarray(w) for i, w in enumerate(weights)})
    data = buf.getvalue()
    sha = hashlib.sha256(data).hexdigest()
    try:
        # Named by its content: two processes saving the same run write the same file, each atomically.
        weights_path = atomic_write_bytes(folder / f"{key}-{sha[:12]}.npz", data)
        meta = seal({
            "format": FORMAT, "fault": result.fault.name, "epochs": epochs, "seed": seed, "log": result.log,
            "run": None if result.run is None else run_to_dict(result.run), "evaluation": result.evaluation,
            "error": result.error, "seconds": result.seconds, "n_weights": len(weights),
            "weights_file": weights_path.name, "weights_sha256": sha,
        })  # fmt: skip
        with folder_lock(folder):  # one commit at a time (the cache's folder lock), so tidying never races a save
            written = atomic_write_text(folder / f"{key}.json", json.dumps(meta))
            for old in folder.glob(f"{key}-*.npz"):  # weights of an earlier, replaced run of this entry
                if old != weights_path:
                    old.unlink(missing_ok=True)
            for name in (f"{key}.json", weights_path.name):  # temporary files of a process that died while saving
                remove_stale_temps(folder, name)
        return written
    except OSError as e:  # read-only or full disk: the run is still good, just not cached
        warn(
            f"explain: could not cache the fault run in {folder} ({first_line(e)}); it is returned, not saved there.",
            CacheWarning,
        )
        return None
