"""Timelines as pictures: an evacuation plan's waves (planned), and a batch's jobs (planned,
then actual, drawn by the migrations app from the same pieces), as bars against time, with the
per-frame and per-MSP limits and each wave's load written on the picture.

A plan has no durations: a migration is estimated at a fixed setup time plus its memory at an
assumed rate (active mobility; an inactive one moves no memory), and a wave starts when the
longest migration of the wave before it ends. The picture says so. SVG made here: a title, a
description, text labels; planned bars are outlined, actual ones filled, failed ones red and
marked ✗ and named by their state, so it reads in print and without colour.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.utils.html import escape

from inventory.choices import LparState
from planning.models import EvacuationPlan

SETUP_SECONDS = 120  # validation, the MSPs' setup, the final switch-over
MB_PER_SECOND = 100  # the memory copy, as an MSP pair over a 1 Gb/s link manages it
ESTIMATE = (
    f"Planned durations are estimates: {SETUP_SECONDS // 60} min, plus the memory at "
    f"{MB_PER_SECOND} MB/s for an active migration."
)


def planned_seconds(*, memory_mb: int, active: bool) -> int:
    return SETUP_SECONDS + (memory_mb // MB_PER_SECOND if active else 0)


@dataclass(frozen=True)
class Bar:
    """One migration on the timeline: its row, its wave, when (seconds from the start)."""

    lane: str  # the LPAR
    group: str  # "Wave 1"
    start: float
    end: float
    label: str
    actual: bool = False  # False: planned
    failed: bool = False
    running: bool = False


@dataclass
class Timeline:
    title: str
    bars: list[Bar]
    limits: list[str]  # sentences: the limits the waves keep
    loads: dict[str, str] = field(default_factory=dict)  # group → its load against the limits
    notes: list[str] = field(default_factory=list)


def limit_sentences(frame_limits: dict[str, int], msp_limit: int) -> list[str]:
    """The limits a timeline's waves keep, a sentence each."""
    return [
        *(f"{name}: at most {n} migrations at once" for name, n in sorted(frame_limits.items())),
        f"Each mover service partition (MSP): at most {msp_limit} migrations at once",
    ]


def wave_loads(
    waves: dict[int, list[tuple[str, str, str | None, str | None]]],
    frame_limits: dict[str, int],
    msp_limit: int,
) -> dict[str, str]:
    """Per wave, how many migrations each frame and each MSP carries against its limit: from
    (source frame, destination frame, source MSP, destination MSP) per migration."""
    loads = {}
    for wave, moves in sorted(waves.items()):
        frames: Counter = Counter()
        msps: Counter = Counter()
        for source, destination, source_msp, destination_msp in moves:
            frames.update([source, destination])
            msps.update(m for m in (source_msp, destination_msp) if m)
        parts = [
            f"{name} {n} of {frame_limits.get(name, '?')}"
            + (" (full)" if n >= frame_limits.get(name, n + 1) else "")
            for name, n in sorted(frames.items())
        ]
        parts += [
            f"MSP {name} {n} of {msp_limit}" + (" (full)" if n >= msp_limit else "")
            for name, n in sorted(msps.items())
        ]
        loads[f"Wave {wave}"] = " · ".join(parts)
    return loads


def plan_timeline(*, plan: EvacuationPlan) -> Timeline:
    """The plan's placed LPARs wave by wave, with estimated durations."""
    placements = (
        plan.placements.filter(destination__isnull=False)
        .select_related("lpar", "destination", "source_msp__frame", "destination_msp__frame")
        .order_by("wave", "position")
    )
    bars: list[Bar] = []
    waves: dict[int, list] = {}
    frame_limits: dict[str, int] = {}
    start = 0.0
    for wave in sorted({p.wave for p in placements}):
        in_wave = [p for p in placements if p.wave == wave]
        longest = 0
        for p in in_wave:
            active = p.lpar.state == LparState.RUNNING
            seconds = planned_seconds(memory_mb=p.lpar.memory_mb, active=active)
            longest = max(longest, seconds)
            bars.append(
                Bar(
                    p.lpar.name,
                    f"Wave {wave}",
                    start,
                    start + seconds,
                    f"→ {p.destination.name}, about {_minutes(seconds)}",
                )
            )
            frame_limits[plan.frame.name] = plan.frame.max_active_migrations
            frame_limits[p.destination.name] = p.destination.max_active_migrations
        waves[wave] = [
            (plan.frame.name, p.destination.name, _msp(p.source_msp), _msp(p.destination_msp))
            for p in in_wave
        ]
        start += longest
    limits = limit_sentences(frame_limits, plan.vios_limit)
    return Timeline(
        f"Timeline of the evacuation of {plan.frame.name} (plan #{plan.pk})",
        bars,
        limits,
        wave_loads(waves, frame_limits, plan.vios_limit),
        [ESTIMATE],
    )


