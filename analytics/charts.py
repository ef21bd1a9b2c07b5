"""Plotly figures ({"data": [...], "layout": {...}}) for the dashboard and the impact report, as plain JSON.

The pages pass them to static/js/dashboard.js with `json_script`; the browser only draws. Every figure is built
from the same rows as the table beside it, after suppression: a suppressed figure is `None` here, which plotly
draws as a gap (never as zero).
"""

from __future__ import annotations

ACCENT = "#2f5bd3"
MUTED = "#9aa3b5"
OK = "#1f7a4d"
WARN = "#9a6100"
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13, "color": "#1d2433"}


def _layout(title: str, **extra) -> dict:
    return {
        "title": {"text": title, "x": 0, "font": {"size": 15}},
        "font": FONT,
        "margin": {"l": 56, "r": 16, "t": 44, "b": 56},
        "height": 320,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "showlegend": True,
        "legend": {"orientation": "h", "y": -0.22},
        **extra,
    }


def trend(title: str, months: list[str], values: list[float | None], *, unit: str,
          baseline: float | None = None, target: float | None = None) -> dict:  # fmt: skip
    """A metric per month, with the program's baseline and target as flat dashed lines when there are any."""
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": title,
            "x": months,
            "y": values,
            "line": {"color": ACCENT, "width": 2},
            "connectgaps": False,
        }
    ]
    for name, value, color in (("Baseline", baseline, MUTED), ("Target", target, OK)):
        if value is not None and months:
            data.append({
                "type": "scatter", "mode": "lines", "name": f"{name} ({value:g})", "x": [months[0], months[-1]],
                "y": [value, value], "line": {"color": color, "dash": "dash", "width": 1.5}, "hoverinfo": "name",
            })  # fmt: skip
    layout = _layout(
        title,
        xaxis={"type": "category", "title": {"text": "Month"}},
        yaxis={"title": {"text": unit}, "rangemode": "tozero"},
    )
    return {"data": data, "layout": layout}


def bars(title: str, labels: list[str], values: list[float | None], *, unit: str, reference: float | None = None,
         reference_name: str = "") -> dict:  # fmt: skip
    """One bar per group (the department gap), with a reference line (the whole scope's figure)."""
    data = [{"type": "bar", "name": title, "x": labels, "y": values, "marker": {"color": ACCENT}}]
    if reference is not None and labels:
        data.append({
            "type": "scatter", "mode": "lines", "name": reference_name, "x": [labels[0], labels[-1]],
            "y": [reference, reference], "line": {"color": WARN, "dash": "dash", "width": 1.5}, "hoverinfo": "name",
        })  # fmt: skip
    return {
        "data": data,
        "layout": _layout(
            title,
            xaxis={"type": "category", "automargin": True},
            yaxis={"title": {"text": unit}, "rangemode": "tozero"},
        ),
    }


def intervals(title: str, traces: list[tuple[str, list[str], list, list, list]], *, unit: str) -> dict:
    """Means with their 95% confidence intervals as asymmetric error bars, one trace per (name, labels, means,
    lows, highs): capability growth per skill, self- and mentor-rated side by side."""
    data = []
    for index, (name, labels, means, lows, highs) in enumerate(traces):
        plus = [None if m is None or h is None else round(h - m, 4) for m, h in zip(means, highs, strict=True)]
        minus = [None if m is None or lo is None else round(m - lo, 4) for m, lo in zip(means, lows, strict=True)]
        color = (ACCENT, WARN)[index % 2]
        data.append({
            "type": "scatter", "mode": "markers", "name": f"{name}: mean with 95% interval", "x": labels, "y": means,
            "marker": {"color": color, "size": 10},
            "error_y": {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus, "color": color},
        })  # fmt: skip
    layout = _layout(
        title,
        scattermode="group",
        xaxis={"type": "category", "automargin": True},
        yaxis={"title": {"text": unit}, "zeroline": True, "zerolinecolor": MUTED},
    )
    return {"data": data, "layout": layout}


def heatmap(title: str, rows: list[str], columns: list[str], matrix: list[list[float | None]], *,
            row_title: str, column_title: str, unit: str) -> dict:  # fmt: skip
    """A rows x columns grid of counts (department x department collaboration); suppressed cells stay blank."""
    data = [
        {
            "type": "heatmap",
            "name": title,
            "x": columns,
            "y": rows,
            "z": matrix,
            "colorscale": [[0, "#eef1f6"], [1, ACCENT]],
            "colorbar": {"title": {"text": unit}},
            "hoverongaps": False,
            "xgap": 2,
            "ygap": 2,
        }
    ]
    layout = _layout(
        title,
        height=max(320, 60 + 36 * len(rows)),
        showlegend=False,
        xaxis={"type": "category", "title": {"text": column_title}, "automargin": True},
        yaxis={"type": "category", "title": {"text": row_title}, "automargin": True, "autorange": "reversed"},
    )
    return {"data": data, "layout": layout}
