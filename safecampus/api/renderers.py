"""Renderers for non-JSON API responses."""

import json

from rest_framework.renderers import BaseRenderer


class PdfRenderer(BaseRenderer):
    """Lets a client ask for ``Accept: application/pdf``.

    The view returns the PDF bytes itself; this renderer only runs for error bodies (403,
    404 …), which it writes as JSON with a JSON content type rather than as a broken PDF.
    """

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return json.dumps(data, ensure_ascii=False).encode("utf-8")
