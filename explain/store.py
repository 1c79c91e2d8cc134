"""Trained models, cached on disk: train once, load in seconds afterwards.

``trained(...)`` looks for a model trained with exactly these settings on
exactly this data, with these versions of explain, TensorFlow and Keras. If it
finds one it loads it; otherwise it trains (``explain.train``), evaluates on
the test split, and saves the model with its history.

An entry is two files: ``<key>-<sha>.keras`` (the model; its name carries the
first hex digits of its own SHA-256, so it never changes once written) and
``<key>.json`` (settings, history, test scores and that file's name and full
SHA-256). Both are written to a temporary file and renamed into place, the
JSON last, so a crash or Ctrl-C never leaves an entry that is later read half
written; a model file whose checksum does not match is ignored and rebuilt.
Models load with Keras's ``safe_mode=True`` (no arbitrary code). The folder is
``$EXPLAIN_CACHE`` or the platform's cache folder (``~/.cache/explain`` on
Linux, ``~/Library/Caches/explain`` on macOS, ``%LOCALAPPDATA%\\explain\\Cache``
on Windows).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from explain._files import atomic_write_text, usual_permissions
from explain.data import Dataset, load_mnist

CACHE_ENV = "EXPLAIN_CACHE"
FORMAT = 1  # bump when what an entry holds changes


def cache_dir() -> Path:
    """The cache folder: ``$EXPLAIN_CACHE``, else the platform's convention.

    Examples:
        >>> folder = cache_dir()  # e.g. PosixPath('/home/ada/.cache/explain')
        >>> folder.is_absolute() or not folder.parts[0].startswith("~")
        True
    """
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
        return base / "explain" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "explain"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "explain"


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
        path: the model file, or ``None`` when it could not be saved.

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

    def __repr__(self) -> str:
        how = "from cache" if self.from_cache else "trained now"
        return (
            f"Trained({self.settings['epochs']} epochs, seed {self.settings['seed']}, "
            f"test accuracy {self.test_accuracy:.4f}, {how})"
        )


def _versions() -> dict[str, str]:
    from explain._tf import versions

    v = versions()
    return {name: v[name] for name in ("explain", "tensorflow", "keras")}


def _key(settings: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:20]


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _load(folder: Path, key: str) -> tuple[Any, dict[str, Any], Path] | None:
    """The entry for ``key`` if it is complete and intact, else None."""
    from explain._tf import keras

    meta_path = folder / f"{key}.json"
    try:
        meta = json.loads(meta_path.read_text())
        model_path = folder / meta["model_file"]
        if meta.get("format") != FORMAT or _file_sha256(model_path) != meta["model_sha256"]:
            raise ValueError("checksum or format mismatch")
        model = keras().models.load_model(model_path, safe_mode=True)
    except (FileNotFoundError, NotADirectoryError):  # no entry yet (or no cache folder at all)
        return None
    except Exception as e:  # a corrupt or truncated entry: say so, then rebuild it
        warnings.warn(f"explain: the cached model {key} is damaged ({e}); training it again.", stacklevel=3)
        return None
    return model, meta, model_path


def _save(model: Any, folder: Path, key: str, meta: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{key}.", suffix=".keras")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        model.save(tmp)  # Keras wants the .keras suffix
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        usual_permissions(tmp)
        sha = _file_sha256(tmp)
        model_path = folder / f"{key}-{sha[:12]}.keras"
        os.replace(tmp, model_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    # The JSON is the commit point: readers only follow it to a complete, checksummed model file.
    atomic_write_text(
        folder / f"{key}.json", json.dumps({**meta, "model_file": model_path.name, "model_sha256": sha}, indent=1)
    )
    return model_path


def trained(
    data: Dataset | str = "auto",
    *,
    epochs: int = 5,
    seed: int = 0,
    hidden_units: int = 512,
    dropout_rate: float = 0.2,
    activation: str = "relu",
    batch_size: int = 32,
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
        batch_size: images per step (32).
        cache: ``True`` for `cache_dir`, a folder, or ``False`` to always train.

    Returns:
        A `Trained`: the model, its history and its test scores.

    Examples:
        >>> import explain
        >>> t = explain.trained("sample", epochs=1)  # trains once, then loads in seconds
        >>> t.model.count_params(), t.test_accuracy > 0.85
        (407050, True)
    """
    from explain.model import seed_model
    from explain.training import train

    ds = data if isinstance(data, Dataset) else load_mnist(data)
    settings = {
        "format": FORMAT, "data": ds.name, "data_fingerprint": ds.fingerprint, "epochs": epochs, "seed": seed,
        "hidden_units": hidden_units, "dropout_rate": dropout_rate, "activation": activation,
        "batch_size": batch_size, **_versions(),
    }  # fmt: skip
    key = _key(settings)
    folder = None if cache is False else (cache_dir() if cache is True else Path(cache).expanduser())
    if folder is not None:
        found = _load(folder, key)
        if found is not None:
            model, meta, path = found
            return Trained(model, meta["history"], meta["test_loss"], meta["test_accuracy"], settings, key, True, path)

    model = seed_model(seed, hidden_units=hidden_units, dropout_rate=dropout_rate, activation=activation)
    from explain.normalization import normalize

    run = train(model, ds, epochs=epochs, batch_size=batch_size, seed=seed)
    scores = model.evaluate(normalize(ds.x_test), ds.y_test, verbose=0, return_dict=True)
    meta = {
        **settings, "history": run.history, "test_loss": float(scores["loss"]),
        "test_accuracy": float(scores["accuracy"]), "data_source": ds.source,
    }  # fmt: skip
    path = None
    if folder is not None:
        try:
            path = _save(model, folder, key, meta)
        except OSError as e:  # read-only or full disk: the model is still good, just not cached
            warnings.warn(f"explain: could not cache the trained model in {folder} ({e}).", stacklevel=2)
    return Trained(model, run.history, meta["test_loss"], meta["test_accuracy"], settings, key, False, path)


def trained_model(data: Dataset | str = "auto", **kwargs: Any) -> Any:
    """The trained Keras model only; see `trained` for the arguments.

    Examples:
        >>> import explain
        >>> model = explain.trained_model("sample", epochs=1)
        >>> [layer.name for layer in model.layers]
        ['flatten', 'dense', 'dropout', 'dense_1']
    """
    return trained(data, **kwargs).model
