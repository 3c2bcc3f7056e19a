"""The demo's wall display (大屏): one display for the whole university, made through the
real service by the office head after the replay, with the fixed :data:`DEMO_TOKEN` (for the
demo only, so that anyone trying the big screen has its address; a real token is random
and shown once). ``demo_accounts`` prints the address while the link is live (:mod:`.links`);
``counts`` goes into the summary.
"""

from django.urls import reverse

from safecampus.accounts.models import User
from safecampus.dashboards import services

#: The demo display's token (demo data only).
DEMO_TOKEN = "demo-dapin-quanxiao-7f3a9c1e5b2d4f6a8c0e2b4d6f8a1c3e"
DISPLAY_NAME = "保卫处值班室大屏（全校）"
HEAD = "office_head"


class CockpitDemo:
    def __init__(self):
        self.counts = {"displays": 0, "screen_path": ""}

    def run(self) -> dict:
        head = User.objects.get(username=HEAD)
        _display, token = services.display_token_create(actor=head, name=DISPLAY_NAME,
                                                        token=DEMO_TOKEN)
        self.counts["displays"] = 1
        self.counts["screen_path"] = reverse("dashboards:screen", args=[token])
        return self.counts
