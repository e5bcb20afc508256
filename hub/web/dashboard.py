"""The dashboard, built from each enabled plugin's panels, and the navigation.

Both are optional contributions: a plugin whose hook raises, whose panel
template fails to render or whose navigation entry names no page is logged,
shown on the admin's plugins page, and left out; the page still renders.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from markupsafe import Markup

from hub import auth, clock
from hub.db import get_session
from hub.models import User
from hub.plugin_manager import PluginManager
from hub.shell import NavItem, Panel

bp = Blueprint("shell", __name__)


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    current: bool
    quick: bool = False


@dataclass(frozen=True)
class RenderedPanel:
    plugin: str
    title: str
    html: Markup


def plugin_manager() -> PluginManager:
    return current_app.extensions["hub.plugins"]


@bp.get("/")
@auth.require_permission()
def dashboard() -> str:
    return render_template("hub/dashboard.html", panels=panels(auth.current_user()))


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """What "Add to Home screen" needs: the instance's name, its icon, where it opens."""
    name = current_app.config["INSTANCE_NAME"]
    icons = [
        {"src": url_for("static", filename="icon.svg"), "sizes": "any", "type": "image/svg+xml"},
        *(
            {
                "src": url_for("static", filename=f"icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
            }
            for size in (192, 512)
        ),
    ]
    response = jsonify(
        {
            "name": name,
            "short_name": name[:12],
            "start_url": url_for("shell.dashboard"),
            "scope": "/",
            "display": "standalone",
            "background_color": "#f7fafc",
            "theme_color": "#2b6cb0",
            "icons": icons,
        }
    )
    response.mimetype = "application/manifest+json"
    return response


def panels(user: User | None) -> list[RenderedPanel]:
    """Each enabled plugin's panels that ``user`` may see, rendered."""
    plugins = plugin_manager()
    offered = plugins.collect(
        "hub_dashboard_panels", Panel, user=user, session=get_session(), today=clock.today()
    ).items()
    wanted = [(plugin, panel) for plugin, panel in offered if auth.can(user, panel.permission)]
    wanted.sort(key=lambda pair: (pair[1].order, pair[1].title))
    rendered = (_render(plugins, plugin, panel) for plugin, panel in wanted)
    return [panel for panel in rendered if panel is not None]


def _render(plugins: PluginManager, plugin: str, panel: Panel) -> RenderedPanel | None:
    try:
        # Templates may read their values directly or as ``panel.context``.
        html = render_template(panel.template, **{**panel.context, "panel": panel})
    except Exception as exc:
        plugins.note_hook_error(plugin, f"dashboard panel {panel.title!r}", exc)
        return None
    return RenderedPanel(plugin, panel.title, Markup(html))


def navigation(user: User | None) -> list[NavLink]:
    """The navigation entries from the core and plugins that ``user`` may use."""
    if user is None:
        return []
    plugins = plugin_manager()
    offered = plugins.collect("hub_nav_items", NavItem, user=user).items()
    links = []
    for plugin, item in sorted(offered, key=lambda pair: (pair[1].order, pair[1].label)):
        if not auth.can(user, item.permission):
            continue
        try:
            url = url_for(item.endpoint)
        except Exception as exc:
            plugins.note_hook_error(plugin, f"navigation entry {item.label!r}", exc)
            continue
        links.append(NavLink(item.label, url, False, item.quick))
    return _mark_current(links)


def _mark_current(links: list[NavLink]) -> list[NavLink]:
    # A page can lie under two entries (/foodbank/quick under /foodbank/): only the
    # most specific is the current page, so one link says so and the menu can name it.
    here = max(
        (link for link in links if _is_under(link.url)),
        key=lambda link: len(link.url),
        default=None,
    )
    return [replace(link, current=True) if link is here else link for link in links]


def _is_under(url: str) -> bool:
    if url == "/":
        return request.path == "/"
    return request.path == url or request.path.startswith(url.rstrip("/") + "/")
