// Injected into a copy of report.html by tests/test_accessibility.py: runs axe-core once the
// page has loaded and every chart is drawn (the page draws a chart only as it nears the viewport,
// so its window.ohmskCharts.drawAll() draws the rest first) and writes the violations as JSON into
// the page, where `chromium --dump-dom` prints them.
window.addEventListener("load", function () {
  function report(text) {
    var pre = document.createElement("pre");
    pre.id = "axe-results";
    pre.textContent = text;
    document.body.appendChild(pre);
  }
  // Every rule axe enables by default, plus those it ships disabled that still matter here:
  // target-size (WCAG 2.2 AA 2.5.8) and duplicate ids (in-page links and aria references need
  // unique ids, though WCAG 2.2 dropped 4.1.1).
  var rules = { "target-size": { enabled: true }, "duplicate-id": { enabled: true },
                "duplicate-id-active": { enabled: true } };
  var drawn = window.ohmskCharts ? window.ohmskCharts.drawAll() : Promise.resolve();
  drawn.then(function () { return axe.run(document, { resultTypes: ["violations"], rules: rules }); })
    .then(function (results) {
      report(JSON.stringify({
        // charts plotly drew before axe ran (the test checks all of them were)
        charts: Array.prototype.filter.call(document.querySelectorAll(".js-plotly-plot"),
                                            function (div) { return div.querySelector(".main-svg"); }).length,
        // plotly's chart toolbars drawn (nine tab stops a chart when present)
        toolbars: document.querySelectorAll(".modebar").length,
        violations: results.violations.map(function (v) {
          return { id: v.id, impact: v.impact, tags: v.tags, help: v.help, count: v.nodes.length,
                   targets: v.nodes.slice(0, 3).map(function (n) { return n.target.join(" "); }) };
        }),
      }));
    })
    .catch(function (err) { report("ERROR " + err); });
});
