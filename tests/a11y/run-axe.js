// Injected into a copy of report.html by tests/test_accessibility.py: runs axe-core once the
// page (and its plotly charts) has loaded and writes the violations as JSON into the page,
// where `chromium --dump-dom` prints them.
window.addEventListener("load", function () {
  function report(text) {
    var pre = document.createElement("pre");
    pre.id = "axe-results";
    pre.textContent = text;
    document.body.appendChild(pre);
  }
  axe.run(document, { resultTypes: ["violations"] })
    .then(function (results) {
      report(JSON.stringify(results.violations.map(function (v) {
        return { id: v.id, impact: v.impact, tags: v.tags, help: v.help, count: v.nodes.length,
                 targets: v.nodes.slice(0, 3).map(function (n) { return n.target.join(" "); }) };
      })));
    })
    .catch(function (err) { report("ERROR " + err); });
});
