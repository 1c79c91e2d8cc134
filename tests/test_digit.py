"""prepare_digit, its resampling and its checks; export_for_web; the steps figure; ``explain trace-image``.

Fast: no browser (tests/test_draw.py drives the Draw a digit page in Chromium). The JavaScript copy of
prepare_digit is compared with the Python one here too, under Node.js, when ``node`` is installed.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import explain
from explain.data import digit as rules
from explain.data.resample import resize, weights
from explain.errors import ModelError, PictureError

REPO = Path(__file__).resolve().parents[1]
DRAW_JS = REPO / "docs" / "javascripts" / "draw.js"


def on_paper(
    digit: np.ndarray,
    *,
    size: tuple[int, int] = (120, 160),
    at: tuple[int, int] = (10, 90),
    scale: float = 1.5,
    paper: int = 230,
) -> np.ndarray:
    """An MNIST digit (uint8, white on black) drawn dark on light paper: rescaled, somewhere on a bigger picture."""
    n = round(28 * scale)
    ink = np.asarray(Image.fromarray(digit).resize((n, n), Image.BILINEAR)).astype(np.int32)
    picture = np.full(size, paper, np.int32)
    picture[at[0] : at[0] + n, at[1] : at[1] + n] = paper - ink * paper // 255
    return picture.astype(np.uint8)


# -- the resampling is Pillow's ------------------------------------------------------------------------------


def test_resize_equals_pillows_bilinear_resize_on_float_images() -> None:
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(200):
        h, w = map(int, rng.integers(1, 120, 2))
        oh, ow = map(int, rng.integers(1, 40, 2))
        a = rng.random((h, w)).astype(np.float32)
        pillow = np.asarray(Image.fromarray(a, mode="F").resize((ow, oh), Image.BILINEAR))
        worst = max(worst, float(np.abs(resize(a, oh, ow) - pillow).max()))
    assert worst < 1e-6, worst  # Pillow stores float32: its rounding only


def test_resize_keeps_a_flat_image_flat_and_every_weight_row_sums_to_one() -> None:
    for n_in, n_out in ((280, 20), (7, 20), (20, 20), (1, 5), (5, 1)):
        assert np.allclose(weights(n_in, n_out).sum(axis=1), 1.0)
        assert np.allclose(resize(np.full((n_in, n_in), 0.7), n_out, n_out), 0.7)


# -- prepare_digit ---------------------------------------------------------------------------------------------


def test_an_mnist_digit_comes_back_as_itself(sample: explain.Dataset) -> None:
    # MNIST's digits already are what prepare_digit makes: 20 × 20 box, centred by mass, ink peak 1.
    diffs = [np.abs(explain.prepare_digit(d).pixels - d / 255).mean() for d in sample.x_test[:50]]
    assert np.median(diffs) < 0.01, np.median(diffs)


def test_dark_ink_on_light_paper_is_inverted_and_gives_the_same_digit(sample: explain.Dataset) -> None:
    d = sample.x_test[1]
    light, dark = explain.prepare_digit(255 - d), explain.prepare_digit(d)
    assert light.inverted and not dark.inverted
    np.testing.assert_allclose(light.pixels, dark.pixels, atol=1e-12)


def test_a_small_digit_in_a_corner_is_cropped_scaled_and_centred(sample: explain.Dataset) -> None:
    d = sample.x_test[2]
    p = explain.prepare_digit(on_paper(d, at=(75, 5), scale=1.2))
    assert p.inverted and max(p.scaled.shape) == rules.BOX
    top, bottom, left, right = p.box
    assert 75 <= top < bottom <= 75 + 34 and 5 <= left < right <= 5 + 34  # the crop holds the ink, nothing else
    mass = p.pixels.sum()
    cy = (p.pixels.sum(axis=1) * np.arange(28)).sum() / mass
    cx = (p.pixels.sum(axis=0) * np.arange(28)).sum() / mass
    assert abs(cy - rules.CENTRE) <= 0.5 and abs(cx - rules.CENTRE) <= 0.5  # whole-pixel shift: within half a pixel
    assert p.pixels.max() == 1.0 and p.image.dtype == np.float32 and p.image.shape == (28, 28)
    # the model's input is the original digit again, up to resampling
    assert np.abs(p.pixels - d / 255).mean() < 0.05


def test_the_trained_model_reads_prepared_photos_better(trained_sample, sample: explain.Dataset) -> None:
    model = trained_sample.model
    x, y = sample.x_test[:200], sample.y_test[:200]
    pictures = [on_paper(d, at=(60 + i % 20, 10 + i % 50), scale=0.8 + (i % 5) / 10) for i, d in enumerate(x)]
    naive = np.stack([np.asarray(Image.fromarray(p).resize((28, 28), Image.BILINEAR)) for p in pictures])
    as_is = (model.predict(explain.normalize(naive), verbose=0).argmax(1) == y).mean()
    prepared = np.stack([explain.prepare_digit(p).image for p in pictures])
    fixed = (model.predict(prepared, verbose=0).argmax(1) == y).mean()
    clean = (model.predict(explain.normalize(x), verbose=0).argmax(1) == y).mean()
    assert as_is < 0.3 and fixed >= 0.95 * clean, (as_is, fixed, clean)


def test_colour_16_bit_float_and_opaque_rgba_pictures_agree(sample: explain.Dataset) -> None:
    grey = on_paper(sample.x_test[3])
    reference = explain.prepare_digit(grey).pixels
    rgb = np.repeat(grey[..., None], 3, axis=2)
    rgba = np.concatenate([rgb, np.full(grey.shape + (1,), 255, np.uint8)], axis=2)
    for variant in (rgb, rgba, grey.astype(np.uint16) * 257, grey / 255.0, grey.astype(np.float64), grey[..., None]):
        np.testing.assert_allclose(explain.prepare_digit(variant).pixels, reference, atol=1e-9)


def test_files_are_read_like_arrays(tmp_path: Path, sample: explain.Dataset) -> None:
    picture = on_paper(sample.x_test[4])
    Image.fromarray(picture).save(tmp_path / "digit.png")
    Image.fromarray(np.repeat(picture[..., None], 3, axis=2)).save(tmp_path / "digit-rgb.png")
    from_file = explain.prepare_digit(tmp_path / "digit.png")
    np.testing.assert_array_equal(from_file.pixels, explain.prepare_digit(picture).pixels)
    np.testing.assert_allclose(
        explain.prepare_digit(str(tmp_path / "digit-rgb.png")).pixels, from_file.pixels, atol=1e-9
    )
    with Image.open(tmp_path / "digit.png") as im:
        np.testing.assert_array_equal(explain.prepare_digit(im).pixels, from_file.pixels)
    assert "digit.png" in from_file.source


def test_a_photo_taken_sideways_is_turned_upright_by_its_exif_orientation(
    tmp_path: Path, sample: explain.Dataset
) -> None:
    picture = on_paper(sample.x_test[5])
    sideways = Image.fromarray(np.rot90(picture, k=1).copy())  # stored turned a quarter left, as a camera does...
    exif = Image.Exif()
    exif[0x0112] = 6  # ...with "rotate 90° clockwise to view" in its EXIF
    sideways.save(tmp_path / "photo.jpg", exif=exif, quality=95)
    upright, reference = explain.prepare_digit(tmp_path / "photo.jpg"), explain.prepare_digit(picture)
    assert upright.grey.shape == picture.shape  # (120, 160): not (160, 120)
    assert np.abs(np.subtract(upright.box, reference.box)).max() <= 1  # JPEG blurs the edges a little
    assert upright.scaled.shape == reference.scaled.shape
    assert np.abs(upright.scaled - reference.scaled).mean() < 0.03


def test_symmetric_pictures_centre_the_same_way_whatever_the_summation_order() -> None:
    square = np.full((100, 100), 255, np.uint8)
    square[30:70, 30:70] = 0
    p = explain.prepare_digit(square)
    # 14 − 9.5 = 4.5 rounds half up to 5, as JavaScript's Math.round does (Python's round(4.5) is 4)
    assert p.centre_of_mass == (9.5, 9.5) and p.offset == (5, 5)


# -- pictures prepare_digit refuses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("picture", "expected"),
    [
        (np.zeros((0, 0)), "Expected a picture with pixels. Received: the picture is 0 × 0, empty"),
        (np.full((50, 50), 255, np.uint8), "Expected a picture with a digit on it. Received: a picture of one flat "
                                           "level (1.000) everywhere: nothing is drawn on it"),
        (np.full((50, 50), 0.5), "Received: a picture of one flat level (0.500)"),
        (np.full((50, 50), 0, np.uint8), "Received: a picture of one flat level (0.000)"),
        (np.pad(np.full((4, 2), 240, np.uint8), 20, constant_values=255),
         "Received: a blank picture: no pixel stands out from the paper (level 1.000) by 0.1 or more. Draw darker"),
        (np.pad(np.full((4, 2), 15, np.uint8), 20, constant_values=0),
         "Received: a blank picture: no pixel stands out from the paper (level 0.000) by 0.1 or more. Draw with "
         "lighter ink"),
        (np.zeros((1, 1)), "at least 8 × 8 pixels. Received: the picture is 1 × 1"),
        (np.zeros((1, 784)), "at least 8 × 8 pixels"),
        (np.zeros(784), "It looks flattened: reshape it with x.reshape(28, 28)"),
        (np.broadcast_to(np.uint8(0), (20_000, 20_000)), "Received: the picture is 20,000 × 20,000 = 400 megapixels"),
        (np.zeros((10, 28, 28)), "It looks like a batch of 10 pictures"),
        (np.zeros((3, 64, 64)), "colour channels first"),
        (np.array([["a"] * 10] * 10), "Expected a picture: an array of pixel values"),
        (np.full((20, 20), np.nan), "Expected finite pixel values"),
        (np.full((20, 20), -1.0), "Expected pixel values of at least 0"),
        (np.full((20, 20), 1e6), "Expected pixel values from 0 to 1, 0 to 255 or 0 to 65,535"),
        (np.zeros((20, 20, 4), np.uint8), "Expected an opaque picture. Received: the picture has an alpha channel"),
    ],
    ids=["empty", "blank", "blank-grey", "blank-black", "faint-on-white", "faint-on-black", "one-pixel", "one-row",
         "flat", "huge", "batch", "channels-first", "text", "nan", "negative", "too-bright", "transparent"],
)  # fmt: skip
def test_bad_pictures_get_a_clear_error(picture: np.ndarray, expected: str) -> None:
    with pytest.raises(PictureError, match="Expected") as info:
        explain.prepare_digit(picture)
    assert expected in str(info.value)
    assert isinstance(info.value, explain.InputError)  # caught with every other bad input


def test_bad_files_get_a_clear_error(tmp_path: Path) -> None:
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    truncated = tmp_path / "cut.png"
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(truncated)
    truncated.write_bytes(truncated.read_bytes()[:60])
    transparent = tmp_path / "clear.png"
    Image.new("RGBA", (64, 64), (0, 0, 0, 0)).save(transparent)
    huge = tmp_path / "huge.png"
    Image.new("1", (20_000, 20_000)).save(huge)  # 400 megapixels, a few kilobytes on disk
    for path, expected in (
        (tmp_path / "missing.png", "which does not exist"),
        (tmp_path, "which is a folder"),
        (text, "which is not a picture Pillow can read"),
        (truncated, "could not be decoded"),
        (transparent, "Expected an opaque picture"),
        (huge, "Pillow refuses to open"),
    ):
        with pytest.raises(PictureError, match="Expected") as info:
            explain.prepare_digit(path)
        assert expected in str(info.value), (path.name, str(info.value))


def test_a_big_picture_is_refused_before_its_pixels_are_read(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    Image.new("L", (6_000, 5_000), 255).save(path)  # 30 megapixels: over the limit, under Pillow's
    with pytest.raises(PictureError, match="30 megapixels") as info:
        explain.prepare_digit(path)
    assert "reduce(2)" in str(info.value)


# -- what it prints --------------------------------------------------------------------------------------------


def test_the_result_prints_each_step_as_text_html_and_markdown(sample: explain.Dataset) -> None:
    p = explain.prepare_digit(on_paper(sample.x_test[6]))
    text, html, md = p.to_text(100), p._repr_html_(), p.to_markdown()
    for needed in ("grey", "ink bright", "crop", "scale", "centre", "[0, 1]", "inverted"):
        assert needed in text and needed in md and needed in html
    assert f"rows {p.box[0]}–{p.box[1] - 1}" in text
    assert "@@" in text  # the digit itself, in ASCII
    assert repr(p).startswith("PreparedDigit(120×160 -> 28×28, inverted")


def test_the_steps_figure_shows_six_panels(sample: explain.Dataset, tmp_path: Path) -> None:
    p = explain.prepare_digit(on_paper(sample.x_test[7]))
    fig = explain.figures.digit_steps(p, title="a seven")
    assert [ax.get_title()[:2] for ax in fig.axes] == ["1.", "2.", "3.", "4.", "5.", "6."]
    assert len(fig.axes[1].patches) == 1  # the crop box
    assert explain.figures.save(fig, tmp_path / "steps.png").stat().st_size > 1000


# -- the JavaScript copy, under Node.js --------------------------------------------------------------------


def test_the_pages_javascript_prepares_pictures_exactly_as_python(tmp_path: Path, sample: explain.Dataset) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (tests/test_draw.py checks the same in Chromium)")
    rng = np.random.default_rng(0)
    pictures = []
    for i, d in enumerate(sample.x_test[:12]):
        grey = on_paper(d, at=(int(rng.integers(0, 80)), int(rng.integers(0, 120))), scale=float(rng.uniform(0.5, 1.5)))
        colour = (np.repeat(grey[..., None], 3, axis=2) * rng.uniform(0.6, 1.0, 3)).astype(np.uint8)
        pictures.append(colour if i % 2 else np.repeat(255 - grey[..., None], 3, axis=2))  # some dark paper too
    square = np.full((100, 100, 3), 255, np.uint8)
    square[30:70, 30:70] = 0  # symmetric: its centre of mass lands on a rounding boundary
    pictures.append(square)
    cases = []
    for p in pictures:
        rgba = np.concatenate([p, np.full(p.shape[:2] + (1,), 255, np.uint8)], axis=2)
        cases.append({"w": p.shape[1], "h": p.shape[0], "rgba": base64.b64encode(rgba.tobytes()).decode()})
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    script = (
        f"const core = require({json.dumps(str(DRAW_JS))});"
        f"const cases = require({json.dumps(str(tmp_path / 'cases.json'))});"
        "console.log(JSON.stringify(cases.map(c => {"
        " const p = core.prepare(Buffer.from(c.rgba, 'base64'), c.w, c.h);"
        " return {box: p.box, offset: p.offset, inverted: p.inverted, paper: p.paper, pixels: Array.from(p.pixels)};"
        " })));"
    )
    out = json.loads(subprocess.run([node, "-e", script], capture_output=True, text=True, check=True).stdout)
    for p, js in zip(pictures, out):
        py = explain.prepare_digit(p)
        assert (tuple(js["box"]), tuple(js["offset"]), js["inverted"], js["paper"]) == (
            py.box, py.offset, py.inverted, py.paper
        )  # fmt: skip
        assert np.abs(np.array(js["pixels"]).reshape(28, 28) - py.pixels).max() <= 1e-12


# -- export_for_web --------------------------------------------------------------------------------------------


def test_export_for_web_writes_float32_arrays_a_manifest_and_a_script(tmp_path: Path, trained_sample) -> None:
    model = trained_sample.model
    web = explain.export_for_web(model, tmp_path / "web", run=trained_sample)
    manifest = json.loads((tmp_path / "web" / "manifest.json").read_text())
    assert manifest == web.manifest and manifest["format"] == 1
    assert manifest["run"]["epochs"] == 1 and manifest["run"]["cache_key"] == trained_sample.key
    assert manifest["run"]["test_accuracy"] == pytest.approx(trained_sample.test_accuracy)
    layers = {layer.name: layer for layer in model.layers}
    for entry in web.arrays:
        raw = (tmp_path / "web" / entry["file"]).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == entry["sha256"]
        layer, role = entry["name"].split("/")
        expected = layers[layer].get_weights()[0 if role == "kernel" else 1]
        np.testing.assert_array_equal(np.frombuffer(raw, "<f4").reshape(entry["shape"]), expected)
    script = (tmp_path / "web" / "weights.js").read_text()
    assert script.startswith("window.explainWeights = ") and script.rstrip().endswith(";")
    embedded = json.loads(script[len("window.explainWeights = ") :].rstrip().rstrip(";"))
    assert embedded["manifest"] == manifest
    for entry in web.arrays:
        assert hashlib.sha256(base64.b64decode(embedded["data"][entry["name"]])).hexdigest() == entry["sha256"]
    assert [layer["kind"] for layer in manifest["layers"]] == ["Flatten", "Dense", "Dropout", "Dense"]
    assert manifest["layers"][2]["rate"] == pytest.approx(0.2)
    assert "dense/kernel" in str(web) and web.to_markdown().count("|") > 10


def test_export_for_web_replaces_an_earlier_export_and_leaves_no_stale_array(tmp_path: Path, model) -> None:
    first = explain.export_for_web(model, tmp_path)
    (tmp_path / "mine.f32").write_bytes(b"not ours")
    other = explain.seed_model(seed=1)
    second = explain.export_for_web(other, tmp_path, run={"note": "seed 1"})
    files = {p.name for p in tmp_path.iterdir()}
    assert files == {a["file"] for a in second.arrays} | {"manifest.json", "weights.js", "mine.f32"}
    kernels = {a["file"] for a in first.arrays if a["name"].endswith("/kernel")}
    assert kernels.isdisjoint(files)  # replaced, not mixed (the zero biases are the same file: same bytes, same name)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_export_for_web_refuses_other_models(tmp_path: Path) -> None:
    from explain._core.tf import keras

    k = keras()
    cnn = k.Sequential([k.Input((28, 28, 1)), k.layers.Conv2D(4, 3), k.layers.Flatten(), k.layers.Dense(10)])
    tanh = explain.seed_model(activation="tanh")
    for bad in (cnn, tanh):
        with pytest.raises(ModelError, match="Expected the Hello World's layers") as info:
            explain.export_for_web(bad, tmp_path)
        assert "Received: model" in str(info.value)
    with pytest.raises(ValueError, match="Expected run"):
        explain.export_for_web(explain.seed_model(), tmp_path, run=3)
    assert not list(tmp_path.iterdir())  # nothing written for a refused model


# -- the command line ------------------------------------------------------------------------------------------


@pytest.mark.slow  # a fresh process imports TensorFlow
def test_trace_image_prints_the_steps_and_the_trace_and_writes_the_figure(
    tmp_path: Path, sample, trained_sample
) -> None:
    picture = tmp_path / "seven.png"
    Image.fromarray(on_paper(sample.x_test[0])).save(picture)
    env = {**os.environ, "COLUMNS": "100"}
    proc = subprocess.run(
        [sys.executable, "-m", "explain", "trace-image", str(picture), "--data", "sample", "--epochs", "1"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Your digit, prepared as MNIST's were" in out and "Trace of 'hello_world'" in out
    assert "The ten probabilities, most likely first" in out
    predicted = explain.trace(trained_sample.model, explain.prepare_digit(picture).image).predicted
    assert f"Predicted class {predicted} with probability" in out
    assert "the Hello World trained 1 epoch on" in " ".join(out.split())  # not '1 epochs'
    assert "Loading the model trained 1 epoch from explain's cache, or training it once …" in out  # before training
    assert (tmp_path / "seven-steps.png").stat().st_size > 1000
    # A wrong picture fails before TensorFlow is imported: at once, in a fresh process.
    code = "import sys; from explain.cli.main import main; print(main(sys.argv[1:]), 'tensorflow' in sys.modules)"
    bad = subprocess.run(
        [sys.executable, "-c", code, "trace-image", str(tmp_path / "missing.png")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.stdout.split() == ["2", "False"], bad.stderr
    assert "which does not exist" in bad.stderr and "Traceback" not in bad.stderr


def test_trace_image_never_writes_over_the_picture_and_checks_out_before_any_work(
    tmp_path: Path, sample, monkeypatch, capsys
) -> None:
    from explain.cli import trace_image
    from explain.cli.main import main

    def no_work(*args, **kwargs):
        raise AssertionError("the command started working before --out was checked")

    monkeypatch.setattr(trace_image, "prepare_digit", no_work)
    picture = tmp_path / "mine.png"
    Image.fromarray(on_paper(sample.x_test[0])).save(picture)
    drawn = picture.read_bytes()
    monkeypatch.chdir(tmp_path)
    for out in ("mine.png", str(picture), f"./{picture.name}"):  # the picture itself, however it is named
        assert main(["trace-image", "mine.png", "--out", out, "--data", "sample"]) == 2
        said = capsys.readouterr()
        assert said.out == "" and said.err.startswith(
            "explain: error: Expected --out to name a new file for the figure of the steps, not the picture it is "
            f"made from. Received: {Path(out)}, which is the picture. Pass another name, e.g. --out mine-steps.png."
        ), said.err
    assert picture.read_bytes() == drawn
    (tmp_path / "file").write_text("not a folder")
    assert main(["trace-image", "mine.png", "--out", "file/steps.png", "--data", "sample"]) == 2
    said = capsys.readouterr()
    assert said.out == "" and "Expected --out" in said.err and "Traceback" not in said.err


def test_trace_image_out_may_name_a_folder(tmp_path: Path) -> None:
    from explain.cli.trace_image import steps_path

    (tmp_path / "slides").mkdir()
    assert steps_path("photos/seven.jpg", str(tmp_path / "slides")) == tmp_path / "slides" / "seven-steps.png"
    assert steps_path("seven.jpg", f"{tmp_path / 'new'}/") == tmp_path / "new" / "seven-steps.png"  # to be made
    assert steps_path("seven.jpg", str(tmp_path / "fig.svg")) == tmp_path / "fig.svg"
    assert steps_path("seven.jpg", None) == Path("seven-steps.png")


# -- the benchmark, on a subset ------------------------------------------------------------------------------


def test_the_benchmark_recovers_95_percent_on_a_subset(trained_sample, sample: explain.Dataset) -> None:
    spec = importlib.util.spec_from_file_location("bench_prepare_digit", REPO / "benchmarks" / "prepare_digit.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    n = 300
    x, y = sample.x_test[:n], sample.y_test[:n]
    rows, _ = bench.measure(trained_sample.model, x, y, seed=0)
    result = {r["condition"]: r for r in rows}
    clean = result["untouched"]["without"]
    assert result["shifted and rescaled"]["without"] < 0.5 * clean  # the distortion hurts...
    assert result["shifted and rescaled"]["with"] >= 0.95 * clean  # ...and prepare_digit recovers it
    assert result["inverted (dark ink on white)"]["with"] == result["untouched"]["with"]
