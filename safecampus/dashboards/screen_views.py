"""The big screen (大屏) of a wall display: no sign-in, a read-only token in the address.

``/screen/<token>/`` is the page, ``/screen/<token>/data/`` the fragment it fetches every
60 seconds (htmx), ``/screen/<token>/map/`` the campus map image. The token opens these three
and nothing else: no session is created, no user is signed in, every other page still asks
for a sign-in. An unknown or revoked token gets a 403 page saying whom to ask.
"""

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from safecampus.core import clock
from safecampus.core.charts import CHART_FONT

from . import services
from .cockpit import SystemViewer, cockpit_figures, cockpit_tables
from .cockpit_views import map_context
from .models import DisplayToken
from .periods import current_period
from .selectors import display_by_token

#: The screen's chosen figures, in order (big tiles).
SCREEN_TILES = ("hazards_open", "hazards_overdue", "hazards_major", "hazards_on_time_rate",
                "inspection_coverage", "patrol_completion", "incidents", "traffic_violations",
                "abandoned_vehicles", "education_activities", "concerns_received", "risk_major")
REFRESH_SECONDS = 60


def _denied(request):
    with translation.override(settings.LANGUAGE_CODE):
        return render(request, "dashboards/screen_denied.html", status=403)


def _trend_option(metric: dict, colour: str) -> dict:
    return {
        "textStyle": {"fontFamily": CHART_FONT, "color": "#dee2e6", "fontSize": 18},
        "grid": {"left": 8, "right": 16, "top": 16, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": [f"{d:%m}" for d, _v in metric["trend"]],
                  "axisLabel": {"color": "#adb5bd", "fontSize": 20}},
        "yAxis": {"type": "value", "minInterval": 1,
                  "axisLabel": {"color": "#adb5bd", "fontSize": 20},
                  "splitLine": {"lineStyle": {"color": "#343a40"}}},
        "series": [{"type": "bar", "data": [v for _d, v in metric["trend"]],
                    "itemStyle": {"color": colour}, "barMaxWidth": 28}],
        "animation": False,
    }


def _screen_context(request, display: DisplayToken, token: str) -> dict:
    period = current_period()
    campus_id = display.campus_id
    figures = cockpit_figures(user=None, period=period, campus_id=campus_id)
    metrics = figures["metrics"]
    charts = {}
    if "hazards_reported" in metrics:
        charts["reported"] = _trend_option(metrics["hazards_reported"], "#4dabf7")
    if "incidents" in metrics:
        charts["incidents"] = _trend_option(metrics["incidents"], "#b197fc")
    context = {
        "display": display, "token": token, "figures": figures, "period": period,
        "tiles": [metrics[k] for k in SCREEN_TILES if k in metrics],
        # figures only (a token page): counts per unit, never a hazard's title
        "units": cockpit_tables(user=None, period=period, campus_id=campus_id)["units"],
        "charts": charts, "now": clock.now(), "refresh": REFRESH_SECONDS,
        "data_url": reverse("dashboards:screen_data", args=[token]),
    }
    campus = display.campus
    if campus is not None and campus.map_image:
        context["map"] = map_context(SystemViewer(), campus, layer="hazards", mode="heat", period=period,
                                     image_url=reverse("dashboards:screen_map", args=[token]))
    return context


def _render_screen(request, token: str, template: str):
    """The page and its fragment alike: the display of ``token`` (else the 403 page), its
    last-seen time recorded, ``template`` rendered in Chinese with :func:`_screen_context`."""
    display = display_by_token(token)
    if display is None:
        return _denied(request)
    services.display_seen(display=display)
    with translation.override(settings.LANGUAGE_CODE):
        return render(request, template, _screen_context(request, display, token))


@never_cache
@require_GET
def screen(request, token: str):
    """The whole big screen (1920×1080, dark, large type), in Chinese."""
    return _render_screen(request, token, "dashboards/screen.html")


@never_cache
@require_GET
def screen_data(request, token: str):
    """The screen's figures, charts and map as a fragment (what htmx swaps in every 60 s)."""
    return _render_screen(request, token, "dashboards/_screen_data.html")


@require_GET
def screen_map(request, token: str):
    """The display's campus map image (media files are not public)."""
    display = display_by_token(token)
    if display is None:
        return _denied(request)
    campus = display.campus
    if campus is None or not campus.map_image:
        raise Http404
    response = FileResponse(campus.map_image.open("rb"))
    response["Cache-Control"] = "private, max-age=86400"
    return response
