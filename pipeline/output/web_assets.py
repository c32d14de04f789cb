"""The web edition's chart assets and markup: a partial plotly.js, the script that draws each
chart when it nears the viewport, and each chart's container with its figure as JSON.

The full plotly.js the Python package ships is 4.8 MB; every chart here is a bar chart, and the
basic partial bundle (bar, scatter, pie) at the same plotly.js version is a quarter of that. It
comes from npm, pinned in templates/static/vendor/package-lock.json (`make setup` runs `npm ci`
there). The same version matters: the figure dicts are made by the Python package for its own
plotly.js, and the PDF's SVGs are drawn with that bundle too, so the web and print charts agree.
"""

from __future__ import annotations

import html
import json
import re
from functools import lru_cache
from pathlib import Path

import plotly.io
import plotly.offline

from pipeline.errors import OhmskError
from pipeline.present.figures import TEMPLATE

STATIC = Path(__file__).resolve().parents[2] / "templates" / "static"
PLOTLY_BUNDLE = STATIC / "vendor" / "node_modules" / "plotly.js-basic-dist-min" / "plotly-basic.min.js"
LOADER = STATIC / "report.js"
# the trace types the basic bundle draws: the only ones the page's shared template needs
BUNDLE_TRACES = ("bar", "scatter", "pie")
_VERSION = re.compile(r"plotly\.js \(basic - minified\) v(\S+)")


def plotly_bundle() -> bytes:
    """The partial plotly.js, checked to be the version the Python plotly package was made for."""
    if not PLOTLY_BUNDLE.is_file():
        raise OhmskError(
            f"{PLOTLY_BUNDLE.relative_to(STATIC.parents[1])} is missing: run `make setup` "
            "(npm ci --prefix templates/static/vendor)"
        )
    data = PLOTLY_BUNDLE.read_bytes()
    found = _VERSION.search(data[:300].decode("utf-8", "replace"))
    wanted = plotly.offline.get_plotlyjs_version()
    if not found or found.group(1) != wanted:
        raise OhmskError(
            f"{PLOTLY_BUNDLE.name} is plotly.js {found.group(1) if found else '(unknown)'}, but the plotly "
            f"package draws for {wanted}: pin plotly.js-basic-dist-min@{wanted} in templates/static/vendor"
        )
    return data


@lru_cache(maxsize=1)
def page_template() -> dict:
    """The house plotly template as the page needs it once: its layout and the bundle's traces
    (each figure's own copy of all 24 trace types is dropped from the page: some 8 KB a chart)."""
    full = plotly.io.templates[TEMPLATE].to_plotly_json()
    return {"layout": full["layout"], "data": {k: v for k, v in full["data"].items() if k in BUNDLE_TRACES}}


def loader_script() -> str:
    """report.js with the shared template it merges into every figure, written before it."""
    return f"window.OHMSK_CHART_TEMPLATE = {_script_json(page_template())};\n" + LOADER.read_text(encoding="utf-8")


def write_web_assets(assets: Path) -> Path:
    """plotly.js and the chart loader written into `assets`; the path of plotly.js."""
    bundle = assets / "plotly.min.js"
    bundle.write_bytes(plotly_bundle())
    (assets / "report.js").write_text(loader_script(), encoding="utf-8")
    return bundle


def chart_markup(tid: str, figure: dict, print_svg: str) -> str:
    """One chart on the web page: an empty container (hidden from assistive technology, which reads
    the alt text and data table instead of plotly's SVG labels) that report.js fills, the figure as
    JSON beside it, and the print edition's SVG (at the page-relative `print_svg`) for a browser's
    print, fetched only on printing."""
    layout = {k: v for k, v in figure["layout"].items() if k not in ("template", "width", "modebar")}
    payload = _script_json({"data": figure["data"], "layout": layout})
    height = int(layout.get("height", 300))
    return (
        f'<div class="chart-plot" id="chart-{tid}" aria-hidden="true" style="min-height:{height}px"></div>'
        f'<script type="application/json" id="chart-{tid}-data">{payload}</script>'
        f'<img class="chart-print" src="{html.escape(print_svg)}" alt="" loading="lazy">'
    )


_TABLE = re.compile(r'<table class="data-table[^"]*"[^>]*>.*?</table>', re.S)
_CAPTION = re.compile(r"<caption[^>]*>(.*?)</caption>", re.S)


def scrolling_tables(page: str) -> str:
    """Every data table of the web page in a container that scrolls it sideways, so a table wider
    than a phone's screen never widens the page; the container is named after the table's caption
    (report.js makes it a tab stop while it scrolls)."""

    def wrap(found: re.Match) -> str:
        caption = _CAPTION.search(found.group(0))
        name = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", caption.group(1))).split()) if caption else ""
        label = html.escape(f"{name} (table)" if name else "Table", quote=True)
        return f'<div class="table-scroll" role="group" aria-label="{label}">{found.group(0)}</div>'

    return _TABLE.sub(wrap, page)


_INDENT = re.compile(r"\n\s*\n|\n[ \t]+")


def compact(page: str) -> str:
    """The web page without the templates' indentation and blank lines (some 18 KB): a run of
    white space that starts a line collapses to the line break (the page has no <pre>)."""
    return _INDENT.sub("\n", page)


def _script_json(value: object) -> str:
    """Compact JSON that no string in it can end the <script> element it sits in."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")
