/* Draw a digit: explain.prepare_digit's steps and the Hello World's forward pass, in plain JavaScript.
 *
 * No framework, no CDN, no fetch(): the weights come from a <script> the page embeds
 * (window.explainWeights, written by explain.export_for_web), so the page works offline and from file://.
 *
 * The preparation repeats explain/data/digit.py step for step in float64 (tests/test_draw.py compares the
 * two in Chromium: max |difference| <= 1e-5, in practice ~1e-16):
 *   1. grey = (299 R + 587 G + 114 B) / 255000                      (BT.601 luma, 8-bit RGB)
 *   2. paper = mean grey of the frame (outermost rows and columns), from the whole-number numerators;
 *      paper > 0.5: inverted; ink = max((1 - grey) - (1 - paper), 0), else max(grey - paper, 0)
 *   3. crop to the pixels with ink > 0.2 * brightest ink               (blank if brightest < 0.1)
 *   4. longer side to 20 px, the other floor(20 * short / long + 0.5), Pillow's bilinear (triangle) filter,
 *      rows first, then columns
 *   5. centre of mass (rounded to 1e-9) to (14, 14) by whole pixels floor(14 - c + 0.5), kept inside 28 x 28
 *   6. divided by the brightest pixel
 * The forward pass: x (float32) -> Flatten (index 28 row + column) -> z = x W + b -> relu -> Dropout
 * (inference: identity; training: mask, x 1 / (1 - rate)) -> logits -> softmax (max subtracted first).
 */
