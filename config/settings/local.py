"""Settings for `make demo` and local development.

The demo runs with DEBUG off so that a newcomer sees the real error pages; static files are
served by WhiteNoise straight from the app folders. Set DEBUG=1 for Django's debug pages.
"""

from config import env

from .base import *  # noqa: F403

DEBUG = env.get_bool("DEBUG", False)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