def _msp(vios) -> str | None:
    return f"{vios.name} ({vios.frame.name})" if vios is not None else None


def _minutes(seconds: float) -> str:
    minutes = seconds / 60
    return f"{minutes:.0f} min" if minutes >= 10 else f"{minutes:.1f} min"


# The picture.

LANE, LABEL_WIDTH, CHART_WIDTH, LEFT, GROUP_GAP = 22, 150, 640, 10, 36
PLANNED, ACTUAL, RED, TEXT, MUTED = "#3b7fc4", "#2b6cb0", "#c53030", "#1a202c", "#4a5568"
PLANNED_FILL = "#eef6fc"  # light enough that an outlined bar never reads as a filled one


def _tick_step(span: float) -> int:
    for step in (60, 120, 300, 600, 900, 1800, 3600, 7200):
        if span / step <= 10:
            return step
    return 14400


def timeline_svg(timeline: Timeline) -> str:
    span = max([b.end for b in timeline.bars] + [60])
    scale = CHART_WIDTH / span
    x0 = LEFT + LABEL_WIDTH
    parts: list[str] = []
    y = 20
    for note in [*timeline.limits, *timeline.notes]:
        parts.append(
            f'<text x="{LEFT}" y="{y}" font-size="11" fill="{MUTED}">{escape(note)}</text>'
        )
        y += 15
    parts.append(
        f'<text x="{LEFT}" y="{y + 4}" font-size="11" fill="{MUTED}">Legend: outlined bar = '
        "planned · filled bar = actual · ✗ red bar = failed or stopped</text>"
    )
    y += 22
    axis_y = y
    step = _tick_step(span)
    y += 16
    groups: dict[str, list[Bar]] = {}
    for bar in timeline.bars:
        groups.setdefault(bar.group, []).append(bar)
    for group, bars in groups.items():
        load = timeline.loads.get(group, "")
        parts.append(
            f'<text x="{LEFT}" y="{y + 12}" font-size="12" font-weight="bold" fill="{TEXT}">'
            f"{escape(group)}</text>"
        )
        if load:
            parts.append(
                f'<text x="{x0}" y="{y + 12}" font-size="11" fill="{MUTED}">{escape(load)}</text>'
            )
        y += 20
        lanes: dict[str, int] = {}
        for bar in bars:
            lane_y = lanes.setdefault(bar.lane, y + len(lanes) * LANE)
            parts += _bar_svg(bar, lane_y, x0, scale)
        for lane, lane_y in lanes.items():
            parts.append(
                f'<text x="{LEFT}" y="{lane_y + 14}" font-size="12" fill="{TEXT}">'
                f"{escape(lane)}</text>"
            )
        y += len(lanes) * LANE + GROUP_GAP // 2
    height = y + 10
    width = x0 + CHART_WIDTH + 190
    ticks = [
        f'<line x1="{x0 + t * scale:.1f}" y1="{axis_y}" x2="{x0 + t * scale:.1f}" y2="{height}" '
        f'stroke="#e2e8f0"/><text x="{x0 + t * scale:.1f}" y="{axis_y}" font-size="10" '
        f'fill="{MUTED}">{t // 60} min</text>'
        for t in range(0, int(span) + 1, step)
    ]
    planned = sum(not b.actual for b in timeline.bars)
    actual = sum(b.actual for b in timeline.bars)
    desc = (
        f"{planned} planned and {actual} actual migrations in {len(groups)} group(s) over "
        f"{_minutes(span)}. " + " ".join(timeline.limits)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="timeline-title timeline-desc" '
        f'font-family="sans-serif" data-testid="timeline-picture">'
        f'<title id="timeline-title">{escape(timeline.title)}</title>'
        f'<desc id="timeline-desc">{escape(desc)}</desc>' + "".join(ticks + parts) + "</svg>"
    )


def _bar_svg(bar: Bar, y: int, x0: int, scale: float) -> list[str]:
    x, width = x0 + bar.start * scale, max((bar.end - bar.start) * scale, 2)
    height = 8 if not bar.actual else 10
    top = y + (2 if not bar.actual else 10)
    colour = RED if bar.failed else (ACTUAL if bar.actual else PLANNED)
    fill = colour if bar.actual else PLANNED_FILL
    kind = "actual" if bar.actual else "planned"
    text = f"{'✗ ' if bar.failed else ''}{kind}: {bar.label}{' (running)' if bar.running else ''}"
    return [
        f'<rect class="bar bar-{kind}{" bar-failed" if bar.failed else ""}" x="{x:.1f}" '
        f'y="{top}" width="{width:.1f}" height="{height}" fill="{fill}" stroke="{colour}" '
        f'stroke-width="1.5"><title>{escape(bar.lane)} {escape(text)}</title></rect>',
        f'<text x="{x + width + 4:.1f}" y="{top + height - 1}" font-size="10" '
        f'fill="{RED if bar.failed else MUTED}">{escape(text)}</text>',
    ]
