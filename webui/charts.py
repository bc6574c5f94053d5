"""Charts drawn on the server as inline SVG: the geometry (fewer points, scaled to a box, a path),
kept apart from the templates that draw it and from the filters that word its values."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple


class Dot(NamedTuple):
    """A point where it is drawn (x, y in the box) and what it stands for (at, value)."""

    x: float
    y: float
    at: float
    value: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    top: float  # the value at the top edge
    start: float  # the time at the left edge
    end: float  # and at the right edge
    dots: tuple[Dot, ...]

    @property
    def line(self) -> str:
        return path(self.dots)

    @property
    def area(self) -> str:
        """The line closed down to the bottom edge, for a filled chart."""
        if not self.dots:
            return ""
        return f"{path(self.dots)}L{self.dots[-1].x:.1f} {self.height}L{self.dots[0].x:.1f} {self.height}Z"

    @property
    def latest(self) -> Dot | None:
        return self.dots[-1] if self.dots else None

    @property
    def lowest(self) -> float:
        return min(d.value for d in self.dots) if self.dots else 0.0

    @property
    def highest(self) -> float:
        return max(d.value for d in self.dots) if self.dots else 0.0

    def level(self, value: float) -> float:
        """The y of a value (a reference line: one load per CPU)."""
        return _y(value, self.top, self.height)


def thin(times: Sequence[float], values: Sequence[float], most: int) -> tuple[list[float], list[float]]:
    """At most `most` points (times oldest first, and their values): all of them when they fit,
    else means over equal time buckets aligned on the clock (a bucket keeps its time, and a
    focused point its place, as the window slides on). One pass, no object per point: the
    member table thins a sparkline per member at every state sample."""
    if len(times) <= most:
        return list(times), list(values)
    width = math.ceil((times[-1] - times[0]) / (most - 1)) or 1
    starts: list[float] = []
    means: list[float] = []
    bucket, total, count = times[0] - times[0] % width, 0.0, 0
    for at, value in zip(times, values, strict=True):
        if at - bucket >= width:
            starts.append(bucket)
            means.append(total / count)
            bucket, total, count = at - at % width, 0.0, 0
        total += value
        count += 1
    starts.append(bucket)
    means.append(total / count)
    return starts, means


def _y(value: float, top: float, height: int) -> float:
    return height - min(max(value, 0.0), top) / top * height if top > 0 else float(height)


def chart(
    times: Sequence[float],
    values: Sequence[float],
    start: float,
    end: float,
    top: float,
    width: int,
    height: int,
    most: int = 120,
) -> Chart:
    """Points placed in a width x height box: time from `start` (left) to `end` (right), value
    from 0 (bottom) to `top`; anything beyond is drawn on the edge it passed."""
    span = end - start or 1.0
    dots = tuple(
        Dot(min(max((at - start) / span, 0.0), 1.0) * width, _y(value, top, height), at, value)
        for at, value in zip(*thin(times, values, most), strict=True)
    )
    return Chart(width, height, top, start, end, dots)


def path(dots: Sequence[Dot]) -> str:
    """An SVG path through the dots: `M0.0 20.0L4.5 18.2…`."""
    return "".join(f"{'L' if i else 'M'}{d.x:.1f} {d.y:.1f}" for i, d in enumerate(dots))
