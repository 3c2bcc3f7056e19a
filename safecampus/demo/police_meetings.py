"""The demo's police joint meetings and their actions, replayed through the real services.

Same interface as :class:`~.traffic.TrafficDemo`: ``events()`` gives ``(when, callable)``
pairs for the loader's replay, ``backdate()`` runs after it, ``counts`` goes into the summary.

Over the last six months: monthly university-wide joint meetings (警校联席会议) with the three
stations and the traffic brigade, and one risk assessment meeting (研判会) at 兴庆 with the
campus-protection unit. Each is planned a week ahead (open actions of earlier meetings are
carried onto its agenda by the service), held with minutes and two or three decisions on both
sides. Most actions are done — some on time, some late (after their due date), with progress
recorded on the way; one is dropped; two stay open (one overdue, one not yet due). A joint
meeting in twelve days is planned already, with the open actions carried over.
"""

import datetime as dt
import random

from safecampus.accounts.models import User
from safecampus.core import clock
from safecampus.organisation.models import Campus, Unit
from safecampus.police.models import Meeting, MeetingAction, Partner
from safecampus.police.services import meetings as services

OFFICE = "inspector1"
HEAD = "office_head"
JOINT_PARTNERS = ["xq-station", "cx-station", "yt-station", "traffic-brigade"]
LIAISON_OF = {"xq-station": "police_xq", "cx-station": "police_cx", "yt-station": "police_yt",
              "traffic-brigade": "police_traffic"}
# A decision: (title, side, owner unit code or partner code, days to due, outcome). Outcome:
# ("ontime", days after the meeting), ("late", days after the due date), "open", "drop".
MEETINGS = [
    # (days ago, kind, campus code or None, title, partners, agenda, decisions)
    (170, "joint", None, "警校联席会议（第一次）", JOINT_PARTNERS,
     ["通报上月校园及周边警情", "开学季交通秩序保障"],
     [("兴庆校区南门早高峰增派交警疏导", "police", "traffic-brigade", 14, ("ontime", 6)),
      ("南门外占道摊点联合清理", "campus", "logistics", 21, ("late", 9)),
      ("宿舍区电动车充电桩排查", "campus", "housing", 30, ("ontime", 20))]),
    (140, "joint", None, "警校联席会议（第二次）", JOINT_PARTNERS,
     ["电信诈骗案件通报", "新生防诈宣传安排"],
     [("创新港校区周边夜间巡逻加密", "police", "cx-station", 20, ("ontime", 12)),
      ("反诈宣传进新生班会", "campus", "students", 25, ("late", 15))]),
    (125, "assessment", "xingqing", "兴庆校区安全形势研判会", ["xq-station", "campus-protection"],
     ["兴庆校区重点部位风险研判", "实验室危化品管理情况"],
     [("化学楼危化品库视频监控补盲", "campus", "labmgmt", 30, ("ontime", 25)),
      ("校园周边出租屋清查", "police", "xq-station", 30, ("late", 6)),
      ("危化品运输车辆进校路线调整", "campus", "transport", 20, "drop")]),
    (110, "joint", None, "警校联席会议（第三次）", JOINT_PARTNERS,
     ["节假日安保方案", "校园周边交通隐患"],
     [("雁塔校区西门人行横道设置", "police", "traffic-brigade", 45, ("ontime", 30)),
      ("曲江校区围墙破损修复", "campus", "infra", 30, ("ontime", 18))]),
    (80, "joint", None, "警校联席会议（第四次）", JOINT_PARTNERS,
     ["寒假留校学生安全", "上次决定事项督办"],
     [("留校学生宿舍夜间巡查", "campus", "housing", 20, ("ontime", 10)),
      ("雁塔校区周边网吧巡查", "police", "yt-station", 25, ("late", 12))]),
    (50, "joint", None, "警校联席会议（第五次）", JOINT_PARTNERS,
     ["春季开学安保", "电动自行车管理"],
     [("电动自行车违规停放联合整治", "campus", "logistics", 30, "open"),
      ("兴庆校区北门监控联网公安平台", "police", "xq-station", 25, ("ontime", 20))]),
    (20, "joint", None, "警校联席会议（第六次）", JOINT_PARTNERS,
     ["上月警情分析", "大型活动安保预案"],
     [("校园马拉松交通管制方案", "police", "traffic-brigade", 30, "open"),
      ("毕业季大型活动安保预案", "campus", "students", 15, ("ontime", 8))]),
]


