"""Background delivery of notifications (huey).

``deliver``/``deliver_robot`` try one message as soon as it is queued; the periodic
``send_due`` (every minute) sends whatever is due — retries after the back-off, messages
held by quiet hours, anything queued while the consumer was down. ``send_digests`` sends
each user's daily digest once a day at 08:00 (Asia/Shanghai) or at the end of their quiet
hours.
"""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import services


@db_task()
def deliver(delivery_id: int) -> None:
    """One e-mail or SMS delivery (retries are the periodic sender's, with back-off)."""
    services.delivery_attempt(delivery_id=delivery_id)


@db_task()
def deliver_email(delivery_id: int) -> None:
    """The former name of :func:`deliver` (tasks queued before the upgrade)."""
    services.delivery_attempt(delivery_id=delivery_id)


@db_task()
def deliver_robot(message_id: int) -> None:
    services.robot_message_attempt(message_id=message_id)


@db_task()
def deliver_digest(digest_id: int) -> None:
    services.digest_attempt(digest_id=digest_id)


@db_periodic_task(crontab(minute="*"))
def send_due() -> None:
    """Every minute: e-mail, SMS, robot messages and digests that are due."""
    services.deliveries_send_due()


@db_periodic_task(crontab(minute="*/15"))
def send_digests() -> None:
    """Every 15 minutes: the daily digests whose time has come — 08:00 local
    (``DIGEST_HOUR``), or the end of the user's quiet hours when 08:00 falls inside them —
    once per user and day (a consumer that was down catches up)."""
    services.digests_send()
