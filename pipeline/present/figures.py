"""Figures stage: a plotly chart for each figure table, with its values labelled and alt text.

The same figure object becomes an interactive chart in the HTML and a vector SVG in the PDF.
"""

from __future__ import annotations

import json
import textwrap
from functools import lru_cache

import pandas as pd
import plotly.graph_objects as go
import plotly.io

from pipeline.present.formats import Formats
from pipeline.stages.tabulate import TOTAL, Table

# Government Analysis Function categorical palette, in its order: each colour has at least 3:1
# contrast with white and with the next (and the last with the first), so bars side by side in a
# group and segments next to each other in a stacked bar are told apart without relying on hue
# (WCAG 1.4.11). Stacked bars use it too: a light sequential ramp cannot give six shades 3:1 apart.
PALETTE = ["#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1"]
INK = "#0b0c0c"
FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
WIDTH = 760
TEMPLATE = "simple_white"


def _wrap(label: object, width: int = 42) -> str:
    return "<br>".join(textwrap.wrap(str(label), width)) or str(label)


def _label_height(labels: list[str], slot: float) -> float:
    """Extra height so that no category's wrapped label runs into the next. A category axis gives
    every category the same row, so the row must fit the longest label: plotly sets 13 px text
    1.3 lines apart, so two lines fit a 30 px row, but three or more need 17 px a line (Figure
    4.2's three-line labels overlapped in 47 px rows)."""
    lines = max((label.count("<br>") + 1 for label in labels), default=1)
    return len(labels) * max(0.0, 17 * lines + 2 - slot) if lines > 2 else 0.0


def _segment_text(colour: str) -> str:
    """White or ink, whichever reads better on a bar of `colour` (both pass 4.5:1 on the palette)."""
    return "white" if contrast(colour, "#ffffff") > contrast(colour, INK) else INK


