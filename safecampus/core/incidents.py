"""The one list of incident categories (警情类别), shared by the duty room's incident log and the
police's incident bulletins (警情通报), so that statistics from both read the same way.

Categories follow what campus police and 110 logs record most often; ``type_label`` on each
record keeps the type exactly as the source wrote it.
"""

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
