"""The project's URLs plus media files, for browser tests that show uploaded campus maps
(the live server runs with DEBUG off, so config.urls does not serve media)."""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from config.urls import urlpatterns as project_urlpatterns


def media(request, path):
    # MEDIA_ROOT is read per request: each test has its own (see the root conftest).
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [*project_urlpatterns, re_path(r"^media/(?P<path>.*)$", media)]
