"""The finish-and-sign form marks what an office inspection needs before it can be submitted."""

import pytest
from django.urls import reverse

from safecampus.inspections import services

from .helpers import login, published_checklist

pytestmark = pytest.mark.django_db


def test_the_unit_representative_is_marked_required_on_an_office_inspection(org, client):
    # given an office inspection in progress
    version = published_checklist(org.users.admin, category_id=org.fire.pk, items=2)
    inspection = services.inspection_start(actor=org.users.staff, place_id=org.place_a.pk,
                                           template_id=version.template_id)
    login(client, org.users.staff)
    # when the inspector opens "Finish and sign"
    response = client.get(reverse("inspections:submit", args=[inspection.pk]))
    form = response.context["form"]
    html = response.content.decode()
    # then the representative's name is required (the star, and the browser asks for it),
    # as the signature is; the remarks stay optional
    assert form.fields["signer_name"].required is True
    assert form.fields["summary"].required is False
    label = html.split('for="id_signer_name"', 1)[1].split("</label>", 1)[0]
    assert '<span class="text-danger">*</span>' in label
    name_input = html.split('name="signer_name"', 1)[1].split(">", 1)[0]
    assert " required" in name_input
    signature = html.split('for="signature-pad"', 1)[1].split("</label>", 1)[0]
    assert '<span class="text-danger">*</span>' in signature
    summary = html.split('for="id_summary"', 1)[1].split("</label>", 1)[0]
    assert "text-danger" not in summary
