// The web report's script. Charts: each figure's plotly JSON sits in a <script type="application/json">
// beside its empty container; this file (loaded with `defer`) loads plotly.js only when the first
// chart nears the viewport and draws each chart then, so that neither blocks the first paint.
// The figures are laid out for the 760 px print page: in a narrower column the category labels are
// wrapped shorter, side-by-side panels are stacked, the legend goes below the bars and the chart
// grows taller, so every label stays legible down to 320 px. window.ohmskCharts.drawAll() draws
// every chart at once (for the accessibility test; a browser's print shows the print SVGs instead).
// Wide tables: a table that overflows its scroll container makes the container a tab stop, so a
// keyboard can scroll it. Print: the contents list is opened while the page prints.
(function () {
  "use strict";
  var NARROW = 640; // below this column width a chart takes its narrow layout
  var CONFIG = { displayModeBar: false, displaylogo: false, responsive: true };
  var LINE = 15.6; // plotly sets 12 px text 1.3 lines apart
  var GAP = 60; // between stacked panels: the upper one's axis labels and the lower one's title
  var loader = document.currentScript;
  var plotly = null;
  var figures = {}; // each drawn chart's figure as the build wrote it, by container id
  var fitted = {}; // the column width each drawn chart was last laid out for

  function loadPlotly() {
    if (!plotly) {
      plotly = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = loader.getAttribute("data-plotly");
        script.onload = function () { resolve(window.Plotly); };
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return plotly;
  }

  function rewrap(label, chars) {
    var words = String(label).split(/<br>| /), lines = [], line = "";
    words.forEach(function (word) {
      if (line && (line + " " + word).length > chars) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    lines.push(line);
    return lines.join("<br>");
  }

  function lineCount(label) { return String(label).split("<br>").length; }

  function copy(value) { return JSON.parse(JSON.stringify(value)); }

  // the narrow layout of `fig` (a copy) for a column `width` px wide
  function narrow(fig, width) {
    var layout = fig.layout, chars = Math.max(14, Math.floor(width * 0.45 / 6.6));
    var panelled = Boolean(layout.xaxis2);
    var categories = [];
    fig.data.forEach(function (trace) {
      trace.y = trace.y.map(function (label) { return rewrap(label, chars); });
      trace.y.forEach(function (label) { if (categories.indexOf(label) < 0) categories.push(label); });
      if (trace.textposition === "inside") trace.insidetextfont = Object.assign({}, trace.textfont, { size: 11 });
    });
    (layout.annotations || []).forEach(function (note) {
      if (note.yref !== "paper") note.y = rewrap(note.y, chars);
    });
    var margin = layout.margin || {}, rows = panelled ? 2 : 1;
    var slot = (layout.height - (margin.t || 0) - (margin.b || 0)) / Math.max(1, categories.length);
    // a category axis gives every category the same row: it must fit the longest label
    var longest = Math.max.apply(null, categories.map(lineCount));
    var needed = categories.length * Math.max(slot, longest * LINE + 8);
    var legendRows = layout.showlegend ? legendEntries(fig) : 0;
    var titles = panelled ? 24 : 0;
    layout.font = Object.assign({}, layout.font, { size: 12 });
    layout.margin = { l: 4, r: 34, t: 8 + titles, b: 30 + (legendRows ? 16 + legendRows * 21 : 0) };
    // the key below the bars, one entry a line, in the room the bottom margin keeps for it
    layout.legend = { orientation: "v", x: 0, xanchor: "left", y: 0, yref: "container", yanchor: "bottom",
                      traceorder: "normal", font: { size: 12 }, maxheight: 1 };
    var plot = rows * needed + (panelled ? GAP : 0);
    layout.height = Math.round(plot + layout.margin.t + layout.margin.b);
    if (panelled) stackPanels(layout, plot);
    layout.uniformtext = { mode: "hide", minsize: 10 }; // a segment too thin for its label shows none
    return fig;
  }

  function legendEntries(fig) {
    return fig.data.filter(function (trace) { return trace.showlegend !== false; }).length;
  }

  // side-by-side panels (e.g. "Carry out" and "Among three most time-consuming") one above the
  // other, each with its own axes and title, `gap` px apart in a plot area `plot` px high
  function stackPanels(layout, plot) {
    var lower = (plot - GAP) / 2 / plot;
    layout.xaxis.domain = [0, 1];
    layout.xaxis2.domain = [0, 1];
    layout.yaxis.domain = [1 - lower, 1];
    layout.yaxis2.domain = [0, lower];
    layout.yaxis2.showticklabels = true;
    layout.annotations.filter(function (note) { return note.yref === "paper"; }).forEach(function (note, i) {
      // right-aligned over the bars, so a long title may run over the labels' side, not off the chart
      note.x = 1; note.xanchor = "right"; note.y = i === 0 ? 1 : lower; note.yanchor = "bottom";
    });
  }

  function layoutFor(id, width) {
    var fig = copy(figures[id]);
    fig.layout.template = window.OHMSK_CHART_TEMPLATE;
    return width < NARROW ? narrow(fig, width) : fig;
  }

  function draw(div) {
    if (figures[div.id]) return Promise.resolve();
    figures[div.id] = JSON.parse(document.getElementById(div.id + "-data").textContent);
    return loadPlotly().then(function (Plotly) {
      var width = div.clientWidth, fig = layoutFor(div.id, width);
      fitted[div.id] = width < NARROW ? width : NARROW;
      div.style.minHeight = "";
      return Plotly.newPlot(div, fig.data, fig.layout, CONFIG);
    });
  }

  // a chart laid out for another column width is laid out again (plotly's `responsive` only
  // stretches its width)
  function refit() {
    Object.keys(figures).forEach(function (id) {
      var div = document.getElementById(id), width = div.clientWidth;
      var key = width < NARROW ? width : NARROW;
      if (!window.Plotly || fitted[id] === key || Math.abs(fitted[id] - key) < 16) return;
      fitted[id] = key;
      var fig = layoutFor(id, width);
      window.Plotly.react(div, fig.data, fig.layout, CONFIG);
    });
  }

  // a scroll container is a tab stop only while its table is wider than it (measured as it comes
  // into view, so that loading the page never lays out all of it at once)
  var seenScrollers = [];
  function markScroller(box) {
    if (box.scrollWidth > box.clientWidth + 1) box.setAttribute("tabindex", "0");
    else box.removeAttribute("tabindex");
  }

  function printContents() {
    var contents = document.querySelector(".toc-details");
    if (!contents || contents.open) return;
    contents.open = true;
    window.addEventListener("afterprint", function () { contents.open = false; }, { once: true });
  }

  window.addEventListener("beforeprint", printContents);
  var charts = Array.prototype.slice.call(document.querySelectorAll(".chart-plot"));
  window.ohmskCharts = {
    drawAll: function () { return Promise.all(charts.map(draw)); },
  };
  if (!("IntersectionObserver" in window)) {
    window.ohmskCharts.drawAll();
    document.querySelectorAll(".table-scroll").forEach(markScroller);
    return;
  }
  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (!entry.isIntersecting) return;
      observer.unobserve(entry.target);
      if (entry.target.classList.contains("table-scroll")) {
        seenScrollers.push(entry.target);
        markScroller(entry.target);
      } else {
        draw(entry.target);
      }
    });
  }, { rootMargin: "600px 0px" });
  charts.forEach(function (div) { observer.observe(div); });
  document.querySelectorAll(".table-scroll").forEach(function (box) { observer.observe(box); });
  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () { refit(); seenScrollers.forEach(markScroller); }, 150);
  });
})();
