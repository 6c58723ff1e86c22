"""SVG charts made at build time with pygal: no JavaScript, nothing fetched when viewed.

Pages show them as `<img>`, so even a script in an SVG would not run. The output is made
deterministic (pygal puts a random id and the date in every chart) so an unchanged chart is
byte-identical and the incremental build leaves it alone.
"""

from __future__ import annotations

import re

_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_CHART_ID = re.compile(r"chart-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
COLORS = ("#c62828", "#2e7d32", "#1565c0", "#ef6c00", "#6a1b9a")


def cost_chart(series: list[tuple[str, float, float]], small: bool = False) -> str:
    """Cumulative cost of misses against cumulative estimated cost avoided (`small`: for a phone)."""
    import pygal

    chart = pygal.Line(**_config(small), fill=False, show_dots=len(series) < 40)
    chart.title = "Misses vs est. avoided (USD)" if small else "Cost of misses vs estimated cost avoided (cumulative, USD)"
    chart.x_labels = [name for name, _, _ in series]
    chart.add("cost of misses", [missed for _, missed, _ in series])
    chart.add("est. cost avoided", [avoided for _, _, avoided in series])
    return _finish(chart, "cost")


def spend_chart(by_day: list[dict], small: bool = False) -> str:
    """Cost per day of the imported sessions (`small`: for a phone)."""
    import pygal

    chart = pygal.Bar(**_config(small))
    chart.title = "Cost by day (USD)"
    chart.x_labels = [row["key"] for row in by_day]
    chart.add("cost", [round(row.get("cost_usd") or 0.0, 2) for row in by_day])
    return _finish(chart, "spend")


def _config(small: bool = False) -> dict:
    """Drawn at 900 px for a desktop; at 400 px with fewer, larger labels for a phone, where a
    900 px drawing shrunk to fit would leave 5 px text."""
    from pygal.style import Style

    size = 1.3 if small else 1.0
    style = Style(background="transparent", plot_background="transparent", colors=COLORS,
                  font_family="sans-serif", title_font_size=16 * size, legend_font_size=13 * size,
                  label_font_size=11 * size, major_label_font_size=11 * size)
    return {
        "style": style, "width": 400 if small else 900, "height": 300 if small else 320, "js": [],
        "disable_xml_declaration": True, "show_minor_x_labels": False, "x_labels_major_count": 3 if small else 8,
        "truncate_label": 12, "x_label_rotation": 0, "truncate_legend": 24, "margin_right": 36 if small else 12,
        "legend_at_bottom": True, "margin": 12, "print_values": False,
        "value_formatter": lambda v: f"{v:,.2f}", "no_data_text": "no data yet",
    }


def _finish(chart, name: str) -> str:
    svg = chart.render(is_unicode=True)
    svg = _SCRIPT.sub("", svg)
    svg = _COMMENT.sub("", svg)
    return _CHART_ID.sub(f"chart-{name}", svg) + "\n"