class MeetingDemo:
    def __init__(self, rng: random.Random, world, now):
        self.rng = rng
        self.world = world
        self.now = now
        self.zone = clock.local_zone()
        self.meetings: dict[int, Meeting] = {}
        self.counts: dict[str, int] = {}

    def start(self, days_ago: int) -> dt.datetime:
        day = (self.now - dt.timedelta(days=days_ago)).astimezone(self.zone).date()
        return dt.datetime.combine(day, dt.time(14, 30), tzinfo=self.zone)

    def events(self) -> list:
        events = []
        for n, spec in enumerate(MEETINGS):
            starts = self.start(spec[0])
            events.append((starts - dt.timedelta(days=7), lambda n=n, s=starts: self.plan(n, s)))
            events.append((starts + dt.timedelta(hours=2), lambda n=n: self.hold(n)))
            for k, decision in enumerate(spec[6]):
                outcome = decision[4]
                due = starts.date() + dt.timedelta(days=decision[3])
                if isinstance(outcome, tuple):
                    kind, days = outcome
                    done_day = (starts.date() + dt.timedelta(days=days) if kind == "ontime"
                                else due + dt.timedelta(days=days))
                    progress_day = starts.date() + dt.timedelta(days=max(2, days // 2))
                    events.append((self.at(progress_day, 10),
                                   lambda n=n, k=k: self.progress(n, k)))
                    events.append((self.at(done_day, 16), lambda n=n, k=k, late=kind == "late":
                                   self.complete(n, k, late)))
                elif outcome == "drop":
                    events.append((self.at(starts.date() + dt.timedelta(days=5), 11),
                                   lambda n=n, k=k: self.drop(n, k)))
                elif outcome == "open":
                    events.append((self.at(starts.date() + dt.timedelta(days=4), 10),
                                   lambda n=n, k=k: self.progress(n, k)))
        future = self.start(-12)
        events.append((self.now - dt.timedelta(days=5), lambda: self.plan(len(MEETINGS), future)))
        return [(when, call) for when, call in events if when < self.now]

    def at(self, day: dt.date, hour: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), tzinfo=self.zone)

    def user(self, username: str) -> User:
        return User.objects.get(username=username)

    def plan(self, n: int, starts: dt.datetime) -> None:
        if n < len(MEETINGS):
            _days, kind, campus, title, partner_codes, agenda, _d = MEETINGS[n]
        else:
            kind, campus, title = "joint", None, "警校联席会议（第七次）"
            partner_codes, agenda = JOINT_PARTNERS, ["夏季防溺水与暑期安全", "决定事项督办"]
        partners = list(Partner.objects.filter(code__in=partner_codes))
        campus_id = Campus.objects.get(code=campus).pk if campus else None
        liaisons = [self.user(LIAISON_OF[c]).pk for c in partner_codes if c in LIAISON_OF]
        people = [self.user(u).pk for u in (HEAD, OFFICE, "logistics_contact",
                                            "students_contact")]
        guests = ([services.GuestInput("李卫东", "市公安局文保支队", "副支队长")]
                  if "campus-protection" in partner_codes else [])
        self.meetings[n] = services.meeting_plan(
            actor=self.user(OFFICE), data=services.MeetingInput(
                kind=kind, title=title, starts_at=starts, campus_id=campus_id,
                location="保卫处三楼会议室" if campus is None else "兴庆校区行政楼201",
                partner_ids=[p.pk for p in partners], chair="保卫处处长",
                agenda=agenda, campus_user_ids=people, liaison_user_ids=liaisons,
                guests=guests))

    def hold(self, n: int) -> None:
        meeting = self.meetings[n]
        decisions = MEETINGS[n][6]
        starts = meeting.starts_at.astimezone(self.zone).date()
        rows = []
        for title, side, owner, days, _outcome in decisions:
            if side == "campus":
                unit = Unit.objects.get(code=owner)
                rows.append(services.ActionInput(
                    title=title, side=side, due_on=starts + dt.timedelta(days=days),
                    owner_unit_id=unit.pk,
                    owner_id=User.objects.filter(username=f"{owner}_contact")
                    .values_list("pk", flat=True).first()))
            else:
                partner = Partner.objects.get(code=owner)
                liaison = LIAISON_OF.get(owner)
                rows.append(services.ActionInput(
                    title=title, side=side, due_on=starts + dt.timedelta(days=days),
                    owner_partner_id=partner.pk,
                    owner_id=self.user(liaison).pk if liaison else None))
        attended = list(meeting.attendees.values_list("pk", flat=True))
        if len(attended) > 3:
            attended = attended[:-1]  # one apologised
        services.meeting_hold(
            actor=self.user(OFFICE), meeting_id=meeting.pk,
            minutes=f"会议由保卫处处长主持。{'；'.join(MEETINGS[n][5])}。"
                    f"与会各方通报了近期情况，形成决定事项{len(rows)}项，明确责任单位和完成时限。",
            attended_ids=attended, actions=rows)

    def _action(self, n: int, k: int) -> MeetingAction:
        return MeetingAction.objects.get(meeting=self.meetings[n], number=k + 1)

    def _owner(self, action: MeetingAction) -> User:
        return action.owner or self.user(OFFICE)

    def progress(self, n: int, k: int) -> None:
        action = self._action(n, k)
        services.action_progress(actor=self._owner(action), action_id=action.pk,
                                 progress="已部署落实，正在推进中。")

    def complete(self, n: int, k: int, late: bool) -> None:
        action = self._action(n, k)
        note = "已完成，逾期原因：需协调多个部门。" if late else "已按期完成并现场核实。"
        services.action_complete(actor=self._owner(action), action_id=action.pk, note=note)

    def drop(self, n: int, k: int) -> None:
        action = self._action(n, k)
        services.action_drop(actor=self.user(HEAD), action_id=action.pk,
                             reason="经研判路线调整不具备条件，改由交警部门统一管控。")

    def backdate(self) -> None:
        self.counts = {
            "meetings": Meeting.objects.count(),
            "meetings_planned": Meeting.objects.filter(state=Meeting.State.PLANNED).count(),
            "actions": MeetingAction.objects.count(),
            "actions_open": MeetingAction.objects.filter(state=MeetingAction.State.OPEN).count(),
        }
