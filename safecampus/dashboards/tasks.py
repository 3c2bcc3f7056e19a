"""Background work of the dashboards: keep the whole-university figures fresh."""

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .services import university_figures_refresh


@db_periodic_task(crontab(minute=f"*/{settings.SAFECAMPUS['DASHBOARD_REFRESH_MINUTES']}"))
@lock_task("dashboards-university-figures")
def refresh_university_figures() -> int:
    return university_figures_refresh()