def contrast(one: str, other: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        rgb = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    hi, lo = sorted((luminance(one), luminance(other)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def chart_cells(table: Table) -> pd.DataFrame:
    """The cells a chart draws: total column, percentages, categories (nets stay in the data table).

    Only series with the same categories as the first are drawn together; any other series of the
    table (e.g. a follow-up question) appears in the data table, not on the chart.
    """
    c = table.cells
    c = c[(c["column"] == TOTAL) & (c["stat"] == "pct") & ~c["is_net"] & (c["flag"] != "suppressed")]
    if c.empty:
        return c
    cats = {k: tuple(g["category_label"]) for k, g in c.groupby("series", sort=False)}
    first = cats[c["series"].iloc[0]]
    same = [k for k, v in cats.items() if set(v) <= set(first) or set(first) <= set(v)]
    return c[c["series"].isin(same)]


def _layout(fig: go.Figure, rows: int, legend: bool, labels: list[str]) -> None:
    """House layout for a chart of `rows` bar rows whose categories read `labels` (wrapped)."""
    slot = rows * 30 / max(1, len(labels))
    fig.update_layout(
        width=WIDTH,
        height=max(170, 90 + rows * 30 + _label_height(labels, slot)),
        font={"family": FONT, "size": 13, "color": INK},
        margin={"l": 10, "r": 40, "t": 40 if legend else 10, "b": 30},
        showlegend=legend,
        bargap=0.25,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "traceorder": "normal"},
        # the HTML chart's toolbar: plotly's default pale grey icons (about 1.7:1 on white) fail WCAG
        # 1.4.11 non-text contrast; and no "Share chart" button that would post the data to a cloud
        modebar={"color": "#505a5f", "activecolor": "#0b0c0c", "remove": ["sendChartToCloud"]},
    )
    fig.update_yaxes(autorange="reversed", automargin=True, ticks="")


def _panelled(table: Table, cells: pd.DataFrame, formats: Formats) -> go.Figure:
    """Grouped bars in side-by-side panels sharing the categories: one panel per series `panel`,
    one colour (and legend entry) per series `base_name` (e.g. a role shown in both panels)."""
    from plotly.subplots import make_subplots

    spec = {s.key: s for s in table.spec.series}
    keys = list(dict.fromkeys(cells["series"]))
    panels = list(dict.fromkeys(spec[k].panel for k in keys))
    groups = list(dict.fromkeys(spec[k].base_name or spec[k].label for k in keys))
    fig = make_subplots(
        rows=1,
        cols=len(panels),
        shared_yaxes=True,
        horizontal_spacing=0.03,
        subplot_titles=[f"<b>{p}</b>" for p in panels],
    )
    for key in keys:
        s, part = spec[key], cells[cells["series"] == key]
        group = s.base_name or s.label
        fig.add_bar(
            y=[_wrap(x, 34) for x in part["category_label"]],
            x=part["value"],
            orientation="h",
            name=group,
            legendgroup=group,
            showlegend=panels.index(s.panel) == 0,
            marker_color=PALETTE[groups.index(group) % len(PALETTE)],
            text=[formats.pct(v) + ("*" if f == "caution" else "") for v, f in zip(part["value"], part["flag"])],
            textposition="outside",
            cliponaxis=False,
            textfont={"size": 11},
            hovertemplate=f"{s.label}: " + "%{y}: %{text} (n=%{customdata})<extra></extra>",
            customdata=part["n"],
            row=1,
            col=panels.index(s.panel) + 1,
        )
    labels = [_wrap(x, 34) for x in dict.fromkeys(cells["category_label"])]
    _layout(fig, int(0.72 * len(cells) / len(panels)), legend=True, labels=labels)
    top_margin = 40 + 20 * len(groups)  # legend (one line per group) above the panel titles
    fig.update_layout(
        height=fig.layout.height + 20 * len(groups), barmode="group", bargap=0.2, margin={"t": top_margin}
    )
    plot_height = fig.layout.height - top_margin - fig.layout.margin.b
    fig.update_layout(legend={"orientation": "v", "yanchor": "bottom", "y": 1 + 26 / plot_height})
    fig.for_each_annotation(lambda a: a.update(font={"size": 13}, yshift=2))
    top = float(cells["value"].max()) if len(cells) else 100
    fig.update_xaxes(range=[0, min(100, top * 1.15 + 8) + 12], ticksuffix="%", showgrid=False)
    return fig


def _bars(table: Table, formats: Formats) -> go.Figure:
    cells = chart_cells(table)
    spec = {s.key: s for s in table.spec.series}
    if len(cells) and any(spec[k].panel for k in dict.fromkeys(cells["series"])):
        return _panelled(table, cells, formats)
    fig = go.Figure()
    series = list(dict.fromkeys(cells["series"]))
    for i, key in enumerate(series):
        part = cells[cells["series"] == key]
        fig.add_bar(
            y=[_wrap(x) for x in part["category_label"]],
            x=part["value"],
            orientation="h",
            name=str(part["series_label"].iloc[0]),
            marker_color=PALETTE[i % len(PALETTE)],
            text=[formats.pct(v) + ("*" if f == "caution" else "") for v, f in zip(part["value"], part["flag"])],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{text} (n=%{customdata})<extra></extra>",
            customdata=part["n"],
        )
    rows = len(cells) if len(series) == 1 else int(0.8 * len(cells))  # grouped bars sit closer together
    _layout(fig, rows, legend=len(series) > 1, labels=[_wrap(x) for x in dict.fromkeys(cells["category_label"])])
    top = float(cells["value"].max()) if len(cells) else 100
    fig.update_xaxes(range=[0, min(100, top * 1.15 + 5)], ticksuffix="%", showgrid=False)
    fig.update_layout(barmode="group")
    return fig


def _stacked(table: Table, formats: Formats) -> go.Figure:
    cells = chart_cells(table)
    fig = go.Figure()
    bars = [_wrap(x, 30) for x in dict.fromkeys(cells["series_label"])]
    drawn = [part for _code, part in cells.groupby("category", sort=False) if (part["value"] > 0).any()]
    for i, part in enumerate(drawn):  # an answer no bar shows is left out of the legend too
        colour = PALETTE[i % len(PALETTE)]  # by drawn order: segments next to each other stay 3:1 apart
        fig.add_bar(
            y=[_wrap(x, 30) for x in part["series_label"]],
            x=part["value"],
            orientation="h",
            name=str(part["category_label"].iloc[0]),
            marker_color=colour,
            text=[formats.pct(v) if v >= 6 else "" for v in part["value"]],
            textposition="inside",
            insidetextanchor="middle",
            textangle=0,
            textfont={"color": _segment_text(colour)},
            hovertemplate="%{y}: " + str(part["category_label"].iloc[0]) + " %{x:.0f}%<extra></extra>",
        )
    _layout(fig, len(bars) * 2, legend=True, labels=bars)
    fig.update_layout(barmode="stack")
    totals = cells.groupby("series_label", sort=False)["value"].sum()
    if len(totals) and totals.max() < 99.5:  # bars show only some answers (e.g. bands of 'any'): label each total
        for label, total in totals.items():
            fig.add_annotation(
                x=total,
                y=_wrap(label, 30),
                text=f"<b>{formats.pct(total)}</b>",
                showarrow=False,
                xanchor="left",
                xshift=4,
                font={"size": 12},
            )
        fig.update_xaxes(range=[0, min(100.5, totals.max() * 1.15 + 8)], ticksuffix="%", showgrid=False)
    else:
        fig.update_xaxes(range=[0, 100.5], ticksuffix="%", showgrid=False)
    return fig


def build_figure(table: Table, formats: Formats = Formats()) -> go.Figure:
    """The chart for one figure table, without the house template (see `figure_spec`)."""
    return _stacked(table, formats) if table.spec.chart == "stacked" else _bars(table, formats)


@lru_cache(maxsize=1)
def _template() -> dict:
    return plotly.io.templates[TEMPLATE].to_plotly_json()


def figure_spec(table: Table, formats: Formats = Formats()) -> dict:
    """The chart as the plain figure dict plotly.js draws, in the house template ("simple_white").

    The template is attached to the finished dict: set on the figure object, plotly validates
    and copies all of it on every layout update, most of the time it takes to build a chart.
    """
    spec = json.loads(build_figure(table, formats).to_json())
    spec["layout"]["template"] = _template()
    return spec


def alt_text(table: Table, formats: Formats = Formats()) -> str:
    """A sentence a screen reader can read in place of the chart: every value it shows."""
    cells = chart_cells(table)
    parts = []
    for key in dict.fromkeys(cells["series"]):
        part = cells[cells["series"] == key]
        values = "; ".join(f"{lab}: {formats.pct(v)}" for lab, v in zip(part["category_label"], part["value"]))
        parts.append(f"{part['series_label'].iloc[0]}: {values}")
    kind = "Stacked bar chart" if table.spec.chart == "stacked" else "Bar chart"
    return f"{kind}. " + ". ".join(parts) + "."
