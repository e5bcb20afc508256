"""Server-rendered SVG charts: no JavaScript and no CDN, so pages work offline.

Each chart is accessible: it has a title and description, and a hidden data
table follows it for screen readers.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from hub.i18n import _

# A narrow drawing: it is scaled to the panel, and on a phone a wide one would shrink its text
# to an unreadable size.
WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 420, 200, 46, 30, 14
COLOURS = ("#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b83280", "#4a5568")


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _figure(value: float | None) -> str:
    """A figure as a label: whole numbers without decimals, others to one place."""
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.1f}"


def _table(title: str, labels: Sequence[str], series: dict[str, Sequence[float | None]]) -> str:
    head = "".join(f"<th scope='col'>{escape(name)}</th>" for name in series)
    rows = "".join(
        f"<tr><th scope='row'>{escape(label)}</th>"
        + "".join(f"<td>{_figure(values[i])}</td>" for values in series.values())
        + "</tr>"
        for i, label in enumerate(labels)
    )
    return (
        f"<table class='visually-hidden'><caption>{escape(title)}</caption>"
        f"<tr><th></th>{head}</tr>{rows}</table>"
    )


def _axis(top: float) -> str:
    plot_height = HEIGHT - PAD_BOTTOM - PAD_TOP
    parts = []
    for fraction in (0, 0.5, 1):
        y = HEIGHT - PAD_BOTTOM - fraction * plot_height
        label = _axis_label(top * fraction)
        parts.append(
            f"<line x1='{PAD_LEFT}' x2='{WIDTH}' y1='{y:.1f}' y2='{y:.1f}' class='grid'/>"
            f"<text x='{PAD_LEFT - 6}' y='{y + 4:.1f}' text-anchor='end'>{label}</text>"
        )
    return "".join(parts)


def _axis_label(value: float) -> str:
    """Short enough for the axis's margin: 250,000 is "250k" (the data table has it whole)."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:,.3g}M"
    if value >= 10_000:
        return f"{value / 1000:,.3g}k"
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _x_labels(labels: Sequence[str], step_width: float) -> str:
    every = max(1, -(-len(labels) // 6))  # at most six labels, so they never overlap
    return "".join(
        f"<text x='{PAD_LEFT + (i + 0.5) * step_width:.1f}' y='{HEIGHT - 12}' "
        f"text-anchor='middle'>{escape(label)}</text>"
        for i, label in enumerate(labels)
        if i % every == 0
    )


def _svg(title: str, body: str) -> str:
    return (
        f"<svg class='chart' viewBox='0 0 {WIDTH} {HEIGHT}' role='img' "
        f"aria-label='{escape(title)}' xmlns='http://www.w3.org/2000/svg'>"
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    partial: int | None = None,
) -> Markup:
    """Vertical bars, one per label; ``None`` (suppressed) leaves a gap.

    The bar at index ``partial`` is a period still running: drawn as an outline
    marked "so far", so a month half done never reads as a collapse."""
    top = _nice_max(max((v for v in values if v is not None), default=0))
    step = (WIDTH - PAD_LEFT) / max(1, len(labels))
    plot_height = HEIGHT - PAD_BOTTOM - PAD_TOP
    bars = []
    for i, value in enumerate(values):
        if value is None:
            continue
        height = value / top * plot_height
        x, y = PAD_LEFT + i * step + step * 0.15, HEIGHT - PAD_BOTTOM - height
        running = i == partial
        paint = (
            f"fill='none' stroke='{COLOURS[0]}' stroke-dasharray='4 3' class='partial'"
            if running
            else f"fill='{COLOURS[0]}'"
        )
        so_far = " " + _("so far (the period is not over)") if running else ""
        bars.append(
            f"<rect x='{x:.1f}' y='{y:.1f}' width='{step * 0.7:.1f}' height='{height:.1f}' "
            f"{paint}><title>{escape(labels[i])}: {_figure(value)}{so_far}</title></rect>"
        )
        if running:
            # Over the bar, or for the last bar ending at its right edge, inside the drawing.
            last = i == len(values) - 1
            anchor, at = ("end", x + step * 0.7) if last else ("middle", x + step * 0.35)
            bars.append(
                f"<text x='{at:.1f}' y='{max(y - 4, PAD_TOP):.1f}' "
                f"text-anchor='{anchor}'>{escape(_('so far'))}</text>"
            )
    body = _axis(top) + "".join(bars) + _x_labels(labels, step)
    shown = [
        _("%(label)s (so far)", label=label) if i == partial else label
        for i, label in enumerate(labels)
    ]
    return Markup(_svg(title, body) + _table(title, shown, {title: values}))


def line_chart(
    title: str, labels: Sequence[str], series: dict[str, Sequence[float | None]]
) -> Markup:
    """One line per series over shared labels, with a legend."""
    every_value = [v for values in series.values() for v in values if v is not None]
    top = _nice_max(max(every_value, default=0))
    step = (WIDTH - PAD_LEFT) / max(1, len(labels))
    plot_height = HEIGHT - PAD_BOTTOM - PAD_TOP
    lines = []
    for n, (name, values) in enumerate(series.items()):
        points = " ".join(
            f"{PAD_LEFT + (i + 0.5) * step:.1f},{HEIGHT - PAD_BOTTOM - v / top * plot_height:.1f}"
            for i, v in enumerate(values)
            if v is not None
        )
        colour = COLOURS[n % len(COLOURS)]
        lines.append(
            f"<polyline points='{points}' fill='none' stroke='{colour}' stroke-width='2'/>"
            f"<text x='{PAD_LEFT + 8 + n * 120}' y='{PAD_TOP + 4}' fill='{colour}'>{escape(name)}</text>"
        )
    body = _axis(top) + "".join(lines) + _x_labels(labels, step)
    return Markup(_svg(title, body) + _table(title, labels, series))


def hbar_chart(
    title: str, items: Sequence[tuple[str, float | None]], *, missing: str = "suppressed"
) -> Markup:
    """Horizontal bars for categories (reasons, barriers, product types); a ``None``
    value is labelled ``missing``."""
    top = _nice_max(max((v for _, v in items if v is not None), default=0))
    # Room for a 22-character label at the 12px the stylesheet sets, so none is clipped.
    row, label_width = 24, 170
    height = row * len(items) + 8
    bars = []
    for i, (label, value) in enumerate(items):
        y = 4 + i * row
        width = 0 if value is None else value / top * (WIDTH - label_width - 60)
        shown = missing if value is None else _figure(value)
        bars.append(
            f"<text x='{label_width - 6}' y='{y + 15}' text-anchor='end'>"
            f"<title>{escape(label)}</title>{escape(_shorten(label))}</text>"
            f"<rect x='{label_width}' y='{y + 3}' width='{width:.1f}' height='{row - 6}' fill='{COLOURS[0]}'/>"
            f"<text x='{label_width + width + 6:.1f}' y='{y + 15}'>{shown}</text>"
        )
    svg = (
        f"<svg class='chart' viewBox='0 0 {WIDTH} {height}' role='img' aria-label='{escape(title)}' "
        f"xmlns='http://www.w3.org/2000/svg'><title>{escape(title)}</title>{''.join(bars)}</svg>"
    )
    labels = [label for label, _ in items]
    return Markup(svg + _table(title, labels, {title: [v for _, v in items]}))


def _shorten(label: str, limit: int = 22) -> str:
    # The full label stays in the tooltip and the hidden data table.
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"
