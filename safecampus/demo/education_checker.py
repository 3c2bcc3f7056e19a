"""The demo's education checker area, replayed through the real services.

Same interface as :class:`~.traffic.TrafficDemo`: ``events()`` gives ``(when, callable)``
pairs for the loader's replay (each run inside :func:`clock.frozen` at its time, all before
now), ``backdate()`` runs after it, ``counts`` goes into the summary.

Sixty days ago the office seeds the default rules (version 1: evaluated on the SMS corpus,
or on the built-in examples without it, and published); a week ago it makes version 2 from
the live one, adds a rule for fake "ETC card expired" links and evaluates it (a draft
waiting to be published).
"""

import datetime as dt
import random

from django.conf import settings
from django.utils import translation

from safecampus.accounts.models import User
from safecampus.education.checker import evaluation as ev
from safecampus.education.models import FraudType
from safecampus.education.services import checker as services


class CheckerDemo:
    def __init__(self, rng: random.Random, world, now):
        self.rng = rng
        self.world = world
        self.now = now
        self.counts: dict[str, int] = {"checker_rules": 0, "checker_live_version": 0}

    def _office(self):
        return (User.objects.filter(username="office_head").first()
                or User.objects.filter(is_superuser=True).first())

    def events(self) -> list:
        return [(self.now - dt.timedelta(days=60, hours=-3), self._seed),
                (self.now - dt.timedelta(days=7, hours=-2), self._second_version)]

    def _seed(self) -> None:
        if not FraudType.objects.exists():  # the library's demo normally made them already
            from safecampus.education.services.library import fraud_types_seed

            fraud_types_seed(actor=None)
        result = services.checker_rules_seed(actor=None, note="默认规则（演示）")
        if result["version"] is not None:
            self.counts["checker_rules"] = result["rules"]
            self.counts["checker_live_version"] = result["version"]

    def _second_version(self) -> None:
        office = self._office()
        draft = services.checker_ruleset_create(actor=office, note="增加ETC失效钓鱼链接规则")
        with translation.override(settings.LANGUAGE_CODE):
            services.checker_rule_add(
                actor=office, ruleset_id=draft.pk, fraud_type_id=None,
                kind="phrase", pattern="etc卡已失效|etc认证已过期|etc账户异常|etc停用",
                weight=30, red_flag="“ETC 失效、需要重新认证”的短信链接是仿冒的钓鱼网站。",
                requires="链接\n点击\nhttp\nwww\n登录", excludes="", window=40)
        if ev.corpus_path() is not None:
            services.checker_ruleset_evaluate(actor=office, ruleset_id=draft.pk, use_corpus=True)
        else:
            services.checker_ruleset_evaluate(actor=office, ruleset_id=draft.pk,
                                              upload=ev.EXAMPLES.read_bytes(),
                                              upload_name=ev.EXAMPLES.name)
        self.counts["checker_versions"] = 2

    def backdate(self) -> None:
        return None
