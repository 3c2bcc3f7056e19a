"""The demo's roster: classes (班级), students' and staff's affiliations, counsellors.

Education coverage, targeted warnings, quiz assignments and statistics by college read the
roster, so the demo has one: for every college two year groups (2024级, 2025级) of two
classes each, :data:`CLASS_SIZE` students per class with accounts (the demo password), each
living in a dormitory building of the class's campus; the existing demo accounts
``student`` and ``student1``… join classes of 化学学院 and others, ``teacher1``… are staff;
one counsellor (辅导员, ``<college>_counsellor``) per college.
"""

import random

from safecampus.accounts.models import Affiliation, Membership, Role, User
from safecampus.organisation.models import Building, ClassGroup, Place, Unit

from . import data

YEARS = (2024, 2025)
CLASSES_PER_YEAR = 2
CLASS_SIZE = 12
#: Short names for class codes (化工2401 …); colleges not listed use their code.
CLASS_PREFIX = {"chem": "化学", "mech": "机械", "elec": "电气", "energy": "能动",
                "materials": "材料", "life": "生命", "humanities": "人文", "mgmt": "管理",
                "medical": "医学", "info": "信息"}


class RosterDemo:
    """Builds the roster once, after the world (units, buildings, people) exists."""

    def __init__(self, rng: random.Random, world):
        self.rng = rng
        self.world = world
        self.counts: dict[str, int] = {}

    def build(self) -> None:
        colleges = list(Unit.objects.filter(kind=Unit.Kind.COLLEGE).order_by("code"))
        dorms_by_campus: dict[int, list[Building]] = {}
        for building in Building.objects.filter(
                pk__in=Place.objects.filter(kind=Place.Kind.DORMITORY).values("building_id")
        ).order_by("code"):
            dorms_by_campus.setdefault(building.campus_id, []).append(building)
        home_campus = {}
        for building in Building.objects.filter(unit__in=colleges).order_by("code"):
            home_campus.setdefault(building.unit_id, building.campus_id)
        default_campus = self.world.campuses["xingqing"].pk

        classes = []
        for college in colleges:
            prefix = CLASS_PREFIX.get(college.code, college.code)
            campus_id = home_campus.get(college.pk, default_campus)
            for year in YEARS:
                for n in range(1, CLASSES_PER_YEAR + 1):
                    classes.append(ClassGroup(
                        college=college, enrolment_year=year, campus_id=campus_id,
                        code=f"{college.code}-{year % 100}{n:02d}",
                        name=f"{prefix}{year % 100}{n:02d}"))
        ClassGroup.objects.bulk_create(classes)
        classes = list(ClassGroup.objects.select_related("college").order_by("code"))

        template = User.objects.filter(username="student").values_list("password", flat=True)
        password = template.first() or ""
        names = self._names()
        users, affiliations = [], []
        for group in classes:
            dorms = dorms_by_campus.get(group.campus_id) or dorms_by_campus[default_campus]
            for i in range(1, CLASS_SIZE + 1):
                username = f"s{group.enrolment_year}{group.code.split('-')[0]}{group.code[-2:]}{i:02d}"
                users.append(User(username=username, full_name=next(names), password=password,
                                  employee_number=f"{group.enrolment_year}{len(users):06d}"))
                affiliations.append((username, group, self.rng.choice(dorms)))
        User.objects.bulk_create(users)
        by_name = {u.username: u for u in User.objects.filter(
            username__in=[u.username for u in users])}
        Membership.objects.bulk_create([Membership(user=u, role=Role.COMMUNITY_MEMBER)
                                        for u in by_name.values()])
        rows = [Affiliation(user=by_name[username], kind=Affiliation.Kind.STUDENT,
                            campus_id=group.campus_id, college=group.college,
                            enrolment_year=group.enrolment_year, class_group=group,
                            dormitory=dorm, room=f"{self.rng.randint(1, 6)}{self.rng.randint(1, 30):02d}")
                for username, group, dorm in affiliations]

        # The demo's named accounts join the roster too.
        named = {u.username: u for u in User.objects.filter(
            username__regex=r"^(student\d*|teacher\d+)$")}
        chem = [g for g in classes if g.college.code == "chem"]
        for username, user in sorted(named.items()):
            if username.startswith("teacher"):
                college = colleges[int(username[7:]) % len(colleges)]
                rows.append(Affiliation(user=user, kind=Affiliation.Kind.STAFF,
                                        college=college,
                                        campus_id=home_campus.get(college.pk, default_campus)))
                continue
            group = chem[0] if username == "student" else self.rng.choice(classes)
            dorms = dorms_by_campus.get(group.campus_id) or dorms_by_campus[default_campus]
            rows.append(Affiliation(user=user, kind=Affiliation.Kind.STUDENT,
                                    campus_id=group.campus_id, college=group.college,
                                    enrolment_year=group.enrolment_year, class_group=group,
                                    dormitory=dorms[0] if username == "student" else
                                    self.rng.choice(dorms), room="412" if username == "student"
                                    else f"{self.rng.randint(1, 6)}{self.rng.randint(1, 30):02d}"))
        Affiliation.objects.bulk_create(rows)

        counsellors = []
        for college in colleges:
            counsellors.append(User(username=f"{college.code}_counsellor", full_name=next(names),
                                    password=password,
                                    employee_number=f"C{len(counsellors) + 1:04d}"))
        User.objects.bulk_create(counsellors)
        by_name = {u.username: u for u in User.objects.filter(
            username__in=[u.username for u in counsellors])}
        Membership.objects.bulk_create([
            Membership(user=by_name[f"{college.code}_counsellor"], role=Role.COUNSELLOR,
                       unit=college) for college in colleges])
        Affiliation.objects.bulk_create([
            Affiliation(user=by_name[f"{college.code}_counsellor"], kind=Affiliation.Kind.STAFF,
                        college=college, campus_id=home_campus.get(college.pk, default_campus))
            for college in colleges])
        self.world.users += len(users) + len(counsellors)
        self.counts = {"classes": len(classes), "students": len(users) + sum(
            1 for n in named if n.startswith("student")), "counsellors": len(counsellors)}

    def _names(self):
        taken = set(User.objects.values_list("full_name", flat=True))
        while True:
            name = self.rng.choice(data.SURNAMES) + self.rng.choice(data.GIVEN)
            if len(taken) > 2000 or name not in taken:
                taken.add(name)
                yield name
