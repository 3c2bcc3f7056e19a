"""Template tags of the quizzes area: the hub card's figures."""

from django import template

from ..selectors import quizzes as selectors

register = template.Library()


@register.simple_tag
def quizzes_card(user) -> dict:
    """``open``: open quizzes assigned to ``user`` with attempts left; ``recent``: the five
    latest quizzes (for those who see results but do not set quizzes)."""
    if not user.is_authenticated:
        return {"open": 0, "recent": []}
    recent = []
    if user.has_perm("education.view_quiz_results") and not user.has_perm(
            "education.manage_quizzes"):
        recent = list(selectors.quizzes_all()[:5])
    return {"open": selectors.my_open_quiz_count(user), "recent": recent}
