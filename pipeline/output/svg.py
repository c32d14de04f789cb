"""Static SVG of every chart, drawn by plotly.js in one headless Chromium run.

The HTML report draws its charts with plotly.js in the reader's browser; the PDF needs the same
charts as vector images. kaleido 1.x renders one figure per call and reloads its page (and all of
plotly.js) after each, some 0.3 s a chart; here one page holds every figure not already cached,
draws them one after another with `Plotly.toImage` and hands the SVG text back through the page
Chromium prints with --dump-dom: about 0.1 s a chart. Each SVG is tidied for print (svg_tidy).
The build caches each by its figure (pipeline/build/report_steps.py), so a rebuild draws only
the charts whose data or spec changed.
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
from functools import lru_cache
from pathlib import Path

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


def draw_svgs(figures: Mapping[str, Mapping], plotly_js: Path) -> dict[str, bytes]:
    """Every figure (plotly figure dicts by id) as SVG tidied for print, drawn with the
    plotly.js at `plotly_js` (the copy the HTML report uses) in one Chromium run."""
    if not figures:
        return {}
    return {fid: tidy_svg(_stable_ids(svg.encode("utf-8"), fid)) for fid, svg in _draw(figures, plotly_js).items()}


@lru_cache(maxsize=1)
def browser_version() -> str:
    """The version of the Chromium that draws the charts (as it reports it), which a chart's SVG
    depends on."""
    browser = find_browser()
    try:
        run = subprocess.run([browser, "--version"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OhmskError(f"{browser}: could not run it ({exc})") from exc
    if run.returncode != 0 or not run.stdout.strip():
        raise OhmskError(f"{browser} --version failed (exit {run.returncode}): {run.stderr.strip()[-300:]}")
    return run.stdout.strip()


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
