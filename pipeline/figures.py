"""Figures stage: a plotly chart for each figure table, with its values labelled and alt text.

The same figure object becomes an interactive chart in the HTML and a vector SVG in the PDF.
"""
from __future__ import annotations

import textwrap

import pandas as pd
import plotly.graph_objects as go

from .present import fmt_pct
from .tabulate import TOTAL, Table

# Government Analysis Function categorical palette (colour-blind safe, high contrast on white).
PALETTE = ["#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1"]
SEQUENTIAL = ["#12436D", "#2073BC", "#6BACE6", "#BFD9F1", "#D9D9D9", "#8A8A8A"]
FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
WIDTH = 760


def _wrap(label: str, width: int = 42) -> str:
    return "<br>".join(textwrap.wrap(str(label), width)) or str(label)


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


def _layout(fig: go.Figure, rows: int, legend: bool) -> None:
    fig.update_layout(
        width=WIDTH, height=max(170, 90 + rows * 30), template="simple_white",
        font={"family": FONT, "size": 13, "color": "#0b0c0c"},
        margin={"l": 10, "r": 40, "t": 40 if legend else 10, "b": 30},
        showlegend=legend, bargap=0.25,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "traceorder": "normal"},
    )
    fig.update_yaxes(autorange="reversed", automargin=True, ticks="")


def _bars(table: Table) -> go.Figure:
    cells = chart_cells(table)
    fig = go.Figure()
    series = list(dict.fromkeys(cells["series"]))
    for i, key in enumerate(series):
        part = cells[cells["series"] == key]
        fig.add_bar(y=[_wrap(x) for x in part["category_label"]], x=part["value"],
                    orientation="h", name=str(part["series_label"].iloc[0]),
                    marker_color=PALETTE[i % len(PALETTE)],
                    text=[fmt_pct(v) + ("*" if f == "caution" else "")
                          for v, f in zip(part["value"], part["flag"])], textposition="outside",
                    cliponaxis=False,
                    hovertemplate="%{y}: %{text} (n=%{customdata})<extra></extra>",
                    customdata=part["n"])
    rows = len(cells)
    _layout(fig, rows, legend=len(series) > 1)
    top = float(cells["value"].max()) if len(cells) else 100
    fig.update_xaxes(range=[0, min(100, top * 1.15 + 5)], ticksuffix="%", showgrid=False)
    fig.update_layout(barmode="group")
    return fig


def _stacked(table: Table) -> go.Figure:
    cells = chart_cells(table)
    fig = go.Figure()
    bars = [_wrap(x, 30) for x in dict.fromkeys(cells["series_label"])]
    for i, (code, part) in enumerate(cells.groupby("category", sort=False)):
        fig.add_bar(y=[_wrap(x, 30) for x in part["series_label"]], x=part["value"], orientation="h",
                    name=str(part["category_label"].iloc[0]),
                    marker_color=SEQUENTIAL[i % len(SEQUENTIAL)],
                    text=[fmt_pct(v) if v >= 6 else "" for v in part["value"]],
                    textposition="inside", insidetextanchor="middle", textangle=0,
                    textfont={"color": "white" if i < 2 else "#0b0c0c"},
                    hovertemplate="%{y}: " + str(part["category_label"].iloc[0]) + " %{x:.0f}%<extra></extra>")
    _layout(fig, len(bars) * 2, legend=True)
    fig.update_layout(barmode="stack")
    fig.update_xaxes(range=[0, 100.5], ticksuffix="%", showgrid=False)
    return fig


def build_figure(table: Table) -> go.Figure:
    """The chart for one figure table."""
    return _stacked(table) if table.spec.chart == "stacked" else _bars(table)


def alt_text(table: Table) -> str:
    """A sentence a screen reader can read in place of the chart: every value it shows."""
    cells = chart_cells(table)
    parts = []
    for key in dict.fromkeys(cells["series"]):
        part = cells[cells["series"] == key]
        values = "; ".join(f"{lab}: {fmt_pct(v)}" for lab, v in zip(part["category_label"], part["value"]))
        parts.append(f"{part['series_label'].iloc[0]}: {values}")
    kind = "Stacked bar chart" if table.spec.chart == "stacked" else "Bar chart"
    return f"{kind}. " + ". ".join(parts) + "."
