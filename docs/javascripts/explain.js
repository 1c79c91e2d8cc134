/* The site's own script: plain JavaScript, no library, nothing loaded from elsewhere.

   - Figures: each figure is a link to itself at full size. The page embeds figures as data (a PNG data
     URL or an inline SVG), which browsers refuse to open as a page, so the link points at a blob: URL of
     the same image, made here on load; it opens in a new tab, where it can be zoomed.
   - Tables: every cell gets its column's name (data-label, from the header), and a table wider than the
     text column is stacked, one card per row (.explain-stacked in extra.css), so no column is off-screen.
   - Keyboard: a region that still scrolls sideways (a wide code block) can be reached with Tab.
   - Material's search dialog gets a name for screen readers.

   Material for MkDocs replaces the page without reloading it (instant navigation is off here, but the
   document$ observable is the supported hook either way); resizing the window re-checks the tables. */
(function () {
  "use strict";

  function dataUrlBlob(url) {
    // data:image/png;base64,… -> a Blob of the same bytes (synchronously: the link is ready at once)
    var comma = url.indexOf(",");
    var type = url.slice(5, comma).split(";")[0];
    var bytes = atob(url.slice(comma + 1));
    var buffer = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i++) buffer[i] = bytes.charCodeAt(i);
    return new Blob([buffer], { type: type });
  }

  function enlargeLinks(root) {
    root.querySelectorAll("figure.explain-figure > a[data-enlarge]").forEach(function (link) {
      if (link.dataset.ready) return;
      var img = link.querySelector("img");
      var svg = link.querySelector("svg");
      var blob = null;
      if (svg) {
        var copy = svg.cloneNode(true);
        copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
        blob = new Blob([copy.outerHTML], { type: "image/svg+xml" });
      } else if (img && img.src.indexOf("data:") === 0) {
        blob = dataUrlBlob(img.src);
      }
      if (!blob) return;
      link.href = URL.createObjectURL(blob);
      link.target = "_blank";
      link.rel = "noopener";
      link.dataset.ready = "1";
    });
  }

  function labelCells(table) {
    var head = table.tHead && table.tHead.rows[0];
    if (!head) return;
    var names = Array.prototype.map.call(head.cells, function (th) { return th.textContent.trim(); });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        Array.prototype.forEach.call(row.cells, function (cell, i) {
          if (!cell.hasAttribute("data-label")) cell.setAttribute("data-label", names[i] || "");
        });
      });
    });
  }

  var ROLES = [["", "table"], ["tr", "row"], ["td", "cell"], ["th", "columnheader"]];

  function stack(table, on) {
    // a stacked table keeps its table semantics for screen readers (CSS display: block would drop them)
    ROLES.forEach(function (pair) {
      var cells = pair[0] ? table.querySelectorAll(pair[0]) : [table];
      Array.prototype.forEach.call(cells, function (el) {
        if (on) el.setAttribute("role", pair[1]);
        else el.removeAttribute("role");
      });
    });
    if (on) {
      table.classList.add("explain-stacked");
    } else {
      table.classList.remove("explain-stacked");
      if (!table.classList.length) table.removeAttribute("class"); // Material styles table:not([class])
    }
  }

  function fitTables(root) {
    root.querySelectorAll(".md-typeset table:not([class]), .md-typeset table.explain-stacked").forEach(function (table) {
      labelCells(table);
      if (table.classList.contains("explain-stacked")) stack(table, false); // measure the table as a table
      var wrap = table.closest(".md-typeset__scrollwrap"); // Material's sideways-scrolling box, once it is made
      var wide = wrap ? wrap.scrollWidth > wrap.clientWidth + 1 : table.scrollWidth > table.parentElement.clientWidth + 1;
      if (wide) stack(table, true);
    });
  }

  function focusableScrolling(root) {
    root.querySelectorAll(".md-typeset__scrollwrap, .md-typeset pre > code, .formula").forEach(function (el) {
      var scrolls = el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
      if (scrolls && !el.hasAttribute("tabindex")) {
        el.setAttribute("tabindex", "0");
        el.dataset.explainFocus = "1";
      } else if (!scrolls && el.dataset.explainFocus) {
        el.removeAttribute("tabindex");
        delete el.dataset.explainFocus;
      }
    });
  }

  function nameTheSearch() {
    var dialog = document.querySelector(".md-search[role='dialog']");
    if (dialog && !dialog.hasAttribute("aria-label")) dialog.setAttribute("aria-label", "Search");
  }

  function run() {
    enlargeLinks(document);
    fitTables(document);
    focusableScrolling(document);
    nameTheSearch();
  }

  var pending = null;
  function later() {
    if (pending) cancelAnimationFrame(pending);
    pending = requestAnimationFrame(function () { pending = null; fitTables(document); focusableScrolling(document); });
  }

  if (typeof document$ !== "undefined") {
    document$.subscribe(function () { setTimeout(run, 0); });
  } else {
    document.addEventListener("DOMContentLoaded", run);
  }
  window.addEventListener("load", run);
  window.addEventListener("resize", later);
})();
