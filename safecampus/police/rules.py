"""Police cooperation and risk register permissions as domain verbs (house rule 6).

The office runs the workspace; leadership reads it. A police liaison (联络民警) speaks for one
partner (:class:`~safecampus.police.models.PartnerLiaison`): they draft, import and publish
their partner's bulletins, read published bulletins, the meetings their partner takes part
in and the risk points the office shares with partners on the campuses they serve, and
update the actions their partner owns. They see no hazard the police did not raise (the
hazards module's rule) and no person's contact details.
"""

import rules

from safecampus.accounts.models import Role
from safecampus.accounts.predicates import has_unit_role, is_leadership, is_office, is_office_admin


def liaison_partner_id(user) -> int | None:
    """The partner an active liaison speaks for (one query, then cached on the user)."""
    if not user.is_authenticated or Role.POLICE_LIAISON not in user.scope.roles:
        return None
    cached = getattr(user, "_police_partner_id", False)
    if cached is False:
        from .models import PartnerLiaison

        cached = (PartnerLiaison.objects.filter(user=user, is_active=True,
                                                partner__is_active=True)
                  .values_list("partner_id", flat=True).first())
        user._police_partner_id = cached
    return cached


@rules.predicate
def is_liaison(user) -> bool:
    """A police liaison speaking for an active partner."""
    return liaison_partner_id(user) is not None


@rules.predicate
def speaks_for_bulletin(user, bulletin) -> bool:
    return bulletin is not None and liaison_partner_id(user) == bulletin.partner_id


@rules.predicate
def bulletin_is_draft(user, bulletin) -> bool:
    return bulletin is not None and bulletin.state == "draft"


@rules.predicate
def bulletin_is_published(user, bulletin) -> bool:
    return bulletin is not None and bulletin.state == "published"


@rules.predicate
def partner_at_meeting(user, meeting) -> bool:
    partner_id = liaison_partner_id(user)
    return (meeting is not None and partner_id is not None
            and meeting.partners.filter(pk=partner_id).exists())


@rules.predicate
def owns_action(user, action) -> bool:
    """The action's responsible person, a liaison of its responsible partner, or a safety
    contact or leader of its responsible unit."""
    if action is None or not user.is_authenticated:
        return False
    if action.owner_id == user.pk:
        return True
    if action.owner_partner_id and liaison_partner_id(user) == action.owner_partner_id:
        return True
    return bool(action.owner_unit_id) and user.scope.acts_for_unit(action.owner_unit_id)


@rules.predicate
def sees_action_meeting(user, action) -> bool:
    return action is not None and partner_at_meeting(user, action.meeting)


@rules.predicate
def liaison_sees_risk_point(user, point) -> bool:
    """Shared with partners, published, on a campus the liaison serves."""
    return (point is not None and point.shared_with_partners and point.state == "published"
            and is_liaison(user) and point.campus_id in user.scope.campus_ids)


@rules.predicate
def answers_for_risk_point(user, point) -> bool:
    """The point's responsible person or a safety contact/leader of its responsible unit."""
    return point is not None and user.is_authenticated and (
        point.responsible_person_id == user.pk
        or user.scope.acts_for_unit(point.responsible_unit_id))


# Partners and liaisons
rules.add_perm("police.view_partners", is_office | is_leadership | is_liaison)
rules.add_perm("police.manage_partners", is_office_admin)
# Bulletins and their records
rules.add_perm("police.draft_bulletin", is_office | is_liaison)
rules.add_perm("police.view_bulletins", is_office | is_leadership | is_liaison)
rules.add_perm("police.view_bulletin", is_office | is_leadership | speaks_for_bulletin
               | (is_liaison & bulletin_is_published))
rules.add_perm("police.edit_bulletin", bulletin_is_draft & (is_office | speaks_for_bulletin))
rules.add_perm("police.publish_bulletin", bulletin_is_draft & (is_office | speaks_for_bulletin))
rules.add_perm("police.withdraw_bulletin", bulletin_is_published
               & (is_office_admin | speaks_for_bulletin))
# Opening a hazard, a risk point review or a warning from a published bulletin's record.
rules.add_perm("police.act_on_record", bulletin_is_published & (is_office | speaks_for_bulletin))
rules.add_perm("police.view_bulletin_statistics", is_office | is_leadership | is_liaison)
# Joint meetings and their actions
rules.add_perm("police.view_meetings", is_office | is_leadership | is_liaison)
rules.add_perm("police.view_meeting", is_office | is_leadership | partner_at_meeting)
rules.add_perm("police.plan_meeting", is_office)
rules.add_perm("police.record_minutes", is_office)
rules.add_perm("police.view_action", is_office | is_leadership | owns_action
               | sees_action_meeting)
rules.add_perm("police.update_action", is_office | owns_action)
rules.add_perm("police.reopen_action", is_office)
rules.add_perm("police.drop_action", is_office)
rules.add_perm("police.view_my_actions", is_office | is_liaison | has_unit_role)
# Risk register and the four-colour map
rules.add_perm("police.view_risk_register", is_office | is_leadership | is_liaison
               | has_unit_role)
rules.add_perm("police.view_risk_point", is_office | is_leadership | answers_for_risk_point
               | liaison_sees_risk_point)
rules.add_perm("police.manage_risk_points", is_office)
rules.add_perm("police.assess_risk_point", is_office | answers_for_risk_point)
rules.add_perm("police.request_risk_review", is_office | is_liaison | has_unit_role)
rules.add_perm("police.view_risk_map", is_office | is_leadership | is_liaison | has_unit_role)
rules.add_perm("police.upload_campus_map", is_office_admin)
rules.add_perm("police.view_risk_overview", is_office | is_leadership)
# Phone numbers and other contact details of campus people: not for partners.
rules.add_perm("police.view_contacts", is_office | is_leadership | has_unit_role)
