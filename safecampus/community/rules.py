"""Community voice permissions as domain verbs (house rule 6).

- Concerns: everyone signed in submits and reads the public board; the submitter follows,
  rates and (once) reopens their own; the office triages, moderates and publishes; a unit
  asked to carry out a planned concern sees it; leadership reads everything.
- Services: safety contacts and leaders book for their unit and rate what was delivered;
  the office decides, schedules and delivers; staff (guards too) see the bookings they
  are assigned to, in the list and the calendar.
- Surveys: the office writes and sends them; people in the audience answer once; the
  office and leadership read results.
- Open311 keys: office administrators issue and revoke them.
"""

import rules
from django.conf import settings

from safecampus.accounts.predicates import (
    has_unit_role,
    is_leadership,
    is_office,
    is_office_admin,
    is_signed_in,
)
from safecampus.core import clock


# --- concerns -------------------------------------------------------------------------------
@rules.predicate
def submitted_concern(user, concern) -> bool:
    return concern is not None and user.is_authenticated and concern.submitter_id == user.pk


@rules.predicate
def handles_concern(user, concern) -> bool:
    """A safety contact or leader of the unit asked to carry out the planned work."""
    return concern is not None and user.is_authenticated and user.scope.acts_for_unit(
        concern.handling_unit_id)


@rules.predicate
def concern_on_board(user, concern) -> bool:
    return concern is not None and concern.is_public


@rules.predicate
def concern_closed_unrated(user, concern) -> bool:
    return concern is not None and concern.state == "closed" and concern.rating is None


@rules.predicate
def concern_reopenable(user, concern) -> bool:
    """Closed, not reopened before, and closed less than CONCERN_REOPEN_DAYS days ago."""
    if concern is None or concern.state != "closed" or concern.reopen_count >= 1:
        return False
    if concern.closed_at is None:
        return False
    days = settings.SAFECAMPUS["CONCERN_REOPEN_DAYS"]
    return (clock.now() - concern.closed_at).total_seconds() < days * 86400


rules.add_perm("community.submit_concern", is_signed_in)
rules.add_perm("community.view_board", is_signed_in)
rules.add_perm("community.view_concern", is_office | is_leadership | submitted_concern
               | handles_concern | concern_on_board)
rules.add_perm("community.view_concern_queue", is_office | is_leadership)
rules.add_perm("community.triage_concern", is_office)
rules.add_perm("community.moderate_concern", is_office)
rules.add_perm("community.publish_concern", is_office)
rules.add_perm("community.rate_concern", submitted_concern & concern_closed_unrated)
rules.add_perm("community.reopen_concern", submitted_concern & concern_reopenable)
# Who submitted a concern and how to reach them (never for anonymous ones; see selectors).
rules.add_perm("community.view_concern_contact", is_office)
rules.add_perm("community.view_concern_reports", is_office | is_leadership)


# --- services -------------------------------------------------------------------------------
@rules.predicate
def books_for_unit(user, request) -> bool:
    """A safety contact or leader of the requesting unit, or the person who booked."""
    return request is not None and user.is_authenticated and (
        request.requested_by_id == user.pk or user.scope.acts_for_unit(request.unit_id))


@rules.predicate
def assigned_to_request(user, request) -> bool:
    return request is not None and user.is_authenticated and request.assignments.filter(
        user=user).exists()


@rules.predicate
def is_service_staff(user) -> bool:
    """Someone the office can assign to deliver services (office staff and guards): they
    see the calendar and the list with the bookings they are assigned to."""
    from .services.bookings import STAFF_ROLES

    return user.is_authenticated and bool(user.scope.roles & STAFF_ROLES)


@rules.predicate
def request_delivered_unrated(user, request) -> bool:
    return request is not None and request.state == "delivered" and request.rating is None


@rules.predicate
def request_cancellable(user, request) -> bool:
    return request is not None and request.state in ("submitted", "accepted")


rules.add_perm("community.view_catalogue", is_signed_in)
rules.add_perm("community.book_service", has_unit_role)
rules.add_perm("community.view_service_requests", is_office | is_leadership | has_unit_role
               | is_service_staff)
rules.add_perm("community.view_service_request", is_office | is_leadership | books_for_unit
               | assigned_to_request)
rules.add_perm("community.decide_service_request", is_office)
rules.add_perm("community.deliver_service_request", is_office)
rules.add_perm("community.cancel_service_request", request_cancellable
               & (is_office | books_for_unit))
rules.add_perm("community.rate_service_request", books_for_unit & request_delivered_unrated)
rules.add_perm("community.view_service_calendar", is_office | is_leadership | is_service_staff)
rules.add_perm("community.view_service_reports", is_office | is_leadership)
rules.add_perm("community.manage_catalogue", is_office_admin)


# --- surveys --------------------------------------------------------------------------------
rules.add_perm("community.manage_surveys", is_office)
rules.add_perm("community.view_survey_results", is_office | is_leadership)
rules.add_perm("community.answer_surveys", is_signed_in)

# --- Open311 --------------------------------------------------------------------------------
rules.add_perm("community.manage_open311_clients", is_office_admin)

# The community hub: everyone signed in has something there.
rules.add_perm("community.view_hub", is_signed_in)
