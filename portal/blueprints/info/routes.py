"""The customs portal's News, Directory (with its map), Help and Search (F-80 … F-82). News,
the directory, help and search are public (what is for everyone, to someone not signed in);
the map and the offices' pages are for signed-in customs users."""

from __future__ import annotations

from flask import abort, current_app
from flask_login import current_user

from portal.blueprints.info import bp, helplinks, pages
from portal.domain.info import directory, markdown, worldmap
from portal.extensions import db
from portal.web import permission_required, render_page

bp.app_context_processor(helplinks.help_url)
bp.add_app_template_filter(markdown.render, "markdown")


def _reader() -> pages.Reader:
    reader = f"c:{current_user.id}" if current_user.is_authenticated else None
    return pages.Reader("customs", reader, "customs_layout.html", "info")


@bp.get("/news")
@permission_required("news", public=True)
def news():
    return pages.news_page(_reader())


@bp.get("/news/<int:news_id>")
@permission_required("news", public=True)
def news_item(news_id: int):
    return pages.news_item_page(_reader(), news_id)


@bp.get("/directory", endpoint="directory")
@permission_required("directory", public=True)
def directory_page():
    return pages.directory_page(_reader())


@bp.get("/directory/map")
@permission_required("directory")
def directory_map():
    groups = directory.offices(db.session)
    offices = [o for group in groups for o in group.offices]
    markers = worldmap.markers(offices)
    view = worldmap.view_of(markers)
    return render_page(
        "info/map.html",
        countries=worldmap.country_paths(),
        markers=markers,
        placed=worldmap.place(markers, view),
        view=view,
        width=worldmap.WIDTH,
        height=worldmap.HEIGHT,
        without_coordinates=[o for o in offices if o.latitude is None or o.longitude is None],
        tile_url=current_app.config["MAP_TILE_URL"],
    )


@bp.get("/directory/offices/<int:office_id>")
@permission_required("directory")
def office(office_id: int):
    found = directory.office(db.session, office_id)
    if found is None:
        abort(404)
    tile = None
    template = current_app.config["MAP_TILE_URL"]
    if template and found.latitude is not None and found.longitude is not None:
        tile = worldmap.tile_url(template, float(found.latitude), float(found.longitude))
    response = render_page("info/office.html", office=found, tile=tile)
    if tile:  # the configured tile server is the one other origin this page loads from
        response.headers["Content-Security-Policy"] = worldmap.csp_with_tiles(tile)
    return response


@bp.get("/help")
@permission_required("news", public=True)
def help_index():
    return pages.help_page(_reader())


@bp.get("/help/guides/<slug>")
@permission_required("news", public=True)
def guide(slug: str):
    return pages.guide_page(_reader(), slug)


@bp.get("/help/<slug>")
@permission_required("news", public=True)
def help_item(slug: str):
    return pages.help_item_page(_reader(), slug)


@bp.get("/search")
@permission_required("news", public=True)
def search():
    return pages.search_page(_reader())
