"""The demo's attendance area (签到), replayed through the real attendance services.

Same interface as :class:`~.traffic.TrafficDemo`: ``events()`` gives ``(when, callable)``
pairs for the loader's replay (each run inside :func:`clock.frozen` at its time, all before
now), ``backdate()`` runs after it, ``counts`` goes into the summary.

- **A fire-safety training** (消防安全培训, :data:`TRAINING_DAYS_AGO` days ago, 14:30–16:00,
  for 化学学院, 机械学院 and 电气学院) planned by the office with the activities service: the
  office opens sign-in a quarter of an hour before, students of the three colleges scan the
  poster's code on their phones (a share of :data:`SHARE`), a few far from the hall, one
  added by hand and a short list imported afterwards; sign-in is closed and the training
  recorded as held.
- **Today**: a second fire-safety training for 化学学院 and 信息学院 started half an hour ago
  with sign-in open, and a few students already signed in (``student`` not yet: sign in as
  them by opening the poster's code).
- **The activities area's held drills, lectures and classroom talks** (replayed before this
  area's ``backdate``): students of the groups they reached signed in by QR at the time
  (``backdate`` runs them frozen at those times, through the same service).
  ``student`` (化学学院 2024级, 东区1号学生公寓) attended the fire-safety training and the
  latest dormitory evacuation drill, so "my trainings" lists two.
"""

import datetime as dt
import random
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F

from safecampus.accounts.models import Affiliation, User
from safecampus.core import clock
from safecampus.education.models import Activity, Attendance
from safecampus.education.qr import activity_code
from safecampus.education.selectors import attendance as selectors
from safecampus.education.services import activities as activity_services
from safecampus.education.services import attendance as services
from safecampus.organisation.models import Campus, Place, Unit

OFFICE = "inspector1"
TRAINING_DAYS_AGO = 12
TRAINING_COLLEGES = ["chem", "mech", "elec"]
TODAY_COLLEGES = ["chem", "info"]
#: Share of the expected students who sign in (drawn per activity).
SHARE = (0.6, 0.9)
#: Kinds of the activities area's held activities that take attendance here.
TAKEN_KINDS = ("drill", "lecture", "classroom_talk", "training")
#: 兴庆校区 main building, where the trainings are held.
HALL = (Decimal("34.246620"), Decimal("108.983010"))
MINUTE = dt.timedelta(minutes=1)


