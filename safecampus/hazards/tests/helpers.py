"""Walk a hazard through the loop with the real services (tests only)."""

from safecampus.hazards import services
from safecampus.tests.factories import photo_upload


def fresh(hazard):
    return type(hazard).objects.get(pk=hazard.pk)


def reported(org, **kwargs):
    kwargs.setdefault("reporter", org.users.student)
    kwargs.setdefault("title", "灭火器过期")
    kwargs.setdefault("category_id", org.fire.pk)
    kwargs.setdefault("place_id", org.place_a.pk)
    return services.hazard_report(**kwargs)


def confirmed(org, **kwargs):
    h = reported(org, **kwargs)
    return services.hazard_confirm(actor=org.users.staff, hazard_id=h.pk)


def noticed(org, **kwargs):
    h = confirmed(org, **kwargs)
    notice = services.notice_issue(actor=org.users.staff, hazard_ids=[h.pk],
                                   requirements="立即更换", deadline_days=7)
    return fresh(h), notice


def acknowledged(org, **kwargs):
    h, notice = noticed(org, **kwargs)
    services.notice_acknowledge(actor=org.users.contact_a, notice_id=notice.pk)
    return fresh(h), notice


def rectifying(org, **kwargs):
    h, notice = acknowledged(org, **kwargs)
    return services.hazard_start_rectification(actor=org.users.contact_a, hazard_id=h.pk), notice


def submitted(org, **kwargs):
    h, notice = rectifying(org, **kwargs)
    services.evidence_submit(actor=org.users.contact_a, hazard_id=h.pk, text="已更换",
                             photos=[photo_upload()])
    return fresh(h), notice
