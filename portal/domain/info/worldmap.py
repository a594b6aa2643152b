"""The directory's map drawn on the server as SVG (F-81), so it works with no internet access:
country outlines from Natural Earth (the npm package world-atlas, TopoJSON, copied into
portal/static/vendor by the build step), offices as dots, both projected equirectangularly;
each dot inside a target large enough for a finger, offices too near each other drawn around
their common spot."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

WIDTH, HEIGHT = 720, 360  # 2 SVG units per degree
ATLAS = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    "static",
    "vendor",
    "countries-110m.json",
)


def project(lon: float, lat: float) -> tuple[float, float]:
    """Equirectangular: longitude → x, latitude → y (north up)."""
    lon = max(-180.0, min(180.0, lon))
    lat = max(-90.0, min(90.0, lat))
    return round((lon + 180.0) * WIDTH / 360.0, 2), round((90.0 - lat) * HEIGHT / 180.0, 2)


def _decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        points, x, y = [], 0, 0
        for dx, dy in arc:
            if transform:
                x, y = x + dx, y + dy
                sx, sy = transform["scale"]
                tx, ty = transform["translate"]
                points.append((x * sx + tx, y * sy + ty))
            else:
                points.append((dx, dy))
        arcs.append(points)
    return arcs


def _ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> str:
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    if len(points) < 3:
        return ""
    projected = [project(lon, lat) for lon, lat in points]
    return "M" + "L".join(f"{x:g},{y:g}" for x, y in projected) + "Z"


@lru_cache(maxsize=1)
def country_paths() -> tuple[str, ...]:
    """One SVG path (d attribute) per country; empty when the atlas was not built (the map
    then shows the offices on a plain background)."""
    try:
        with open(ATLAS, encoding="utf-8") as fh:
            topology = json.load(fh)
    except OSError:
        return ()
    arcs = _decode_arcs(topology)
    paths = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        if geometry.get("type") == "Polygon":
            polygons = [geometry["arcs"]]
        elif geometry.get("type") == "MultiPolygon":
            polygons = geometry["arcs"]
        else:
            continue
        d = "".join(_ring(arcs, ring) for polygon in polygons for ring in polygon)
        if d:
            paths.append(d)
    return tuple(paths)


@dataclass(frozen=True)
class Marker:
    id: int
    name: str
    x: float
    y: float


def markers(offices) -> list[Marker]:
    """The offices with coordinates, as points on the map."""
    out = []
    for office in offices:
        if office.latitude is None or office.longitude is None:
            continue
        x, y = project(float(office.longitude), float(office.latitude))
        out.append(Marker(office.id, office.name, x, y))
    return out


# the map is never drawn narrower than this (CSS `.office-map svg { min-width }`): the sizes
# below are screen pixels at that width, and more on a wider screen
MIN_SCREEN_WIDTH = 600
DOT_PX = 7  # the visible dot's radius
HIT_PX = 14  # the radius of what a finger or a pointer hits: a 28 px target (WCAG 2.5.8: 24)
GAP = 1.05  # offices drawn around a common spot: their targets 5 % further apart than touching
SPOT_REACH = 2  # a spot gathers offices at most two targets from its centre


@dataclass(frozen=True)
class View:
    box: str  # the SVG viewBox
    marker_radius: float  # the dot, about the same size on the screen whatever the zoom
    hit_radius: float  # the target around it (transparent)


MIN_WIDTH = 60.0  # 30 degrees of longitude at least: the offices' region, not a street


def _view(box: str, w: float) -> View:
    unit = w / MIN_SCREEN_WIDTH  # SVG units per screen pixel at the narrowest
    return View(box, round(DOT_PX * unit, 3), round(HIT_PX * unit, 3))


def view_of(points: list[Marker], margin: float = 12.0) -> View:
    """The part of the world around the markers, 2:1 like the whole map (the whole world
    without any marker)."""
    if not points:
        return _view(f"0 0 {WIDTH} {HEIGHT}", float(WIDTH))
    xs = [p.x for p in points]
    ys = [p.y for p in points]
    w = max(max(xs) - min(xs) + 2 * margin, 2 * (max(ys) - min(ys) + 2 * margin), MIN_WIDTH)
    w = min(w, float(WIDTH))
    h = w / 2
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    x0 = min(max(cx - w / 2, 0.0), WIDTH - w)
    y0 = min(max(cy - h / 2, 0.0), HEIGHT - h)
    return _view(f"{x0:g} {y0:g} {w:g} {h:g}", w)


@dataclass(frozen=True)
class Placed:
    """An office's marker where it is drawn: at its place, or moved aside (`moved`) when
    other offices are so near that their targets would overlap (the leader line goes from
    the place `x`, `y` to the marker `mx`, `my`)."""

    marker: Marker
    x: float
    y: float
    mx: float
    my: float
    moved: bool


@dataclass
class _Spot:
    members: list[Marker]

    @property
    def x(self) -> float:
        return sum(m.x for m in self.members) / len(self.members)

    @property
    def y(self) -> float:
        return sum(m.y for m in self.members) / len(self.members)

    def spread(self, hit: float) -> float:
        """How far from the spot its markers are put so that neighbours' targets do not
        overlap: on a circle where two neighbours are a target (2 × hit) and a little apart."""
        n = len(self.members)
        return 0.0 if n == 1 else GAP * hit / math.sin(math.pi / n)


def place(points: list[Marker], view: View) -> list[Placed]:
    """Every marker where its whole target can be hit: offices whose targets would overlap
    (Antwerp's port and its administrative centre) share a spot and are drawn around it. A spot gathers only offices near each other (within
    SPOT_REACH targets of its centre): in a region too dense for that at this scale, targets
    may still touch, and the list under the map is the way to each office."""
    hit = view.hit_radius
    spots = [_Spot([m]) for m in sorted(points, key=lambda m: (m.name, m.id))]
    merged = True
    while merged:  # until no two spots' circles of targets overlap, or they may not merge
        merged = False
        for i, a in enumerate(spots):
            for b in spots[i + 1 :]:
                reach = a.spread(hit) + b.spread(hit) + 2 * hit
                if math.hypot(a.x - b.x, a.y - b.y) >= reach:
                    continue
                both = _Spot(a.members + b.members)
                if max(math.hypot(m.x - both.x, m.y - both.y) for m in both.members) > (
                    SPOT_REACH * 2 * hit
                ):
                    continue  # not one place: drawn where they are
                a.members.extend(b.members)
                spots.remove(b)
                merged = True
                break
            if merged:
                break
    placed = []
    for spot in spots:
        if len(spot.members) == 1:
            m = spot.members[0]
            placed.append(Placed(m, m.x, m.y, m.x, m.y, False))
            continue
        placed.extend(_around(spot, spot.spread(hit)))
    return placed


def _around(spot: _Spot, radius: float) -> list[Placed]:
    """The spot's offices on a circle, in the order they lie around it, the circle turned so
    that the leader lines are shortest: each drawn on the side where it is (offices at the
    very same point clockwise by name)."""
    members = sorted(
        spot.members,
        key=lambda m: (
            round((math.atan2(m.y - spot.y, m.x - spot.x) + math.pi / 2) % (2 * math.pi), 6),
            m.name,
            m.id,
        ),
    )
    n = len(members)
    slots = [
        (
            round(spot.x + radius * math.cos(2 * math.pi * k / n - math.pi / 2), 3),
            round(spot.y + radius * math.sin(2 * math.pi * k / n - math.pi / 2), 3),
        )
        for k in range(n)
    ]

    def length(turn: int) -> float:
        return sum(
            math.hypot(m.x - slots[(k + turn) % n][0], m.y - slots[(k + turn) % n][1])
            for k, m in enumerate(members)
        )

    turn = min(range(n), key=length)
    return [Placed(m, m.x, m.y, *slots[(k + turn) % n], True) for k, m in enumerate(members)]


TILE_ZOOM = 13


def tile_url(template: str, lat: float, lon: float, zoom: int = TILE_ZOOM) -> str:
    """The slippy-map tile ({z}/{x}/{y}, web Mercator) holding the point, from the
    deployment's MAP_TILE_URL."""
    n = 2**zoom
    lat = max(-85.0511, min(85.0511, lat))
    x = int((lon + 180.0) / 360.0 * n) % n
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return template.replace("{z}", str(zoom)).replace("{x}", str(x)).replace("{y}", str(y))


def csp_with_tiles(url: str) -> str:
    """The portal's Content-Security-Policy with the tile server allowed as an image source."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: blob: {origin}; media-src 'self' blob:; connect-src 'self'; "
        "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'self'"
    )
