"""PDF documents from HTML templates with WeasyPrint and an embedded CJK font.

The font is, in order: ``settings.PDF_FONT_PATH``; a Noto/Source Han CJK font installed on
the system (Debian: fonts-noto-cjk); else :class:`PdfFontMissing` is raised so that a
notice is never printed with empty boxes instead of Chinese.
"""

import functools
import subprocess
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

_CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
]


class PdfFontMissing(RuntimeError):
    """No CJK font could be found; install fonts-noto-cjk or set SAFECAMPUS_PDF_FONT."""


@functools.cache
def cjk_font_path() -> Path:
    """Path of the CJK font file PDFs embed (see module docstring for the search order)."""
    configured = getattr(settings, "PDF_FONT_PATH", "")
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise PdfFontMissing(f"SAFECAMPUS_PDF_FONT={configured} is not a file")
        return path
    for candidate in _CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", "sans-serif:lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        found = ""
    if found and Path(found).is_file():
        return Path(found)
    raise PdfFontMissing("no CJK font found; install fonts-noto-cjk or set SAFECAMPUS_PDF_FONT")


def font_face_css() -> str:
    """An @font-face rule naming the CJK font ``SafeCampusCJK`` for PDF stylesheets."""
    return (
        "@font-face { font-family: 'SafeCampusCJK'; "
        f"src: url('{cjk_font_path().as_uri()}'); }}"
    )


def render_pdf(template_name: str, context: dict, *, base_url: str | None = None) -> bytes:
    """Render ``template_name`` with ``context`` and return PDF bytes (A4 set by the template).

    The template receives ``font_face_css``; its stylesheet must use
    ``font-family: SafeCampusCJK`` on both ``body`` and ``@page``.
    """
    from weasyprint import HTML  # imported lazily: heavy, and only needed for PDFs

    html = render_to_string(template_name, {**context, "font_face_css": font_face_css()})
    return HTML(string=html, base_url=base_url or str(settings.BASE_DIR)).write_pdf()
