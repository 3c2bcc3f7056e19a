"""The one list of incident categories (警情类别), shared by the duty room's incident log and the
police's incident bulletins (警情通报), so that statistics from both read the same way.

Categories follow what campus police and 110 logs record most often; ``type_label`` on each
record keeps the type exactly as the source wrote it.
"""

import functools

from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentCategory(models.TextChoices):
    THEFT = "theft", _("Theft")  # 盗窃
    BURGLARY = "burglary", _("Burglary")  # 入室盗窃
    FRAUD = "fraud", _("Fraud")  # 诈骗
    ASSAULT = "assault", _("Fight or assault")  # 打架斗殴 / 伤害
    HARASSMENT = "harassment", _("Harassment or threat")  # 骚扰 / 威胁
    VANDALISM = "vandalism", _("Damage to property")  # 毁坏财物
    TRESPASS = "trespass", _("Trespass or intruder")  # 非法闯入
    FIRE = "fire", _("Fire or fire alarm")  # 火情 / 火警
    MEDICAL = "medical", _("Injury or illness")  # 伤病 / 急救
    TRAFFIC = "traffic", _("Traffic accident or offence")  # 交通事故 / 违法
    DRUGS_ALCOHOL = "drugs_alcohol", _("Drugs or alcohol")  # 涉毒 / 醉酒
    LOST_PROPERTY = "lost_property", _("Lost or found property")  # 失物招领
    DISTURBANCE = "disturbance", _("Disturbance or suspicious person")  # 扰序 / 可疑人员
    ASSISTANCE = "assistance", _("Assistance or service call")  # 求助
    OTHER = "other", _("Other")  # 其他


# --- suggesting a category for a type as recorded ------------------------------------------
#: Keywords that suggest a category for a type as recorded, tried in this order (the first
#: that matches wins, so "Identity Theft" is fraud and "Theft from Auto" theft). English
#: words are matched whole; Chinese ones anywhere in the text (see
#: :func:`safecampus.core.importing.keyword_patterns`).
CATEGORY_KEYWORDS: tuple[tuple[str, str], ...] = (
    (IncidentCategory.FRAUD, r"fraud|identity theft|deceptive|forgery|credit/debit card|"
                             r"bad checks?|extortion|scam|swindl\w*|impersonation|诈骗|电诈|冒充|"
                             r"刷单|骗"),
    (IncidentCategory.BURGLARY, r"burglar\w*|break[- ]?in|入室|撬"),
    (IncidentCategory.THEFT, r"theft|larceny|stolen|shoplift\w*|robbery|carjacking|steal\w*|"
                             r"盗|偷|扒窃|抢"),
    (IncidentCategory.DRUGS_ALCOHOL, r"dwi|dui|cds|dre|drugs?|alcohol|liquor|cannabis|meth|"
                                     r"narcotics?|overdose|intoxicat\w*|drunk|"
                                     r"controlled substance|醉|毒|酒驾"),
    (IncidentCategory.ASSAULT, r"assault|battery|fight\w*|homicide|rape|sex offense|fondling|"
                               r"strangulation|domestic|打架|斗殴|殴打|伤害"),
    (IncidentCategory.HARASSMENT, r"harass\w*|stalk\w*|threat\w*|intimidat\w*|hate|peeping|"
                                  r"indecent|exposure|lewd\w*|obscene|pornography|misuse|"
                                  r"menacing|骚扰|威胁|恐吓"),
    (IncidentCategory.VANDALISM, r"vandal\w*|damage\w*|destruction|mischief|defac\w*|"
                                 r"tamper\w*|graffiti|毁|损坏|破坏"),
    (IncidentCategory.TRESPASS, r"trespass\w*|intruder|unauthori[sz]ed entry|闯入|翻墙|擅闯"),
    (IncidentCategory.FIRE, r"fire|alarm|arson|smoke|fireworks|火|烟感|报警器"),
    (IncidentCategory.TRAFFIC, r"traffic|accident|pedestrian|speeding|vehicular|parking|lane|"
                               r"headlights?|taillights?|drivers?|licen[cs]e|交通|车祸|违停|剐蹭"),
    (IncidentCategory.MEDICAL, r"injured|injury|sick|medical|ill|emergency petition|suicide|"
                               r"death|伤|病|急救|晕倒"),
    (IncidentCategory.LOST_PROPERTY, r"lost|found|recovered|mislaid|失物|遗失|丢失|招领|拾"),
    (IncidentCategory.DISTURBANCE, r"disorderly|suspicious|noise|disturb\w*|mob|urination|"
                                   r"curfew|juvenile|reckless|可疑|扰|喧哗|闹事"),
    (IncidentCategory.ASSISTANCE, r"assist\w*|service|welfare|information|missing|animal|"
                                  r"求助|协助|帮助|走失"),
)


@functools.cache
def _category_patterns():
    from .importing import keyword_patterns

    return keyword_patterns(CATEGORY_KEYWORDS)


def labels_index(choices) -> dict[str, str]:
    """``choices`` (``(value, label)`` pairs) as folded text → value: the code and the label
    in English and in Chinese each name the value (``"Theft"``, ``"盗窃"``, ``"theft"``)."""
    from django.utils import translation

    from .spreadsheets import fold_key

    index = {}
    for value, label in choices:
        index[fold_key(value)] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                index.setdefault(fold_key(str(label)), value)
    return index


def suggest_choice(text: str, choices, patterns) -> str | None:
    """The value of ``choices`` that ``text`` names (code or label, English or Chinese), else
    the first of the compiled keyword ``patterns`` found in it
    (:func:`~safecampus.core.importing.keyword_match`), else None."""
    from .importing import keyword_match
    from .spreadsheets import fold_key

    index = labels_index(choices)
    if fold_key(text) in index:
        return str(index[fold_key(text)])
    return keyword_match(text, patterns)


def suggest_category(type_label: str) -> str | None:
    """Our category for a type as recorded (``Theft`` → theft, ``诈骗`` → fraud, ``DWI/DUI``
    → drugs_alcohol), or None when no keyword matches (an import form then offers "other")."""
    return suggest_choice(type_label, IncidentCategory.choices, _category_patterns())
