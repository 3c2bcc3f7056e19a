"""Request middleware shared by every page."""

from django.conf import settings
from django.utils import translation


class ChineseFirstLocaleMiddleware:
    """Choose the language of a request, Chinese first.

    Pages: the language the user chose (the cookie set by /i18n/setlang/), else
    ``settings.LANGUAGE_CODE`` (zh-hans) — not the browser's Accept-Language, so that a campus
    computer with an English browser still opens in Chinese; English is one tap away.
    The REST API (/api/…): the cookie, then the client's Accept-Language, then zh-hans, since a
    program states the language it wants.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            language = translation.get_language_from_request(request)
        else:
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        # override() restores the thread's previous language afterwards, so one request's
        # choice never leaks into the next piece of work on the same thread.
        with translation.override(language):
            request.LANGUAGE_CODE = translation.get_language()
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
