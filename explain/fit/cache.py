"""Trained models, cached on disk: train once, load in seconds afterwards.

``trained(...)`` looks for a model trained with exactly these settings on
exactly this data, with these versions of explain, TensorFlow and Keras. If it
finds one it loads it; otherwise it trains (``explain.train``), evaluates on
the test split, and saves the model with its history.

An entry is two files: ``<key>-<sha>.keras`` (the model; its name carries the
first hex digits of its own SHA-256, so it never changes once written) and
``<key>.json`` (settings, history, test scores, the recorded
`explain.TrainingRun` as exact JSON (`explain.fit.runfile`), that file's name
and full SHA-256, and a SHA-256 of the JSON's own content). Both are written
to a temporary file and renamed into place, the JSON last, so a crash or
Ctrl-C never leaves an entry that is later read half written; a model file
whose checksum does not match, or metadata that is edited, out of range or not
what explain wrote, is ignored with a warning and rebuilt. Temporary files
carry their writer's process id: one left by a process that died is removed
at the next save. Models load with Keras's ``safe_mode=True`` (no arbitrary
code; nothing is unpickled). Processes that ask for the same missing entry at
once train it once: the first holds the entry's lock while it trains and saves,
the others say that they wait, then load what it saved
(``explain._core.cache.load_or_make``). Where there is no ``flock`` they all train,
and all succeed: the commits take turns under a lock on the folder itself, the
first commit wins and the others return its model file, so a ``Trained.path``
once returned is not removed by a later commit. A full or read-only disk, or a cache location that is no folder (a
file, ``/dev/null``, ``''``), costs the cache, not the model: ``trained``
warns, naming where the model was not saved, and returns the model it trained.
The folder is ``$EXPLAIN_CACHE`` or the platform's cache folder
(``~/.cache/explain`` on Linux, ``~/Library/Caches/explain`` on macOS,
``%LOCALAPPDATA%\\explain\\Cache`` on Windows).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from explain._core import checks
from explain._core import formatting as fmt
from explain._core.cache import (
    CACHE_ENV,
    cache_folder,
    cache_versions,
    check_seal,
    first_line,
    folder_lock,
    load_or_make,
    seal,
    settings_key,
)
from explain._core.cache import cache_dir as cache_dir  # re-exported: the folder trained() uses by default
from explain._core.files import STALE_SECONDS as STALE_SECONDS  # re-exported: when an ownerless temp file is stale
from explain._core.files import atomic_write_text, file_sha256, remove_stale_temps, temp_prefix, usual_permissions
from explain._core.report import Report, Table
from explain._core.tf import keras
from explain._core.warn import warn
from explain.data.dataset import Dataset
from explain.data.scaling import normalize
from explain.data.sources import load_mnist
from explain.errors import CacheWarning
from explain.fit.run import TrainingRun
from explain.fit.runfile import run_from_dict, run_to_dict
from explain.fit.train import train
from explain.model import seed_model

FORMAT = 2  # bump when what an entry holds changes (2: the metadata is checksummed too)


@dataclass(frozen=True, eq=False)
class Trained:
    """A trained model and what its training measured.

    Attributes:
        model: the trained Keras model.
        history: per-epoch loss and accuracy from ``fit``.
        test_loss: loss on the test split after training.
        test_accuracy: accuracy on the test split after training.
        settings: what the cache key covers.
        key: the cache key (a hash of ``settings``).
        from_cache: whether the model was loaded rather than trained.
        path: the model file, or ``None`` when it could not be saved. It stays valid: a later commit of the
            same entry by another process keeps this file (the first commit wins).
        run: what `explain.train` recorded while training (steps, snapshots, seconds), or ``None`` for an
            entry cached before explain kept runs.

    Examples:
        >>> import explain
        >>> t = explain.trained("sample", epochs=1)
        >>> sorted(t.history), t.settings["epochs"]
        (['accuracy', 'loss'], 1)
    """

    model: Any
    history: dict[str, list[float]]
    test_loss: float
    test_accuracy: float
    settings: dict[str, Any]
    key: str
    from_cache: bool
    path: Path | None
    run: TrainingRun | None = None

    def __repr__(self) -> str:
        how = "from cache" if self.from_cache else "trained now"
        return (
            f"Trained({fmt.plural(self.settings['epochs'], 'epoch')}, seed {self.settings['seed']}, "
            f"test accuracy {self.test_accuracy:.4f}, {how})"
        )

    def report(self) -> Report:
        s = self.settings
        how = "loaded from explain's cache" if self.from_cache else "trained now (then cached)"
        names = [k for k in ("loss", "accuracy", "val_loss", "val_accuracy") if self.history.get(k)]
        epochs = len(self.history[names[0]]) if names else 0
        table = Table(
            ("epoch", *names),
            tuple((str(e + 1), *(f"{self.history[k][e]:.4f}" for k in names)) for e in range(epochs)),
            align="r" * (1 + len(names)),
        )
        return Report(
            f"The Hello World trained {fmt.plural(s['epochs'], 'epoch')}",
            (
                f"Dense({s.get('hidden_units', '?')}, {s.get('activation', '?')}), "
                f"Dropout({s.get('dropout_rate', '?')}), batch size {s.get('batch_size', '?')}, seed {s['seed']}, "
                f"on {self.run.data if self.run is not None and self.run.data else s.get('data', '?')} ({how}). "
                f"Test loss {self.test_loss:.4f}, accuracy {self.test_accuracy:.4f}. Per epoch, as fit printed it:",
                table,
            ),
        )

    def __str__(self) -> str:
        return self.report().to_text()

    def _repr_html_(self) -> str:
        return self.report().to_html()


def _check_meta(meta: Any, key: str, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """``meta`` if it is what `_save` writes for ``key`` (and ``settings``); else a ValueError that says what is wrong.

    Every field that is loaded back is checked for its type and range, and the
    whole is checked against its own checksum (`explain._core.cache.seal`):
    an edited test accuracy is not believed.
    """

    def number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

    if not isinstance(meta, dict):
        raise ValueError(f"its metadata is a JSON {type(meta).__name__}, not an object")
    if meta.get("format") != FORMAT:
        raise ValueError(f"format {meta.get('format')!r}, not {FORMAT}")
    name = meta.get("model_file")
    # Only a file of its own, in the cache folder: never a path the JSON could point anywhere else.
    if not isinstance(name, str) or not re.fullmatch(rf"{key}-[0-9a-f]{{12}}\.keras", name):
        raise ValueError(f"it names the model file {name!r}, which is not one of its own")
    if not isinstance(meta.get("model_sha256"), str) or not re.fullmatch(r"[0-9a-f]{64}", meta["model_sha256"]):
        raise ValueError("its model checksum is missing")
    history = meta.get("history")
    if not isinstance(history, dict) or not all(
        isinstance(v, list) and all(number(x) for x in v) for v in history.values()
    ):
        raise ValueError("its training history is missing or not numbers")
    for field in ("test_loss", "test_accuracy"):
        if not number(meta.get(field)):
            raise ValueError(f"its {field} is missing or not a number")
    expected = ["accuracy", "loss"] + (["val_accuracy", "val_loss"] if meta.get("validation_split") else [])
    if sorted(history) != expected:
        raise ValueError(f"its training history holds {sorted(history)}, not {expected}")
    epochs = meta.get("epochs")
    if any(len(v) != epochs for v in history.values()):
        raise ValueError(f"its training history does not have one value per epoch ({epochs!r})")
    accuracies = [a for k, v in history.items() if k.endswith("accuracy") for a in v] + [meta["test_accuracy"]]
    if not all(0 <= a <= 1 for a in accuracies):
        raise ValueError("an accuracy in it is not a fraction in [0, 1]")
    losses = [x for k, v in history.items() if k.endswith("loss") for x in v] + [meta["test_loss"]]
    if not all(x >= 0 for x in losses):
        raise ValueError("a loss in it is negative, which a cross-entropy never is")
    if meta.get("run") is not None and not isinstance(meta["run"], dict):
        raise ValueError("its recorded run is not a JSON object")
    if settings is not None and any(meta.get(k) != v for k, v in settings.items()):
        wrong = next(k for k, v in settings.items() if meta.get(k) != v)
        raise ValueError(f"its {wrong} is {meta.get(wrong)!r}, not {settings[wrong]!r}: it belongs to another entry")
    check_seal(meta)
    return meta


def _run_of(meta: dict[str, Any]) -> TrainingRun | None:
    """The recorded run in ``meta`` (None for entries from before runs were kept); a ValueError if it is damaged."""
    if meta.get("run") is None:
        return None
    try:
        return run_from_dict(meta["run"])
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"its recorded run is damaged ({type(e).__name__}: {e})") from e


def _load(
    folder: Path, key: str, settings: dict[str, Any], damaged: set[str]
) -> tuple[Any, dict[str, Any], Path] | None:
    """The entry for ``key`` if it is complete and intact; None (with a warning if it is damaged) otherwise.

    The SHA-256 of a damaged entry's JSON goes into ``damaged``, so that `_save` replaces that entry
    rather than keeping it as another process's commit.
    """
    meta_path = folder / f"{key}.json"
    if not meta_path.is_file():  # no entry yet (or no cache folder at all)
        return None
    with folder_lock(folder, shared=True):  # no commit can remove the model file while it loads
        try:
            text = meta_path.read_bytes()
            damaged.add(hashlib.sha256(text).hexdigest())  # until it loads: then it is not
            meta = _check_meta(json.loads(text.decode("utf-8")), key, settings)
            model_path = folder / meta["model_file"]
            if not model_path.is_file():
                raise ValueError(f"its model file {model_path.name} is missing")
            if file_sha256(model_path) != meta["model_sha256"]:
                raise ValueError(f"{model_path.name} does not match its checksum: truncated or changed")
            _run_of(meta)  # a damaged run makes the entry damaged, before the model is loaded
            model = keras().models.load_model(model_path, safe_mode=True)
            damaged.clear()
        except FileNotFoundError:  # removed between the check and the read: as if never there
            damaged.clear()
            return None
        except Exception as e:  # a corrupt, truncated or unsafe entry: say so, then rebuild it
            warn(
                f"explain: the cached model {meta_path} is damaged ({first_line(e)}); training it again.",
                CacheWarning,
            )
            return None
    return model, meta, model_path


def _committed(folder: Path, key: str, damaged: set[str]) -> Path | None:
    """The model file of ``key``'s committed entry if it is intact (JSON sealed, file matching its checksum),
    and not the entry this process found damaged (``damaged``: SHA-256 of its JSON)."""
    try:
        text = (folder / f"{key}.json").read_bytes()
        if hashlib.sha256(text).hexdigest() in damaged:
            return None
        meta = _check_meta(json.loads(text.decode("utf-8")), key)
        model_path = folder / meta["model_file"]
        return model_path if file_sha256(model_path) == meta["model_sha256"] else None
    except (OSError, ValueError):  # none, or damaged: this commit replaces it
        return None


def _tidy(folder: Path, key: str, keep: Path) -> None:
    """Remove the model files of ``key`` that its JSON no longer names, and temporary files left by a crash.

    Called under the folder lock, after a commit: a model file another process has just
    committed is the one its JSON names, so it is never removed here.
    """
    for path in folder.glob(f"{key}-*.keras"):
        if path != keep:
            with contextlib.suppress(OSError):
                path.unlink()
    remove_stale_temps(folder, key)  # the model's and the JSON's temporary files: their owner is asked first


def _save(model: Any, folder: Path, key: str, meta: dict[str, Any], damaged: frozenset[str] = frozenset()) -> Path:
    """Commit ``model`` as ``key``'s entry and return its model file, or the file of an intact entry already there.

    The first commit wins: a process that trained the same entry at the same time
    keeps the committed entry and returns its file (same settings, same data, same
    seed: the same model), so a path once returned is never removed by a later commit.
    """
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=temp_prefix(key), suffix=".keras")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        model.save(tmp)  # Keras wants the .keras suffix
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        usual_permissions(tmp)
        sha = file_sha256(tmp)
        model_path = folder / f"{key}-{sha[:12]}.keras"
        with folder_lock(folder):  # one commit at a time, so the clean-up below never removes a new entry
            committed = _committed(folder, key, set(damaged))
            if committed is not None:  # another process committed this entry meanwhile: keep it, and its path
                _tidy(folder, key, keep=committed)
                return committed
            existed = model_path.exists()
            os.replace(tmp, model_path)
            try:
                # The JSON is the commit point: readers only follow it to a complete, checksummed model file.
                sealed = seal({**meta, "model_file": model_path.name, "model_sha256": sha})
                atomic_write_text(folder / f"{key}.json", json.dumps(sealed, indent=1))
            except BaseException:  # full disk, Ctrl-C: no model file without its JSON
                if not existed:
                    model_path.unlink(missing_ok=True)
                raise
            _tidy(folder, key, keep=model_path)
    finally:
        tmp.unlink(missing_ok=True)  # a half-written model; already renamed away when all went well
    return model_path


def trained(
    data: Dataset | str = "auto",
    *,
    epochs: int = 5,
    seed: int = 0,
    hidden_units: int = 512,
    dropout_rate: float = 0.2,
    activation: str = "relu",
    output: str = "softmax",
    batch_size: int = 32,
    validation_split: float = 0.0,
    record_every: int = 100,
    cache: bool | str | os.PathLike[str] = True,
) -> Trained:
    """The Hello World model trained with these settings, from the cache or trained now.

    Args:
        data: a `explain.Dataset`, or a source for `explain.load_mnist`.
        epochs: epochs to train (the tutorial's 5).
        seed: seed of the initial weights, the shuffling and Dropout.
        hidden_units: width of the hidden layer (512).
        dropout_rate: Dropout's rate (0.2).
        activation: the hidden layer's activation (``"relu"``).
        output: ``"softmax"`` (the classic tutorial) or ``"logits"`` (today's quickstart; see `explain.seed_model`).
        batch_size: images per step (32).
        validation_split: share of the training images held out for validation (0: none, as the tutorial).
        record_every: the recorded run's running loss and accuracy every this many steps (see `explain.train`).
        cache: ``True`` for `cache_dir`, a folder, or ``False`` to always train.

    Returns:
        A `Trained`: the model, its history and its test scores.

    Raises:
        ValueError: bad epochs, batch size, seed, cache or model settings.
        DataError: ``data`` cannot be loaded (see `explain.load_mnist`).

    Warns:
        CacheWarning: the cached entry is damaged (it is trained again), or the
            model could not be cached (it is still returned).

    Examples:
        >>> import explain
        >>> t = explain.trained("sample", epochs=1)  # trains once, then loads in seconds
        >>> t.model.count_params(), t.test_accuracy > 0.85
        (407050, True)
        >>> t.run.steps_per_epoch, [s.epoch for s in t.run.snapshots]  # what explain.train recorded, kept too
        (188, [0, 1])
    """
    # Every setting is checked, and NumPy scalars made plain numbers, before the data is loaded or the key
    # computed: np.int64(512) would not go into JSON, '512' would only fail deep inside Keras.
    epochs, batch_size, seed = (
        checks.positive_int("epochs", epochs),
        checks.positive_int("batch_size", batch_size),
        checks.seed(seed),
    )
    hidden_units = checks.positive_int("hidden_units", hidden_units)
    dropout_rate = checks.unit_interval("dropout_rate", dropout_rate)
    activation = checks.name_text("activation", activation, example="'relu'")
    output = checks.model_output(output)
    validation_split = checks.unit_interval("validation_split", validation_split)
    record_every = checks.positive_int("record_every", record_every)
    if not isinstance(cache, (bool, str, bytes, os.PathLike)):
        raise ValueError(f"Expected cache to be True, False or a folder. Received: cache={cache!r}")
    folder = cache_folder(cache)  # None, with a warning that names it, where nothing can be cached
    ds = data if isinstance(data, Dataset) else load_mnist(data)
    settings = {
        "format": FORMAT, "data": ds.name, "data_fingerprint": ds.fingerprint, "epochs": epochs, "seed": seed,
        "hidden_units": hidden_units, "dropout_rate": dropout_rate, "activation": activation,
        "batch_size": batch_size, **cache_versions(),
    }  # fmt: skip
    # Settings added later enter the key only when they differ from the tutorial's, so entries cached before
    # they existed keep their keys (a warm cache stays warm).
    extra = {"output": (output, "softmax"), "validation_split": (validation_split, 0.0),
             "record_every": (record_every, 100)}  # fmt: skip
    settings.update({name: value for name, (value, default) in extra.items() if value != default})
    key = settings_key(settings)
    if folder is None:
        return _train(ds, settings, key, None, frozenset(), validation_split=validation_split, output=output,
                      record_every=record_every)  # fmt: skip
    damaged: set[str] = set()

    def load() -> Trained | None:
        found = _load(folder, key, settings, damaged)
        if found is None:
            return None
        model, meta, path = found
        return Trained(
            model, meta["history"], meta["test_loss"], meta["test_accuracy"], settings, key, True, path, _run_of(meta)
        )

    return load_or_make(  # two processes asking at once train it once
        folder, key, load=load,
        make=lambda: _train(ds, settings, key, folder, frozenset(damaged), validation_split=validation_split,
                            output=output, record_every=record_every),
        waiting=f"another process is training the same model (entry {key} in {folder}); waiting for it to finish.",
    )  # fmt: skip


def _train(
    ds: Dataset, settings: dict[str, Any], key: str, folder: Path | None, damaged: frozenset[str], *,
    validation_split: float, output: str, record_every: int,
) -> Trained:  # fmt: skip
    """Train the model ``settings`` describe, evaluate it, and commit it to ``folder`` (None: no cache)."""
    model = seed_model(
        settings["seed"], hidden_units=settings["hidden_units"], dropout_rate=settings["dropout_rate"],
        activation=settings["activation"], output=output,
    )  # fmt: skip
    run = train(
        model, ds, epochs=settings["epochs"], batch_size=settings["batch_size"], seed=settings["seed"],
        validation_split=validation_split, record_every=record_every,
    )  # fmt: skip
    scores = model.evaluate(normalize(ds.x_test), ds.y_test, verbose=0, return_dict=True)
    meta = {
        **settings, "history": run.history, "test_loss": float(scores["loss"]),
        "test_accuracy": float(scores["accuracy"]), "data_source": ds.source, "run": run_to_dict(run),
    }  # fmt: skip
    path = None
    if folder is not None:
        try:
            path = _save(model, folder, key, meta, damaged)
        except Exception as e:  # read-only or full disk: the model is still good, just not cached
            warn(
                f"explain: could not cache the trained model in {folder} ({first_line(e)}). The model is "
                f"trained and returned, but the next call will train it again. To cache it, free some disk "
                f"space or make the folder writable, set ${CACHE_ENV} to another folder, or pass cache=False "
                f"to skip the cache.",
                CacheWarning,
            )
    return Trained(model, run.history, meta["test_loss"], meta["test_accuracy"], settings, key, False, path, run)


def trained_model(data: Dataset | str = "auto", **kwargs: Any) -> Any:
    """The trained Keras model only; see `trained` for the arguments.

    Examples:
        >>> import explain
        >>> model = explain.trained_model("sample", epochs=1)
        >>> [layer.name for layer in model.layers]
        ['flatten', 'dense', 'dropout', 'dense_1']
    """
    return trained(data, **kwargs).model
