"""Template helpers of the survey pages and the hub's survey card."""

from django import template

from safecampus.notifications.audiences import audience_label

from ..selectors import surveys as selectors

register = template.Library()

#: Surveys listed on the hub card (the rest behind "我的问卷").
CARD_ROWS = 5


@register.filter
def survey_audience(survey) -> str:
    """Who a survey is for, e.g. "化学学院 2024级" (translated)."""
    return audience_label(survey)


@register.filter
def survey_rate(survey) -> int | None:
    """Responses per recipient in whole percent (None before it was sent)."""
    return selectors.response_rate(survey)


@register.filter
def survey_kind(question) -> str:
    """单选题 / 多选题 / 量表题 / 填空题."""
    return selectors.kind_label(question.kind)


@register.simple_tag
def surveys_card(user) -> dict:
    """The hub card's figures: ``waiting`` (up to :data:`CARD_ROWS` surveys waiting for
    ``user``'s answer) and ``waiting_count``; for the office also ``open`` (open surveys
    with their response rates)."""
    rows = selectors.surveys_waiting(user)
    waiting = list(rows[:CARD_ROWS + 1])
    more = len(waiting) > CARD_ROWS
    card = {"waiting": waiting[:CARD_ROWS], "waiting_more": more,
            "waiting_count": rows.count() if more else len(waiting)}
    if user.has_perm("community.manage_surveys"):
        card["open"] = list(selectors.surveys_open()[:CARD_ROWS])
    return card
