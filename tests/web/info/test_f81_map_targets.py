"""F-81: the directory map's offices are targets a finger can hit (28 px or more at the map's
narrowest, 600 px), each a link reachable with the keyboard, and offices so near each other
that their targets would overlap (Antwerp Port and the Antwerp Administrative Centre, 4 km
apart) are drawn around their common spot instead of on top of each other."""

from __future__ import annotations

import itertools
import math
import re

from portal.domain.info import worldmap
from portal.domain.info.worldmap import Marker


def _targets_apart(placed, hit) -> bool:
    return all(
        math.hypot(a.mx - b.mx, a.my - b.my) >= 2 * hit
        for a, b in itertools.combinations(placed, 2)
    )


def test_f81_targets_are_large_enough_at_the_narrowest_map():
    view = worldmap.view_of([Marker(1, "A", 100, 100), Marker(2, "B", 500, 200)])
    width = float(view.box.split()[2])
    px = worldmap.MIN_SCREEN_WIDTH / width  # screen pixels per SVG unit
    assert 2 * view.hit_radius * px >= 24  # WCAG 2.5.8 target size
    assert view.marker_radius < view.hit_radius


def test_f81_offices_on_one_spot_are_drawn_around_it():
    antwerp = [
        Marker(1, "Antwerp Port", *worldmap.project(4.3997, 51.2602)),
        Marker(2, "Antwerp Administrative Centre", *worldmap.project(4.4125, 51.2194)),
        Marker(3, "Zaventem", *worldmap.project(4.4844, 50.9010)),
        Marker(4, "Geneva", *worldmap.project(6.1432, 46.2044)),
    ]
    view = worldmap.view_of(antwerp)
    placed = worldmap.place(antwerp, view)
    assert sorted(p.marker.id for p in placed) == [1, 2, 3, 4]  # every office, once
    assert _targets_apart(placed, view.hit_radius)
    by_id = {p.marker.id: p for p in placed}
    assert by_id[1].moved and by_id[2].moved  # the two Antwerp offices share a spot
    assert not by_id[4].moved and (by_id[4].mx, by_id[4].my) == (by_id[4].x, by_id[4].y)
    # the place stays where the office is, the marker is near it
    for p in (by_id[1], by_id[2]):
        assert (p.x, p.y) == (p.marker.x, p.marker.y)
        assert math.hypot(p.mx - p.x, p.my - p.y) < 4 * view.hit_radius


def test_f81_many_offices_on_one_point_all_get_their_target():
    same = [Marker(i, f"Office {i:02}", 360.0, 100.0) for i in range(12)]
    view = worldmap.view_of(same)
    placed = worldmap.place(same, view)
    assert len(placed) == 12 and _targets_apart(placed, view.hit_radius)


def test_f81_map_page_draws_a_target_per_office(login_as, demo):
    html = login_as("be", "officer").get("/directory/map").get_data(as_text=True)
    links = re.findall(r'<a href="(/directory/offices/\d+)" data-office="(\d+)"', html)
    assert links and len({o for _h, o in links}) == len(links)
    hit = float(re.search(r'r="([\d.]+)" class="hit"', html).group(1))
    dot = float(re.search(r'r="([\d.]+)" class="dot"', html).group(1))
    width = float(re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+)', html).group(1))
    assert 2 * hit * 600 / width >= 24 and dot < hit
    assert html.count('class="hit"') == len(links)
    assert "data-moved" in html  # the Antwerp offices, drawn apart with a leader line each
    assert html.count('class="leader"') == html.count("data-moved")
    # and listed under the map, each once
    legend = html.split('class="map-legend"', 1)[1].split("</ul>", 1)[0]
    assert "Antwerp Port" in legend and "Antwerp Administrative Centre" in legend


def test_f81_a_dense_row_of_offices_is_not_gathered_into_one_far_ring():
    """Thirty offices along a coast, closer than a target to each other: a spot gathers
    neighbours only (two targets around its centre), so no office is drawn far from where it
    is — one ring of all thirty would put some 14 targets away."""
    view = worldmap.view_of([Marker(0, "x", 300, 100), Marker(1, "y", 420, 160)])
    hit = view.hit_radius
    row = [Marker(i, f"Office {i:02}", 330 + i * 0.8 * hit, 120.0) for i in range(30)]
    placed = worldmap.place(row, view)
    assert len(placed) == 30
    assert max(math.hypot(p.mx - p.x, p.my - p.y) for p in placed) <= 6 * hit
