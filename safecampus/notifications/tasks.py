"""Background delivery of notifications (huey)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .models import Delivery
from .services import delivery_attempt_email


@db_task(retries=2, retry_delay=60)
def deliver_email(delivery_id: int) -> None:
    delivery = delivery_attempt_email(delivery_id=delivery_id)
    if delivery.state == Delivery.State.PENDING:
        raise RuntimeError(delivery.last_error or "e-mail not sent yet")  # huey retries


@db_periodic_task(crontab(minute="*/15"))
def retry_pending_email() -> None:
    """Pick up e-mail deliveries left pending (e.g. the consumer was down when queued)."""
    for pk in Delivery.objects.filter(
        channel=Delivery.Channel.EMAIL, state=Delivery.State.PENDING
    ).values_list("pk", flat=True)[:500]:
        delivery_attempt_email(delivery_id=pk)