class AttendanceDemo:
    def __init__(self, rng: random.Random, world, now):
        self.rng = rng
        self.world = world
        self.now = now
        self.zone = clock.local_zone()
        self.today = now.astimezone(self.zone).date()
        self.mine: set[int] = set()  # the activities of this area
        self.counts: dict[str, int] = {}

    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=self.zone)

    @staticmethod
    def user(username: str) -> User:
        return User.objects.get(username=username)

    def students_of(self, college_codes) -> list[User]:
        return list(User.objects.filter(
            affiliation__kind=Affiliation.Kind.STUDENT,
            affiliation__college__code__in=college_codes).order_by("username"))

    # --- plan ----------------------------------------------------------------------------------
    def events(self) -> list:
        events: list = []
        day = self.today - dt.timedelta(days=TRAINING_DAYS_AGO)
        start, end = self.at(day, 14, 30), self.at(day, 16, 0)
        holder: dict = {}
        events.append((start - dt.timedelta(days=6), lambda: holder.update(
            activity=self._create("消防安全培训", start, end, TRAINING_COLLEGES,
                                  "消防知识讲解、灭火器实操和火场逃生演示。"))))
        events.append((start - 15 * MINUTE, lambda: self._open(holder["activity"])))
        students = self.students_of(TRAINING_COLLEGES)
        chosen = [s for s in students if s.username != "student"]
        chosen = self.rng.sample(chosen, round(len(chosen) * self.rng.uniform(*SHARE)))
        chosen.append(self.user("student"))
        for person in chosen:
            when = start + dt.timedelta(seconds=self.rng.randint(-15 * 60, 20 * 60))
            far = self.rng.random() < 0.04
            events.append((when, self._sign_in(holder, person, far=far)))
        absent = [s for s in students if s not in chosen]
        if absent:
            late = absent[0]
            events.append((end + 5 * MINUTE, lambda: services.attendance_add(
                actor=self.user(OFFICE), activity_id=holder["activity"].pk,
                identifier=late.employee_number or late.username)))
        listed = absent[1:4]
        if listed:
            events.append((end + 20 * MINUTE, lambda: self._import(holder["activity"], listed)))
        events.append((end + 10 * MINUTE, lambda: services.activity_sign_in_close(
            actor=self.user(OFFICE), activity_id=holder["activity"].pk)))
        events.append((end + 40 * MINUTE, lambda: activity_services.activity_hold(
            actor=self.user(OFFICE), activity_id=holder["activity"].pk,
            audience_count=Attendance.objects.filter(activity=holder["activity"]).count(),
            summary="培训按计划完成，参训学生现场进行了灭火器实操。")))

        # Today: running now with sign-in open.
        today_start = self.now - 30 * MINUTE
        today: dict = {}
        events.append((self.now - dt.timedelta(hours=5), lambda: today.update(
            activity=self._create("消防安全培训（第二期）", today_start,
                                  today_start + dt.timedelta(hours=2), TODAY_COLLEGES,
                                  "第二期：宿舍用电安全与火灾初期处置。"))))
        events.append((today_start - 20 * MINUTE, lambda: self._open(today["activity"])))
        early = [s for s in self.students_of(TODAY_COLLEGES) if s.username != "student"]
        for n, person in enumerate(self.rng.sample(early, min(9, len(early)))):
            events.append((today_start - 10 * MINUTE + n * MINUTE,
                           self._sign_in(today, person, far=False)))
        return [(when, action) for when, action in events if when < self.now]

    # --- the events --------------------------------------------------------------------------
    def _create(self, title, start, end, colleges, description) -> Activity:
        campus = Campus.objects.get(code="xingqing")
        place = Place.objects.filter(campus=campus, code="xq-main-hall").first()
        activity = activity_services.activity_create(
            actor=self.user(OFFICE), data=activity_services.ActivityInput(
                title=title, topic="fire", kind=Activity.Kind.TRAINING, starts_at=start,
                ends_at=end, campus_id=campus.pk, place_id=place.pk if place else None,
                location="" if place else "主楼报告厅", description=description,
                college_ids=list(Unit.objects.filter(code__in=colleges)
                                 .values_list("pk", flat=True))))
        # The hall's position for the distance check (the activities form has no map).
        Activity.objects.filter(pk=activity.pk).update(latitude=HALL[0], longitude=HALL[1])
        activity.refresh_from_db()
        self.mine.add(activity.pk)
        return activity

    def _open(self, activity) -> None:
        services.activity_sign_in_open(actor=self.user(OFFICE), activity_id=activity.pk)

    def _sign_in(self, holder: dict, person: User, *, far: bool):
        def run():
            activity = holder["activity"]
            lat, lon = HALL
            if far:
                lat += Decimal("0.021")  # about 2.3 km north
            jitter = Decimal(self.rng.randint(-40, 40)) / Decimal(1_000_000)
            services.attendance_sign_in(actor=person, code=activity_code(activity),
                                        latitude=lat + jitter, longitude=lon - jitter)
        return run

    def _import(self, activity, people) -> None:
        text = "学号,姓名\n" + "".join(f"{p.employee_number or p.username},{p.full_name}\n"
                                       for p in people)
        upload = SimpleUploadedFile("签到补录名单.csv", ("\ufeff" + text).encode("utf-8"),
                                    content_type="text/csv")
        services.attendance_import(actor=self.user(OFFICE), activity_id=activity.pk,
                                   uploaded_file=upload)

    # --- after the replay ----------------------------------------------------------------------
    def backdate(self) -> None:
        """Attendance at the activities area's held activities (signed in at their times,
        through the service, frozen), then ``created_at`` of every attendance = its
        sign-in."""
        office = self.user(OFFICE)
        held = list(Activity.objects.filter(state=Activity.State.HELD, kind__in=TAKEN_KINDS,
                                            ends_at__lt=self.now)
                    .exclude(pk__in=self.mine).prefetch_related(
                        "colleges", "class_groups", "buildings").order_by("-starts_at"))
        student = self.user("student")
        drills = [a for a in held if a.kind == Activity.Kind.DRILL]
        for activity in held:
            expected = list(selectors.absentees(activity).select_related(None)
                            .values_list("user_id", flat=True))
            if not expected:
                continue
            share = self.rng.uniform(*SHARE)
            people = self.rng.sample(expected, round(len(expected) * share))
            # ``student`` attends exactly two: the training above and the latest drill.
            people = [pk for pk in people if pk != student.pk]
            if drills and activity.pk == drills[0].pk:
                people.append(student.pk)
            with clock.frozen(activity.starts_at - 15 * MINUTE):
                services.activity_sign_in_open(actor=office, activity_id=activity.pk)
            code = activity_code(activity)
            users = {u.pk: u for u in User.objects.filter(pk__in=people)}
            for pk in people:
                at = activity.starts_at + dt.timedelta(seconds=self.rng.randint(-600, 900))
                with clock.frozen(at):
                    services.attendance_sign_in(actor=users[pk], code=code)
            with clock.frozen(activity.ends_at + 10 * MINUTE):
                services.activity_sign_in_close(actor=office, activity_id=activity.pk)
        Attendance.objects.update(created_at=F("signed_in_at"))
        trainings = Activity.objects.filter(kind__in=selectors.TRAINING_KINDS)
        self.counts = {
            "attendances": Attendance.objects.count(),
            "activities_with_attendance": Activity.objects.filter(
                attendances__isnull=False).distinct().count(),
            "trainings_and_drills": trainings.count(),
            "sign_in_open": Activity.objects.filter(sign_in_open=True).count(),
        }
