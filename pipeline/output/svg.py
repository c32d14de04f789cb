"""Static SVG of every chart, drawn by plotly.js in one headless Chromium run.

The HTML report draws its charts with plotly.js in the reader's browser; the PDF needs the same
charts as vector images. kaleido 1.x renders one figure per call and reloads its page (and all of
plotly.js) after each, some 0.3 s a chart; here one page holds every figure not already cached,
draws them one after another with `Plotly.toImage` and hands the SVG text back through the page
Chromium prints with --dump-dom: about 0.1 s a chart. Each SVG is tidied for print (svg_tidy)
and cached by the hash of its figure, so a rebuild draws only the charts whose data or spec
changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

import plotly

from pipeline.build.cache import Store, code_version, digest
from pipeline.errors import OhmskError
from pipeline.output.svg_tidy import tidy_svg

_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><script src="{script}"></script></head><body>
<script type="application/json" id="figures">{figures}</script>
<script>
(async () => {{
  const figures = JSON.parse(document.getElementById("figures").textContent);
  const out = {{}};
  for (const [id, fig] of Object.entries(figures)) {{
    try {{
      const url = await Plotly.toImage(fig, {{format: "svg", width: fig.layout.width, height: fig.layout.height}});
      out[id] = decodeURIComponent(url.slice(url.indexOf(",") + 1));
    }} catch (err) {{ out[id] = {{error: String(err)}}; }}
  }}
  const done = document.createElement("script");
  done.type = "application/json"; done.id = "svgs";
  done.textContent = JSON.stringify(out).replace(/</g, "\\\\u003c");
  document.body.appendChild(done);
}})();
</script></body></html>
"""
# the flags a sandboxed, offline machine needs (no background networking, no GPU, as root)
_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--allow-file-access-from-files",
    "--virtual-time-budget=600000",
    "--dump-dom",
]
_RESULT = re.compile(r'<script type="application/json" id="svgs">(.*?)</script>', re.S)


def find_browser() -> str:
    """The Chromium to draw with: $BROWSER_PATH, else chromium on PATH; a clear error if none."""
    candidates = [os.environ.get("BROWSER_PATH", "")] + [
        shutil.which(name) or "" for name in ("chromium", "chromium-browser", "google-chrome")
    ]
    for path in candidates:
        if path and os.path.exists(path):
            return path
    raise OhmskError(
        "no Chromium browser found for exporting charts to SVG; run `make report` as "
        "root to install Debian's chromium, or `apt-get install chromium`, or set "
        "BROWSER_PATH to a Chrome/Chromium binary"
    )


def figure_key(fid: str, figure: Mapping) -> str:
    """What a chart's SVG depends on: its id (its SVG ids derive from it), figure, plotly.js and
    the code that tidies it."""
    return digest("svg", plotly.__version__, code_version(), fid, json.dumps(figure, sort_keys=True))


def export_svgs(figures: Mapping[str, Mapping], cache: Store, plotly_js: Path) -> dict[str, bytes]:
    """Every figure (plotly figure dicts by id) as SVG, drawing only those not in `cache` with
    the plotly.js at `plotly_js` (the copy the HTML report uses)."""
    keys = {fid: figure_key(fid, fig) for fid, fig in figures.items()}
    found = {fid: cache.load(key) for fid, key in keys.items()}
    missing = {fid: figures[fid] for fid, svg in found.items() if svg is None}
    drawn: dict[str, bytes] = {}
    if missing:
        for fid, svg in _draw(missing, plotly_js).items():
            drawn[fid] = tidy_svg(_stable_ids(svg.encode("utf-8"), fid))
            cache.save(keys[fid], drawn[fid])
    return {fid: drawn[fid] if svg is None else svg for fid, svg in found.items()}  # _draw drew every one missing


def _draw(figures: Mapping[str, Mapping], plotly_js: Path) -> dict[str, str]:
    """Run Chromium once over a page that draws `figures`; their SVG text by id."""
    browser = find_browser()
    payload = json.dumps(figures).replace("<", "\\u003c")  # nothing in the data can close the tag
    with tempfile.TemporaryDirectory(prefix="ohmsk-svg-") as tmp:
        folder = Path(tmp)
        page = _PAGE.format(script=plotly_js.resolve().as_uri(), figures=payload)
        (folder / "page.html").write_text(page, encoding="utf-8")
        try:
            run = subprocess.run(
                [browser, *_FLAGS, f"--user-data-dir={folder / 'profile'}", (folder / "page.html").as_uri()],
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise OhmskError(f"{browser}: could not draw the charts ({exc})") from exc
    found = _RESULT.search(run.stdout)
    if not found:
        tail = " ".join(run.stderr.strip().splitlines()[-3:])
        raise OhmskError(f"{browser} drew no charts (exit {run.returncode}): {tail}")
    drawn = json.loads(found.group(1))
    failed = {fid: out["error"] for fid, out in drawn.items() if isinstance(out, dict)}
    if failed or set(drawn) != set(figures):
        raise OhmskError(f"plotly.js could not draw charts {sorted(set(figures) - set(drawn)) or failed}")
    return drawn


def _stable_ids(svg: bytes, fid: str) -> bytes:
    """Replace plotly's random per-figure id (defs-1a2b3c, clip1a2b3c…) so builds are identical."""
    found = re.search(rb'<defs id="defs-([0-9a-f]+)"', svg)
    if not found:
        return svg
    stable = hashlib.sha256(fid.encode()).hexdigest()[: len(found.group(1))].encode()
    return svg.replace(found.group(1), stable)
