"""The demo's notification channels: how the group robot page and quiet hours look.

- **One WeCom group robot**, "保卫处值班群", added by the office head through the robot
  service but **inactive** (its address is an example, ``key=<demo>``: nothing is posted),
  topics major hazards and warnings, so the robot page and the delivery log show a robot.
- **Quiet hours 22:00–07:00** for the demo student ``student``: e-mails and text messages
  wait until 07:00; urgent ones go at once.

Same interface as the other demo areas: ``events()`` (none; written after the replay),
``backdate()`` writes everything, ``counts`` goes into the summary.
"""

import datetime as dt
import random

from safecampus.accounts.models import User
from safecampus.notifications import services
from safecampus.notifications.models import GroupRobot

OFFICE_ADMIN = "office_head"
STUDENT = "student"
ROBOT_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=<demo>"


class ChannelDemo:
    def __init__(self, rng: random.Random, world, now: dt.datetime):
        self.rng, self.world, self.now = rng, world, now
        self.counts: dict[str, int] = {}

    def events(self) -> list:
        return []

    def backdate(self) -> None:
        office = User.objects.get(username=OFFICE_ADMIN)
        services.robot_save(actor=office, name="保卫处值班群", kind=GroupRobot.Kind.WECOM,
                            webhook_url=ROBOT_URL, topics=[GroupRobot.Topic.HAZARDS,
                                                           GroupRobot.Topic.ALERTS],
                            active=False)
        student = User.objects.filter(username=STUDENT).first()
        if student is not None:
            pref = services.preference_update(
                user=student, email_enabled=True, sms_enabled=False, digest=False,
                quiet_start=dt.time(22), quiet_end=dt.time(7), phone=student.phone or "")
            self.counts["quiet_hours"] = int(pref.quiet_start is not None)
        self.counts["robots"] = GroupRobot.objects.count()
