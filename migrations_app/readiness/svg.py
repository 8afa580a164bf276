"""The readiness trend as a server-side SVG: the share of LPARs ready in each of the last runs,
one point per run, oldest on the left. No script, no client library."""

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from migrations_app.readiness.selectors import TrendPoint

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 600, 180, 40, 10, 10, 30


def trend_svg(points: list[TrendPoint]) -> SafeString:
    """An accessible line chart (role img, a title naming the last share)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    known = [p for p in points if p.percent is not None]
    last = f"{known[-1].percent:.0f} % ready in run #{known[-1].run}" if known else "no run yet"
    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" '
            'role="img" aria-labelledby="readiness-trend-title" id="readiness-trend">'
            '<title id="readiness-trend-title">Share of LPARs ready over the last {} runs: '
            "{}</title>",
            WIDTH,
            HEIGHT,
            len(points),
            last,
        )
    ]
    for percent in (0, 50, 100):
        y = TOP + plot_h * (1 - percent / 100)
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#ccc"/>'
                '<text x="{}" y="{}" font-size="11" text-anchor="end">{} %</text>',
                LEFT,
                f"{y:.1f}",
                WIDTH - RIGHT,
                f"{y:.1f}",
                LEFT - 4,
                f"{y + 4:.1f}",
                percent,
            )
        )
    step = plot_w / max(len(points) - 1, 1)
    coordinates = []
    for index, point in enumerate(points):
        if point.percent is None:
            continue
        x, y = LEFT + index * step, TOP + plot_h * (1 - point.percent / 100)
        coordinates.append(f"{x:.1f},{y:.1f}")
        parts.append(
            format_html(
                '<circle cx="{}" cy="{}" r="3" fill="#0d6efd"><title>Run #{}: {} % '
                "of {} LPARs ready</title></circle>",
                f"{x:.1f}",
                f"{y:.1f}",
                point.run,
                f"{point.percent:.0f}",
                point.checked,
            )
        )
    if len(coordinates) > 1:
        parts.append(
            mark_safe(  # noqa: S308 - numbers formatted above, nothing from users
                f'<polyline fill="none" stroke="#0d6efd" stroke-width="2" '
                f'points="{escape(" ".join(coordinates))}"/>'
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped or formatted
