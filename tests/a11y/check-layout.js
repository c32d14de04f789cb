// What a reader of the web page sees at the window's width, measured once every chart is drawn:
// whether anything widens the page, and, for each chart, labels or legend entries drawn outside it
// or off the screen, value labels plotly left out, category labels running into each other; and
// the tab stops before the first chapter. Every chapter is laid out first. Injected by
// tests/test_web.py (into a page it shows in an iframe of a phone's width, since a headless
// window is at least 500 px wide: the result goes to the parent page, which writes it into a
// <pre id="layout-results"> that chromium --dump-dom prints) and by
// tests/web/screenshots.js (which calls window.ohmskLayout() itself).
(function () {
  "use strict";
  var SLACK = 1; // px: rounding of text boxes

  function box(el) { return el.getBoundingClientRect(); }

  function outside(inner, outer) {
    return inner.width > 0 && (inner.left < outer.left - SLACK || inner.right > outer.right + SLACK ||
                               inner.left < -SLACK || inner.right > window.innerWidth + SLACK);
  }

  function expectedValueLabels(fig) {
    return fig.data.reduce(function (n, trace) {
      return n + (trace.textposition === "outside" ? (trace.text || []).filter(Boolean).length : 0);
    }, 0);
  }

  function overlapping(labels) {
    var rects = labels.map(box).filter(function (r) { return r.height > 0; });
    rects.sort(function (a, b) { return a.top - b.top; });
    for (var i = 1; i < rects.length; i++) {
      var a = rects[i - 1], b = rects[i];
      if (b.top < a.bottom - 2 && b.left < a.right && a.left < b.right) return true;
    }
    return false;
  }

  function chartProblems(div) {
    var problems = [], frame = box(div);
    var fig = JSON.parse(document.getElementById(div.id + "-data").textContent);
    var texts = div.querySelectorAll(".bartext, .legendtext, .ytick text, .xtick text, .annotation-text");
    var cut = Array.prototype.filter.call(texts, function (t) { return outside(box(t), frame); });
    if (cut.length) problems.push("outside the chart: " + cut.slice(0, 3).map(function (t) { return t.textContent; }).join(" | "));
    var shown = Array.prototype.filter.call(div.querySelectorAll(".bartext-outside"), function (t) {
      return t.textContent && box(t).width > 0;
    }).length;
    var wanted = expectedValueLabels(fig);
    if (wanted && shown < wanted) problems.push("value labels shown " + shown + " of " + wanted);
    div.querySelectorAll(".yaxislayer-above").forEach(function (axis) {
      if (overlapping(Array.prototype.slice.call(axis.querySelectorAll(".ytick text")))) problems.push("category labels overlap");
    });
    if (fig.layout.showlegend && !div.querySelector(".legend")) problems.push("no legend");
    return problems;
  }

  function tabStopsBeforeFirstChapter() {
    var chapter = document.getElementById("chapter-1"), count = 0;
    var focusable = document.querySelectorAll("a[href], summary, button, input, select, textarea, [tabindex]");
    Array.prototype.forEach.call(focusable, function (el) {
      if (chapter.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_PRECEDING &&
          el.tabIndex >= 0 && el.getClientRects().length && !el.closest("details:not([open]) > :not(summary)")) count += 1;
    });
    return count;
  }

  // the innermost elements that reach past the screen's right edge (what widens the page), named
  // by tag, id and class, with their right edge
  function widening() {
    var out = [];
    document.querySelectorAll("body *").forEach(function (el) {
      var r = box(el);
      if (r.width === 0 || r.right <= window.innerWidth + SLACK) return;
      for (var p = el.parentElement; p; p = p.parentElement) {
        var s = getComputedStyle(p);
        if (s.overflowX === "auto" || s.overflowX === "scroll" || s.overflowX === "hidden") return;
      }
      if (el.children.length && getComputedStyle(el).overflowX === "visible" &&
          Array.prototype.some.call(el.children, function (c) { return box(c).right > window.innerWidth + SLACK; })) return;
      out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
               (el.className && el.className.baseVal === undefined ? "." + el.className.split(" ").join(".") : "") +
               " → " + Math.round(r.right));
    });
    // text that runs past the edge of its own box (a long unbreakable word) is found by its parent
    var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (var node = walker.nextNode(); node && out.length < 10; node = walker.nextNode()) {
      var range = document.createRange();
      range.selectNodeContents(node);
      var t = range.getBoundingClientRect(), el = node.parentElement, clipped = false;
      if (t.width === 0 || t.right <= window.innerWidth + SLACK) continue;
      for (var q = el; q; q = q.parentElement) {
        var st = getComputedStyle(q);
        if (st.overflowX !== "visible" || st.position === "absolute") { clipped = true; break; }
      }
      if (!clipped) out.push("text in " + el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + ": " +
                             node.textContent.trim().slice(0, 40) + " → " + Math.round(t.right));
    }
    return out.slice(0, 10);
  }

  window.ohmskLayout = function () {
    // every chapter laid out, not only those near the viewport (report.css skips the others)
    var all = document.createElement("style");
    all.textContent = "main > section { content-visibility: visible !important; }";
    document.head.appendChild(all);
    return window.ohmskCharts.drawAll().then(function () {
      var charts = {};
      document.querySelectorAll(".chart-plot").forEach(function (div) {
        var problems = chartProblems(div);
        if (problems.length) charts[div.id] = problems;
      });
      return {
        width: window.innerWidth,
        scrollWidth: document.documentElement.scrollWidth,
        widening: widening(),
        drawn: document.querySelectorAll(".chart-plot .main-svg").length > 0 ?
          document.querySelectorAll(".chart-plot.js-plotly-plot").length : 0,
        charts: charts,
        tabStopsBeforeFirstChapter: tabStopsBeforeFirstChapter(),
      };
    });
  };

  if (document.currentScript && document.currentScript.hasAttribute("data-report")) {
    window.addEventListener("load", function () {
      window.ohmskLayout().then(function (result) {
        if (window.parent !== window) { window.parent.postMessage(JSON.stringify(result), "*"); return; }
        var pre = document.createElement("pre");
        pre.id = "layout-results";
        pre.textContent = JSON.stringify(result);
        document.body.appendChild(pre);
      });
    });
  }
})();