(function () {
  "use strict";

  // -- constants of explain/data/digit.py --------------------------------------------------------------
  const BOX = 20, FRAME = 28, CENTRE = 14, INK_SHARE = 0.2, MIN_INK = 0.1, COM_GRID = 1e9;
  const LUMA = [299, 587, 114];

  function roundHalfUp(x) { return Math.floor(x + 0.5); }

  // -- explain/data/resample.py: Pillow's bilinear resize, in float64 -----------------------------------
  function resampleWeights(nIn, nOut) {
    const scale = nIn / nOut;
    const stretch = Math.max(scale, 1.0);
    const support = stretch;
    const rows = [];
    for (let i = 0; i < nOut; i++) {
      const centre = (i + 0.5) * scale;
      const first = Math.max(Math.trunc(centre - support + 0.5), 0);
      const stop = Math.min(Math.trunc(centre + support + 0.5), nIn);
      const taps = [];
      for (let x = first; x < stop; x++) taps.push(Math.max(0.0, 1.0 - Math.abs((x - centre + 0.5) / stretch)));
      let total = 0.0;
      for (const t of taps) total += t;
      rows.push({ first: first, w: taps.map(function (t) { return total !== 0.0 ? t / total : t; }) });
    }
    return rows;
  }

  // image: Float64Array of h x w (row after row) -> Float64Array of outH x outW
  function resize(image, h, w, outH, outW) {
    const wx = resampleWeights(w, outW), wy = resampleWeights(h, outH);
    const rows = new Float64Array(h * outW); // every row resized first
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < outW; j++) {
        const k = wx[j];
        let s = 0.0;
        for (let t = 0; t < k.w.length; t++) s += image[i * w + k.first + t] * k.w[t];
        rows[i * outW + j] = s;
      }
    }
    const out = new Float64Array(outH * outW); // then every column
    for (let i = 0; i < outH; i++) {
      const k = wy[i];
      for (let j = 0; j < outW; j++) {
        let s = 0.0;
        for (let t = 0; t < k.w.length; t++) s += rows[(k.first + t) * outW + j] * k.w[t];
        out[i * outW + j] = s;
      }
    }
    return out;
  }

  // -- explain/data/digit.py: prepare_digit on opaque 8-bit RGBA pixels ----------------------------------
  function prepare(rgba, width, height) {
    const n = width * height, den = 1000 * 255;
    const num = new Float64Array(n), grey = new Float64Array(n), ink = new Float64Array(n);
    for (let p = 0; p < n; p++) {
      if (rgba[4 * p + 3] !== 255) throw new Error("Expected an opaque picture: pixel " + p + " is transparent.");
      num[p] = LUMA[0] * rgba[4 * p] + LUMA[1] * rgba[4 * p + 1] + LUMA[2] * rgba[4 * p + 2];
      grey[p] = num[p] / den;
    }
    let ring = 0, count = 0; // whole numbers: the sum is exact in any order
    for (let c = 0; c < width; c++) { ring += num[c] + num[(height - 1) * width + c]; count += 2; }
    for (let r = 1; r < height - 1; r++) { ring += num[r * width] + num[r * width + width - 1]; count += 2; }
    const paper = ring / (count * den);
    const inverted = paper > 0.5;
    let brightest = 0;
    for (let p = 0; p < n; p++) {
      ink[p] = inverted ? Math.max((1.0 - grey[p]) - (1.0 - paper), 0.0) : Math.max(grey[p] - paper, 0.0);
      if (ink[p] > brightest) brightest = ink[p];
    }
    const result = { width: width, height: height, paper: paper, inverted: inverted, brightest: brightest,
                     blank: brightest < MIN_INK };
    if (result.blank) return result;
    const threshold = INK_SHARE * brightest;
    let top = height, bottom = -1, left = width, right = -1;
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        if (ink[r * width + c] > threshold) {
          if (r < top) top = r;
          if (r > bottom) bottom = r;
          if (c < left) left = c;
          if (c > right) right = c;
        }
      }
    }
    bottom += 1; right += 1; // exclusive, as in Python
    const ch = bottom - top, cw = right - left;
    const cropped = new Float64Array(ch * cw);
    for (let r = 0; r < ch; r++) for (let c = 0; c < cw; c++) cropped[r * cw + c] = ink[(top + r) * width + left + c];
    let sh, sw;
    if (ch >= cw) { sh = BOX; sw = Math.max(1, roundHalfUp(BOX * cw / ch)); }
    else { sh = Math.max(1, roundHalfUp(BOX * ch / cw)); sw = BOX; }
    const scaled = resize(cropped, ch, cw, sh, sw);
    let total = 0, my = 0, mx = 0;
    for (let r = 0; r < sh; r++) {
      let rowSum = 0;
      for (let c = 0; c < sw; c++) rowSum += scaled[r * sw + c];
      total += rowSum; my += rowSum * r;
    }
    for (let c = 0; c < sw; c++) {
      let colSum = 0;
      for (let r = 0; r < sh; r++) colSum += scaled[r * sw + c];
      mx += colSum * c;
    }
    const cy = roundHalfUp((my / total) * COM_GRID) / COM_GRID, cx = roundHalfUp((mx / total) * COM_GRID) / COM_GRID;
    const oy = Math.min(Math.max(roundHalfUp(CENTRE - cy), 0), FRAME - sh);
    const ox = Math.min(Math.max(roundHalfUp(CENTRE - cx), 0), FRAME - sw);
    const placed = new Float64Array(FRAME * FRAME);
    for (let r = 0; r < sh; r++) for (let c = 0; c < sw; c++) placed[(oy + r) * FRAME + ox + c] = scaled[r * sw + c];
    let peak = 0;
    for (let p = 0; p < placed.length; p++) if (placed[p] > peak) peak = placed[p];
    const pixels = new Float64Array(FRAME * FRAME);
    for (let p = 0; p < placed.length; p++) pixels[p] = placed[p] / peak;
    return Object.assign(result, {
      threshold: threshold, box: [top, bottom, left, right], scaledShape: [sh, sw], scaled: scaled,
      centreOfMass: [cy, cx], offset: [oy, ox], peak: peak, pixels: pixels,
    });
  }

  // -- the forward pass ----------------------------------------------------------------------------------
  function softmax(logits) {
    let m = -Infinity;
    for (const v of logits) m = Math.max(m, v);
    const e = logits.map(function (v) { return Math.exp(v - m); });
    let s = 0;
    for (const v of e) s += v;
    return e.map(function (v) { return v / s; });
  }

  // model: {W1, b1, W2, b2, units, rate}; pixels: 784 values in [0, 1]; mask: null (inference) or 0/1 per unit
  function forward(model, pixels, mask) {
    const n = pixels.length, units = model.units, classes = model.b2.length;
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = Math.fround(pixels[i]); // the model's input is float32
    const z = new Float64Array(units);
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      if (xi === 0) continue; // most pixels are 0: their row of W adds nothing
      const row = i * units;
      for (let j = 0; j < units; j++) z[j] += xi * model.W1[row + j];
    }
    for (let j = 0; j < units; j++) z[j] += model.b1[j];
    const relu = z.map(function (v) { return v > 0 ? v : 0; });
    const scale = 1 / (1 - model.rate);
    const dropped = mask ? relu.map(function (v, j) { return mask[j] ? v * scale : 0; }) : relu;
    const logits = new Array(classes).fill(0);
    for (let j = 0; j < units; j++) {
      const hj = dropped[j];
      if (hj === 0) continue;
      for (let k = 0; k < classes; k++) logits[k] += hj * model.W2[j * classes + k];
    }
    for (let k = 0; k < classes; k++) logits[k] += model.b2[k];
    const probabilities = softmax(logits);
    let predicted = 0;
    for (let k = 1; k < classes; k++) if (probabilities[k] > probabilities[predicted]) predicted = k;
    return { input: x, flatten: x, z: z, relu: relu, dropout: dropped, logits: logits,
             probabilities: probabilities, predicted: predicted };
  }

  // A small seeded generator (mulberry32) for Dropout's training-mode mask: the same seed, the same mask.
  function mulberry32(seed) {
    let a = seed >>> 0;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function dropoutMask(units, rate, seed) {
    const random = mulberry32(seed), mask = new Uint8Array(units);
    for (let j = 0; j < units; j++) mask[j] = random() >= rate ? 1 : 0;
    return mask;
  }

  function decode(base64) {
    const text = atob(base64), bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }

  function loadModel(weights) {
    const manifest = weights.manifest;
    if (manifest.format !== 1) throw new Error("Expected weights of format 1. Received: " + manifest.format);
    const dense = manifest.layers.filter(function (l) { return l.kind === "Dense"; });
    const dropout = manifest.layers.filter(function (l) { return l.kind === "Dropout"; })[0];
    const arrays = {}, bytes = {};
    for (const layer of dense) {
      for (const a of layer.arrays) {
        bytes[a.name] = decode(weights.data[a.name]);
        const values = new Float32Array(bytes[a.name].buffer); // little-endian, as every browser's platform
        const expected = a.shape.reduce(function (p, d) { return p * d; }, 1);
        if (values.length !== expected) throw new Error(a.name + ": " + values.length + " values, not " + expected);
        arrays[a.name] = values;
      }
    }
    const h = dense[0].name, o = dense[1].name;
    return {
      manifest: manifest, bytes: bytes, units: dense[0].units, rate: dropout.rate,
      W1: arrays[h + "/kernel"], b1: arrays[h + "/bias"], W2: arrays[o + "/kernel"], b2: arrays[o + "/bias"],
    };
  }

  const core = { prepare: prepare, resize: resize, resampleWeights: resampleWeights, forward: forward,
                 softmax: softmax, dropoutMask: dropoutMask, loadModel: loadModel, roundHalfUp: roundHalfUp };
  if (typeof module !== "undefined" && module.exports) { module.exports = core; return; }

  // -- the page ------------------------------------------------------------------------------------------
  const SIZE = 280, STROKE = 20;
  const root = document.getElementById("explain-draw");
  if (!root) return;
  const $ = function (sel) { return root.querySelector(sel); };

  const state = { source: "empty", prepared: null, result: null, training: null, maskSeed: 1, version: 0,
                  checksums: "checking", digit: null };
  const api = { core: core, state: state, ready: false };
  window.explainDraw = api;

  let model;
  try {
    model = loadModel(window.explainWeights);
  } catch (e) {
    $(".explain-draw-status").textContent = "The weights could not be loaded: " + e.message;
    return;
  }

  const canvas = $("canvas.explain-draw-pad");
  canvas.width = SIZE; canvas.height = SIZE;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });

  function clearPad() {
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, SIZE, SIZE);
  }

  // -- small pictures of numbers -------------------------------------------------------------------------
  const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  function viridis(t) {
    t = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
    const i = Math.min(VIRIDIS.length - 2, Math.floor(t)), f = t - i, a = VIRIDIS[i], b = VIRIDIS[i + 1];
    return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
  }
  function diverging(v, limit) { // negative blue, 0 white, positive red
    const t = Math.max(-1, Math.min(1, v / (limit || 1)));
    return t < 0 ? [255 + t * 222, 255 + t * 153, 255 + t * 75] : [255 - t * 41, 255 - t * 216, 255 - t * 213];
  }
  function paint(target, values, rows, cols, colour) {
    target.width = cols; target.height = rows;
    const c = target.getContext("2d"), img = c.createImageData(cols, rows);
    for (let p = 0; p < rows * cols; p++) {
      const rgb = p < values.length ? colour(values[p], p) : [255, 255, 255];
      img.data[4 * p] = rgb[0]; img.data[4 * p + 1] = rgb[1]; img.data[4 * p + 2] = rgb[2]; img.data[4 * p + 3] = 255;
    }
    c.putImageData(img, 0, 0);
  }
  function grey(v) { const g = Math.round(255 * v); return [g, g, g]; }
  function fixed(v, d) { return Number(v).toFixed(d === undefined ? 3 : d); }
  function pct(v) { // a share that is not 0 (or not 1) never reads as 0.0 % (or 100.0 %)
    if (v > 0 && v < 0.0005) return "<0.1 %";
    if (v >= 0.9995 && v < 1) return ">99.9 %";
    return (100 * v).toFixed(1) + " %";
  }

  // -- one update: prepare (or take a test digit as it is), then the forward pass --------------------------
  function update() {
    state.version += 1;
    let pixels = null;
    if (state.source === "digit") {
      pixels = state.digit.pixels;
      state.prepared = null;
    } else if (state.source === "drawing") {
      const data = ctx.getImageData(0, 0, SIZE, SIZE).data;
      state.rgba = data;
      state.prepared = prepare(data, SIZE, SIZE);
      if (!state.prepared.blank) pixels = state.prepared.pixels;
    }
    state.pixels = pixels;
    state.result = pixels ? forward(model, pixels, null) : null;
    state.training = pixels && $(".explain-draw-training").checked
      ? forward(model, pixels, dropoutMask(model.units, model.rate, state.maskSeed)) : null;
    render();
  }

  function render() {
    const r = state.result, p = state.prepared;
    const status = $(".explain-draw-status");
    root.dataset.version = String(state.version);
    if (!r) {
      status.textContent = state.source === "drawing" && p && p.blank
        ? "No ink yet: draw a digit from 0 to 9." : "Draw a digit from 0 to 9, or load a test digit.";
      root.dataset.predicted = "";
      root.classList.add("explain-draw-empty");
      return;
    }
    root.classList.remove("explain-draw-empty");
    root.dataset.predicted = String(r.predicted);
    status.textContent = "The model reads " + r.predicted + " with probability " + pct(r.probabilities[r.predicted]) +
      (state.source === "digit" ? " (test digit x_test[" + state.digit.index + "], labelled " + state.digit.label + ")." : ".");

    // the preparation
    const steps = $(".explain-draw-steps");
    if (p) {
      steps.textContent = (p.inverted ? "Dark ink on light paper (frame " + fixed(p.paper) + "): inverted, paper subtracted. "
                                      : "Light ink on dark paper (frame " + fixed(p.paper) + "): kept, paper subtracted. ") +
        "Cropped to the ink: rows " + p.box[0] + "–" + (p.box[1] - 1) + ", columns " + p.box[2] + "–" + (p.box[3] - 1) +
        " (" + (p.box[1] - p.box[0]) + " × " + (p.box[3] - p.box[2]) + " pixels); scaled to " + p.scaledShape[0] + " × " +
        p.scaledShape[1] + "; centre of mass (" + fixed(p.centreOfMass[0], 2) + ", " + fixed(p.centreOfMass[1], 2) +
        ") moved to (14, 14): the box's corner at row " + p.offset[0] + ", column " + p.offset[1] +
        "; divided by its brightest value, " + fixed(p.peak) + ".";
      paint($(".explain-draw-scaled"), p.scaled, p.scaledShape[0], p.scaledShape[1], function (v) { return grey(v / p.peak); });
    } else {
      steps.textContent = "A test digit is already what MNIST made: 28 × 28, centred, values x / 255. It goes to the model " +
        "as it is. Draw on it to make it a drawing of yours.";
    }
    $(".explain-draw-scaled").closest("figure").hidden = !p;
    paint($(".explain-draw-input"), r.input, 28, 28, grey);

    // Flatten
    paint($(".explain-draw-flat"), r.flatten, 1, 784, grey);
    lookup();

    // Dense and ReLU
    let zmax = 0, silent = 0, zmin = Infinity, zhi = -Infinity;
    for (const v of r.z) { zmax = Math.max(zmax, Math.abs(v)); zmin = Math.min(zmin, v); zhi = Math.max(zhi, v); }
    for (const v of r.relu) if (v === 0) silent += 1;
    let amax = 0;
    for (const v of r.relu) amax = Math.max(amax, v);
    paint($(".explain-draw-z"), r.z, 16, 32, function (v) { return diverging(v, zmax); });
    paint($(".explain-draw-relu"), r.relu, 16, 32, function (v) { return v === 0 ? [255, 255, 255] : viridis(v / amax); });
    $(".explain-draw-dense-text").textContent = "z = x · W + b ranges from " + fixed(zmin) + " to " + fixed(zhi) +
      ". ReLU sets the " + silent + " negative sums to 0: " + silent + " of " + model.units + " units are silent (" +
      pct(silent / model.units) + "), " + (model.units - silent) + " pass their value on.";

    // Dropout
    const t = state.training;
    const drop = $(".explain-draw-dropout-text");
    if (t) {
      const mask = dropoutMask(model.units, model.rate, state.maskSeed);
      let off = 0;
      for (const m of mask) if (!m) off += 1;
      paint($(".explain-draw-mask"), mask, 16, 32, function (m) { return m ? [217, 217, 217] : [32, 32, 32]; });
      drop.textContent = "Training mode (mask " + state.maskSeed + "): " + off + " of " + model.units + " units dropped (" +
        pct(off / model.units) + "; each with probability " + model.rate + "), the others multiplied by 1 / (1 − " +
        model.rate + ") = " + fixed(1 / (1 - model.rate), 2) + ". With this mask the model would read " + t.predicted +
        " (" + pct(t.probabilities[t.predicted]) + "). Outside training Dropout does nothing.";
    } else {
      paint($(".explain-draw-mask"), new Uint8Array(model.units).fill(1), 16, 32, function () { return [217, 217, 217]; });
      drop.textContent = "Inference (what predict and this page use): Dropout passes all " + model.units +
        " values through unchanged.";
    }

    // softmax
    const bars = $(".explain-draw-bars");
    for (let k = 0; k < r.probabilities.length; k++) {
      const li = bars.children[k], v = r.probabilities[k];
      li.querySelector(".explain-draw-bar").style.width = (100 * v).toFixed(2) + "%";
      li.querySelector(".explain-draw-p").textContent = pct(v);
      li.classList.toggle("explain-draw-top", k === r.predicted);
      li.querySelector(".explain-draw-logit").textContent = "logit " + fixed(r.logits[k], 2);
    }
  }

  // The index map: pixel (row, column) -> 28 row + column, and back.
  function lookup() {
    const field = $(".explain-draw-index"), out = $(".explain-draw-index-out");
    let i = parseInt(field.value, 10);
    if (!(i >= 0 && i < 784)) i = 0;
    const row = Math.floor(i / 28), col = i % 28;
    const v = state.result ? state.result.flatten[i] : 0;
    out.textContent = "index " + i + " = 28 · " + row + " + " + col + ": pixel (row " + row + ", column " + col +
      "), value " + fixed(v);
    const mark = $(".explain-draw-flat-mark");
    mark.style.left = (100 * (i + 0.5) / 784).toFixed(3) + "%";
  }

  // -- drawing with mouse, touch and pen (pointer events) --------------------------------------------------
  let drawing = false, last = null, pending = false;
  function point(e) {
    const rect = canvas.getBoundingClientRect();
    return [(e.clientX - rect.left) * SIZE / rect.width, (e.clientY - rect.top) * SIZE / rect.height];
  }
  function stroke(a, b) {
    ctx.strokeStyle = "#000000"; ctx.lineWidth = STROKE; ctx.lineCap = "round"; ctx.lineJoin = "round";
    ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]); ctx.stroke();
  }
  function startDrawing() {
    if (state.source !== "drawing") { // a test digit on the pad becomes part of the drawing
      state.source = "drawing";
    }
  }
  canvas.addEventListener("pointerdown", function (e) {
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    state.pointerType = e.pointerType; // "mouse", "touch" or "pen": all draw the same way
    startDrawing();
    drawing = true; last = point(e);
    stroke(last, last);
    schedule();
  });
  canvas.addEventListener("pointermove", function (e) {
    if (!drawing) return;
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const ev of (events.length ? events : [e])) { const q = point(ev); stroke(last, q); last = q; }
    schedule();
  });
  function end() { if (drawing) { drawing = false; last = null; update(); } } // every stroke ends in an update
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  function schedule() { // live while drawing, at most once a frame
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; if (drawing) update(); });
  }

  function clear() {
    clearPad();
    state.source = "drawing"; state.digit = null;
    update();
  }
  $(".explain-draw-clear").addEventListener("click", clear);

  // Test digits: drawn on the pad (dark on white, 10 x 10 pixels each) and given to the model as they are.
  function loadDigit(k) {
    const d = window.explainDrawDigits[k];
    const values = decode(d.pixels);
    const pixels = new Float64Array(784);
    for (let i = 0; i < 784; i++) pixels[i] = values[i] / 255;
    state.source = "digit";
    state.digit = { index: d.index, label: d.label, pixels: pixels };
    clearPad();
    const cell = SIZE / 28;
    for (let i = 0; i < 784; i++) {
      const g = 255 - values[i];
      ctx.fillStyle = "rgb(" + g + "," + g + "," + g + ")";
      ctx.fillRect((i % 28) * cell, Math.floor(i / 28) * cell, cell, cell);
    }
    update();
  }
  const picker = $(".explain-draw-digits");
  (window.explainDrawDigits || []).forEach(function (d, k) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "md-button explain-draw-digit";
    b.textContent = String(d.label);
    b.setAttribute("aria-label", "Load test digit x_test[" + d.index + "], a " + d.label);
    b.addEventListener("click", function () { loadDigit(k); });
    picker.appendChild(b);
  });

  $(".explain-draw-training").addEventListener("change", update);
  $(".explain-draw-new-mask").addEventListener("click", function () { state.maskSeed += 1; update(); });
  $(".explain-draw-index").addEventListener("input", lookup);
  $(".explain-draw-input").addEventListener("pointermove", function (e) { // hover a pixel: its index
    const rect = e.currentTarget.getBoundingClientRect();
    const col = Math.min(27, Math.floor((e.clientX - rect.left) * 28 / rect.width));
    const row = Math.min(27, Math.floor((e.clientY - rect.top) * 28 / rect.height));
    $(".explain-draw-index").value = String(28 * row + col);
    lookup();
  });

  // The ten bars, built once.
  const bars = $(".explain-draw-bars");
  for (let k = 0; k < model.b2.length; k++) {
    const li = document.createElement("li");
    li.innerHTML = '<span class="explain-draw-class">' + k + '</span><span class="explain-draw-track" aria-hidden="true">' +
      '<span class="explain-draw-bar"></span></span><span class="explain-draw-p">–</span>' +
      '<span class="explain-draw-logit"></span>';
    bars.appendChild(li);
  }

  // Where the weights come from, and their checksums (SHA-256 where the browser offers it).
  const run = model.manifest.run || {};
  $(".explain-draw-provenance").textContent = "Weights: model '" + model.manifest.model + "' trained " + run.epochs +
    " epochs on " + run.data + " (seed " + run.seed + ", batch " + run.batch_size + "), test accuracy " +
    fixed(run.test_accuracy, 4) + "; cache key " + run.cache_key + "; exported by explain.export_for_web (explain " +
    model.manifest.versions.explain + ", Keras " + model.manifest.versions.keras + ").";
  function hex(buffer) {
    return Array.from(new Uint8Array(buffer)).map(function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }
  const checks = $(".explain-draw-checksums");
  if (window.crypto && window.crypto.subtle) {
    const arrays = model.manifest.layers.flatMap(function (l) { return l.arrays || []; });
    Promise.all(arrays.map(function (a) {
      return window.crypto.subtle.digest("SHA-256", model.bytes[a.name]).then(function (d) { return hex(d) === a.sha256; });
    })).then(function (ok) {
      state.checksums = ok.every(Boolean) ? "verified" : "mismatch";
      checks.textContent = state.checksums === "verified"
        ? "SHA-256 of all " + ok.length + " arrays checked in this page against the manifest: equal."
        : "SHA-256 mismatch: the weights in this page are not the ones exported.";
    });
  } else {
    state.checksums = "unavailable";
    checks.textContent = "This browser does not offer SHA-256 here, so the checksums were not checked.";
  }

  // For tests and the curious: every number the page computed, as plain arrays.
  api.snapshot = function () {
    const r = state.result, p = state.prepared;
    const plain = function (a) { return a ? Array.from(a) : null; };
    return {
      version: state.version, source: state.source, pointerType: state.pointerType || null, digit: state.digit && { index: state.digit.index, label: state.digit.label },
      prepared: p && { blank: p.blank, paper: p.paper, inverted: p.inverted, threshold: p.threshold || null,
                       box: p.box || null, scaledShape: p.scaledShape || null, scaled: plain(p.scaled),
                       centreOfMass: p.centreOfMass || null, offset: p.offset || null, peak: p.peak || null,
                       pixels: plain(p.pixels) },
      result: r && { input: plain(r.input), flatten: plain(r.flatten), z: plain(r.z), relu: plain(r.relu),
                     dropout: plain(r.dropout), logits: plain(r.logits), probabilities: plain(r.probabilities),
                     predicted: r.predicted },
      training: state.training && { mask: plain(dropoutMask(model.units, model.rate, state.maskSeed)),
                                    dropout: plain(state.training.dropout), probabilities: plain(state.training.probabilities),
                                    predicted: state.training.predicted },
      checksums: state.checksums,
    };
  };
  // The pad's pixels, RGBA row after row, base64: what prepare() read.
  api.pixels = function () {
    const data = ctx.getImageData(0, 0, SIZE, SIZE).data;
    let text = "";
    for (let i = 0; i < data.length; i += 8192) text += String.fromCharCode.apply(null, data.subarray(i, i + 8192));
    return btoa(text);
  };
  api.loadDigit = loadDigit;
  api.clear = clear;
  api.model = model;

  clearPad();
  state.source = "drawing";
  update();
  api.ready = true;
  root.dataset.ready = "true";
})();
