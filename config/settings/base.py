"""Settings shared by every environment. Environment-specific files import * from here."""

from pathlib import Path

import dj_database_url
import redis
from django.utils.translation import gettext_lazy as _

from config import env

BASE_DIR: Path = env.BASE_DIR
VAR_DIR = Path(env.get("SAFECAMPUS_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env.get("SECRET_KEY", "insecure-local-development-key-change-me")
DEBUG = env.get_bool("DEBUG", False)
ALLOWED_HOSTS = env.get_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.get_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rules.apps.AutodiscoverRulesConfig",
    "django_fsm",
    "auditlog",
    "axes",
    "csp",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "huey.contrib.djhuey",
    "import_export",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_cas_ng",
    "safecampus.core",
    "safecampus.accounts",
    "safecampus.organisation",
    "safecampus.notifications",
    "safecampus.hazards",
    "safecampus.inspections",
    "safecampus.patrols",
    "safecampus.traffic",
    "safecampus.education",
    "safecampus.police",
    "safecampus.community",
    "safecampus.dashboards",
    "safecampus.reports",
    "safecampus.operations",
    "safecampus.api",
    "safecampus.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "safecampus.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "safecampus.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "safecampus" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "safecampus.core.context_processors.site",
                "safecampus.notifications.context_processors.inbox",
            ],
        },
    }
]

# Database: embedded SQLite (WAL) by default, PostgreSQL when DATABASE_URL says so.
DATABASE_URL = env.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'safecampus.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Single sign-on (CAS): only answers authenticate(ticket=…, service=…) and only when
    # CAS_SERVER_URL is set; maps the CAS person to a SafeCampus user.
    "safecampus.accounts.backends.CASBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboards:home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.get("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploads: photos from phones are large; the app enforces its own per-file limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Background work: embedded SQLite queue by default, Redis when REDIS_URL is set.
REDIS_URL = env.get("REDIS_URL")
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": env.get("HUEY_NAME", "safecampus"),
        # A pool rather than a bare URL, so that a Redis host that silently drops packets
        # cannot hang a page or a consumer while connecting.
        "connection_pool": redis.ConnectionPool.from_url(REDIS_URL, socket_connect_timeout=5),
        "immediate": env.get_bool("HUEY_IMMEDIATE", False),
        "utc": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "safecampus",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": env.get_bool("HUEY_IMMEDIATE", False),
        "utc": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

EMAIL_BACKEND = env.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Seconds an SMTP connection may take (a hung mail server must not hold a sender forever).
EMAIL_TIMEOUT = env.get_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env.get("DEFAULT_FROM_EMAIL", "safecampus@localhost")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "safecampus.core.pagination.ApiPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "safecampus.api.exceptions.exception_handler",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SafeCampus API",
    "DESCRIPTION": "平安校园综合治理平台 REST API (v1)",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "kind" or a "state"; each choice set gets its own enum name.
    "ENUM_NAME_OVERRIDES": {
        "ChecklistKindEnum": "safecampus.inspections.models.ChecklistTemplate.Kind",
        "PlanKindEnum": "safecampus.inspections.models.PlanKind",
        "PlanStateEnum": "safecampus.inspections.models.InspectionPlan.State",
        "InspectionKindEnum": "safecampus.inspections.models.Inspection.Kind",
        "InspectionStateEnum": "safecampus.inspections.models.Inspection.State",
        "NoticeStateEnum": "safecampus.hazards.models.RectificationNotice.State",
        "HazardSourceEnum": "safecampus.hazards.models.Source",
        "HazardStatusEnum": "safecampus.hazards.models.Status",
        "DutyEntryKindEnum": "safecampus.patrols.models.DutyLogEntry.Kind",
        "DutyEntryStatusEnum": "safecampus.patrols.models.DutyLogEntry.Status",
        "DutyShiftStateEnum": "safecampus.patrols.models.DutyShift.State",
        "IncidentSourceEnum": "safecampus.patrols.models.Incident.Source",
        "PatrolRoundStateEnum": "safecampus.patrols.models.PatrolRound.State",
        "VehicleKindEnum": "safecampus.traffic.models.Vehicle.Kind",
        "VehicleOwnerKindEnum": "safecampus.traffic.models.Vehicle.OwnerKind",
        "PermitKindEnum": "safecampus.traffic.models.Permit.Kind",
        "PermitStateEnum": "safecampus.traffic.models.Permit.State",
        "ViolationKindEnum": "safecampus.traffic.models.ViolationKind",
        "ViolationLevelEnum": "safecampus.traffic.models.Violation.Level",
        "ViolationStateEnum": "safecampus.traffic.models.Violation.State",
        "MoveCarNoticeChannelEnum": "safecampus.traffic.models.MoveCarNotice.Channel",
        "PolicePartnerKindEnum": "safecampus.police.models.Partner.Kind",
        "BulletinStateEnum": "safecampus.police.models.Bulletin.State",
        "BulletinProximityEnum": "safecampus.police.models.BulletinRecord.Proximity",
        "BulletinRelevanceEnum": "safecampus.police.models.BulletinRecord.Relevance",
        "MeetingKindEnum": "safecampus.police.models.Meeting.Kind",
        "MeetingStateEnum": "safecampus.police.models.Meeting.State",
        "MeetingActionStateEnum": "safecampus.police.models.MeetingAction.State",
        "MeetingSideEnum": "safecampus.police.models.Side",
        "RiskPointKindEnum": "safecampus.police.models.RiskPoint.Kind",
        "RiskPointStateEnum": "safecampus.police.models.RiskPoint.State",
        "RiskLevelEnum": "safecampus.organisation.models.RiskLevel",
        "RiskMethodEnum": "safecampus.police.models.AssessmentMethod",
        "RiskControlTierEnum": "safecampus.police.models.ControlTier",
        "RiskAssessmentReasonEnum": "safecampus.police.models.RiskAssessment.Reason",
        "ControlMeasureKindEnum": "safecampus.police.models.ControlMeasure.Kind",
    },
}

# Security headers. No inline scripts or styles anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
AXES_FAILURE_LIMIT = 10
AXES_VERBOSE = False
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # CAS tickets are not counted (accounts.backends)
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "safecampus.core.views.csrf_failure"
SESSION_COOKIE_HTTPONLY = True

# Single sign-on through CAS 2.0/3.0 (统一身份认证), on when SAFECAMPUS_CAS_SERVER_URL is set
# (e.g. https://authserver.example.edu.cn/authserver/). Local accounts keep working beside it.
CAS_SERVER_URL = env.get("SAFECAMPUS_CAS_SERVER_URL") or None
CAS_VERSION = env.get("SAFECAMPUS_CAS_VERSION", "3")  # "2" or "3"
CAS_ROOT_PROXIED_AS = env.get("SAFECAMPUS_CAS_SERVICE_ROOT") or None  # behind a proxy
CAS_CREATE_USER = False  # our backend creates and maps users itself
CAS_APPLY_ATTRIBUTES_TO_USER = False  # … and copies only name and e-mail, on creation
CAS_STORE_NEXT = False
CAS_IGNORE_REFERER = True
CAS_CHECK_NEXT = True
CAS_LOGIN_MSG = None
CAS_LOGGED_MSG = None
CAS_RETRY_LOGIN = False
CAS_LOGOUT_COMPLETELY = True
CAS_REDIRECT_URL = "/"
# The CAS attribute holding the person's id ("cas:user" = the CAS user name itself).
CAS_USERNAME_ATTRIBUTE = env.get("SAFECAMPUS_CAS_USERNAME_ATTRIBUTE", "cas:user")
SAFECAMPUS_CAS = {
    # Which SafeCampus field the CAS id is matched against: "employee_number" (学工号, as the
    # roster import fills it; case-insensitive) or "username" (exact). Administrators, and by
    # user name accounts with their own password, are only mapped when the office ticks
    # "linked to unified identity authentication" (User.cas_linked).
    "MATCH_FIELD": env.get("SAFECAMPUS_CAS_MATCH_FIELD", "employee_number"),
    # Attributes tried in order for a new account's name, e-mail and (when matching by
    # user name) staff/student number.
    "NAME_ATTRIBUTES": env.get_list("SAFECAMPUS_CAS_NAME_ATTRIBUTE", ["cn", "displayName", "name"]),
    "EMAIL_ATTRIBUTES": env.get_list("SAFECAMPUS_CAS_EMAIL_ATTRIBUTE", ["mail", "email"]),
    "NUMBER_ATTRIBUTES": env.get_list("SAFECAMPUS_CAS_NUMBER_ATTRIBUTE", ["employeeNumber"]),
    # Role of a NEW account by an attribute value, e.g. "eduPersonAffiliation" with
    # "staff:community_member,faculty:community_member"; default community_member (师生).
    # Existing users keep their roles: CAS never changes them.
    "ROLE_ATTRIBUTE": env.get("SAFECAMPUS_CAS_ROLE_ATTRIBUTE", ""),
    "ROLE_MAP": dict(item.split(":", 1) for item in env.get_list("SAFECAMPUS_CAS_ROLE_MAP", [])
                     if ":" in item),
    # Seconds to wait for the CAS server when validating a ticket.
    "TIMEOUT_SECONDS": env.get_int("SAFECAMPUS_CAS_TIMEOUT_SECONDS", 10),
    # Accept the CAS server's single-logout POST (logoutRequest). Off by default: the request
    # is not signed, so anyone who knows a service ticket could end that session.
    "SINGLE_LOGOUT": env.get_bool("SAFECAMPUS_CAS_SINGLE_LOGOUT", False),
}

# Two-factor authentication (TOTP, django-otp): optional for office staff; with
# SAFECAMPUS_OFFICE_2FA_REQUIRED office roles must set a device up at their next sign-in.
OFFICE_2FA_REQUIRED = env.get_bool("SAFECAMPUS_OFFICE_2FA_REQUIRED", False)
OTP_TOTP_ISSUER = env.get("SAFECAMPUS_OTP_ISSUER", "SafeCampus")
OTP_TOTP_THROTTLE_FACTOR = 1  # seconds, doubled after each wrong code (django-otp)
OTP_STATIC_THROTTLE_FACTOR = 1

# WeasyPrint: a CJK font for notices. SAFECAMPUS_PDF_FONT may name a .ttf/.otf/.ttc file.
PDF_FONT_PATH = env.get("SAFECAMPUS_PDF_FONT")

SAFECAMPUS = {
    # Shown on every printed notice and in the page header.
    "UNIVERSITY_NAME": env.get("SAFECAMPUS_UNIVERSITY_NAME", "西部交通大学"),
    "OFFICE_NAME": env.get("SAFECAMPUS_OFFICE_NAME", "党委保卫部（保卫处）"),
    # Python format string; placeholders: year, seq.
    "NOTICE_NUMBER_FORMAT": env.get("SAFECAMPUS_NOTICE_NUMBER_FORMAT", "保卫整改〔{year}〕第{seq:04d}号"),
    "REMINDER_HOURS_BEFORE_DEADLINE": env.get_int("SAFECAMPUS_REMINDER_HOURS", 24),
    "ESCALATE_TO_UNIT_LEADER_AFTER_DAYS": env.get_int("SAFECAMPUS_ESCALATE_UNIT_LEADER_DAYS", 1),
    "ESCALATE_TO_OFFICE_HEAD_AFTER_DAYS": env.get_int("SAFECAMPUS_ESCALATE_OFFICE_HEAD_DAYS", 3),
    "DEADLINE_SWEEP_MINUTES": env.get_int("SAFECAMPUS_DEADLINE_SWEEP_MINUTES", 10),
    "PHOTO_MAX_BYTES": env.get_int("SAFECAMPUS_PHOTO_MAX_BYTES", 15 * 1024 * 1024),
    "PHOTO_MAX_SIDE_PX": env.get_int("SAFECAMPUS_PHOTO_MAX_SIDE_PX", 2560),
    "IMPORT_MAX_BYTES": env.get_int("SAFECAMPUS_IMPORT_MAX_BYTES", 20 * 1024 * 1024),
    "DUPLICATE_RADIUS_DAYS": 30,
    # The whole university's dashboard figures are recomputed this often (minutes).
    "DASHBOARD_REFRESH_MINUTES": env.get_int("SAFECAMPUS_DASHBOARD_REFRESH_MINUTES", 5),
    # Safety work reports: a queued or running report silent this long is marked failed
    # (a worker killed mid-build, a lost task); a failed scheduled report is retried this many
    # times by the schedules' run.
    "REPORT_STUCK_MINUTES": env.get_int("SAFECAMPUS_REPORT_STUCK_MINUTES", 30),
    "REPORT_AUTO_RETRIES": env.get_int("SAFECAMPUS_REPORT_AUTO_RETRIES", 2),
    # Inspections: days between checks of a place by its risk level (四色图), when a plan
    # follows the risk level; a failed item failed again at the same place within this many
    # months is a repeat finding; rectification days when a plan gives none.
    "INSPECTION_DAYS_BY_RISK": {"major": 7, "high": 14, "moderate": 30, "low": 90, "": 90},
    "REPEAT_FINDING_MONTHS": 18,
    "INSPECTION_DEADLINE_DAYS": 7,
    # A recurring target turns "due" this many days before its due date.
    "INSPECTION_DUE_SOON_DAYS": 7,
    # Patrols: QR codes on checkpoint stickers point at this address (the site as guards'
    # phones reach it), never at the host a request happened to come from.
    "PUBLIC_URL": env.get("SAFECAMPUS_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
    # The git commit the operations page shows, for deployments that ship no .git folder.
    "COMMIT": env.get("SAFECAMPUS_COMMIT", ""),
    # A scan whose phone time is this many minutes ahead of the server is not trusted; one
    # this many hours old when it arrives is flagged (offline queues upload within hours).
    "PATROL_FUTURE_TOLERANCE_MINUTES": 5,
    "PATROL_STALE_AFTER_HOURS": 48,
    # How often the patrol sweep looks for closed windows with missed checkpoints (minutes).
    "PATROL_SWEEP_MINUTES": env.get_int("SAFECAMPUS_PATROL_SWEEP_MINUTES", 5),
    # Traffic: a move-car notice can be re-sent after this many minutes; one owner gets at most
    # this many notices a day (against abuse of the notice button).
    "MOVE_CAR_RESEND_MINUTES": env.get_int("SAFECAMPUS_MOVE_CAR_RESEND_MINUTES", 10),
    "MOVE_CAR_DAILY_CAP": env.get_int("SAFECAMPUS_MOVE_CAR_DAILY_CAP", 5),
    # Abandoned vehicles: the notice on the vehicle gives the owner this many days to move it;
    # a vehicle removed to storage may be claimed for this many days, then it is disposed of.
    "ABANDONED_NOTICE_DAYS": env.get_int("SAFECAMPUS_ABANDONED_NOTICE_DAYS", 7),
    "ABANDONED_CLAIM_DAYS": env.get_int("SAFECAMPUS_ABANDONED_CLAIM_DAYS", 90),
    # Gate records: a vehicle inside for more than this many days without an exit is an
    # abandoned-vehicle candidate.
    "GATE_LONG_STAY_DAYS": env.get_int("SAFECAMPUS_GATE_LONG_STAY_DAYS", 30),
    # Traffic duty posts: a guard may sign in this many minutes before a duty starts; a duty
    # with nobody signed in this many minutes after its start is reported unstaffed.
    "POST_SIGN_IN_EARLY_MINUTES": 15,
    "POST_UNSTAFFED_AFTER_MINUTES": env.get_int("SAFECAMPUS_POST_UNSTAFFED_AFTER_MINUTES", 5),
    # Charging points: the hazard category of a reported fault (its code).
    "CHARGING_FAULT_CATEGORY": env.get("SAFECAMPUS_CHARGING_FAULT_CATEGORY", "electrical"),
    # Fraud-risk checker: a rule set goes live only if at most this share of ordinary
    # messages reach "high risk" in its evaluation; texts longer than CHECKER_MAX_CHARS are
    # checked on their first CHECKER_MAX_CHARS characters (and the user is told so).
    "CHECKER_MAX_HIGH_FP_RATE": 0.005,
    # ... and only if that evaluation had at least this many ordinary messages.
    "CHECKER_MIN_ORDINARY": env.get_int("SAFECAMPUS_CHECKER_MIN_ORDINARY", 5000),
    "CHECKER_MAX_CHARS": env.get_int("SAFECAMPUS_CHECKER_MAX_CHARS", 20000),
    # Checks one address may make per minute (page and API; anonymous use is allowed).
    "CHECKER_CHECKS_PER_MINUTE": env.get_int("SAFECAMPUS_CHECKER_CHECKS_PER_MINUTE", 60),
    # Labelled messages (CSV label,content; 1 = spam) a rule set is evaluated against when no
    # file is uploaded; empty: the real corpus beside the project when it is there.
    "CHECKER_CORPUS_PATH": env.get("SAFECAMPUS_CHECKER_CORPUS_PATH", ""),
    # The national anti-fraud hotline the checker and warnings point to.
    "FRAUD_HOTLINE": env.get("SAFECAMPUS_FRAUD_HOTLINE", "96110"),
    # A counsellor follow-up of a police warning is due this many days after it is opened.
    "FOLLOWUP_DUE_DAYS": env.get_int("SAFECAMPUS_FOLLOWUP_DUE_DAYS", 2),
    # Risk register (安全风险分级管控). LEC: D = L × E × C is graded major from
    # RISK_LEC_BANDS["major"], high from ["high"], moderate from ["moderate"], else low
    # (lower bound included). Matrix: R = likelihood × severity (1–5 each), the same way.
    "RISK_LEC_BANDS": {"major": 320, "high": 160, "moderate": 70},
    "RISK_MATRIX_BANDS": {"major": 20, "high": 12, "moderate": 6},
    # Days between reviews of a published risk point by level (when the point sets none).
    "RISK_REVIEW_DAYS": {"major": 90, "high": 180, "moderate": 365, "low": 365},
    # Rectification days offered on a notice by the highest risk level of its hazards' places.
    "NOTICE_DAYS_BY_RISK": {"major": 3, "high": 5, "moderate": 7, "low": 7, "": 7},
    # A meeting action is reminded to its owner this many days before it is due (and once
    # when overdue).
    "MEETING_ACTION_REMIND_DAYS": env.get_int("SAFECAMPUS_MEETING_ACTION_REMIND_DAYS", 3),
    # A closed concern may be reopened once by its submitter within this many days.
    "CONCERN_REOPEN_DAYS": env.get_int("SAFECAMPUS_CONCERN_REOPEN_DAYS", 7),
    # Open311 GeoReport v2: the one jurisdiction served, and what GET requests returns when
    # asked without dates (the last N days) and at most.
    "OPEN311_JURISDICTION_ID": env.get("SAFECAMPUS_OPEN311_JURISDICTION_ID", "safecampus"),
    "OPEN311_LIST_DAYS": 90,
    "OPEN311_LIST_MAX": 1000,
    # Notification channels: group-robot webhooks and SMS time out after this many seconds
    # (a timeout is a failed attempt, retried after 1, 5 and 30 minutes).
    "WEBHOOK_TIMEOUT_SECONDS": env.get_int("SAFECAMPUS_WEBHOOK_TIMEOUT_SECONDS", 5),
    "SMS_TIMEOUT_SECONDS": env.get_int("SAFECAMPUS_SMS_TIMEOUT_SECONDS", 5),
    # A message being sent is reserved for its worker this long (longer than any timeout).
    "SEND_LEASE_SECONDS": 300,
    # Group-robot webhooks: https only and public addresses only, unless turned on here
    # (tests against a loopback server turn both on).
    "ROBOT_ALLOW_HTTP": env.get_bool("SAFECAMPUS_ROBOT_ALLOW_HTTP", False),
    "ROBOT_ALLOW_PRIVATE": env.get_bool("SAFECAMPUS_ROBOT_ALLOW_PRIVATE", False),
    # Each kind's webhook must be on its vendor's host (qyapi.weixin.qq.com, …) unless on.
    "ROBOT_ALLOW_ANY_HOST": env.get_bool("SAFECAMPUS_ROBOT_ALLOW_ANY_HOST", False),
    # SMS provider (dotted path): the logging one sends nothing; Tencent Cloud sends for real.
    "SMS_PROVIDER": env.get("SAFECAMPUS_SMS_PROVIDER",
                            "safecampus.notifications.sms.LoggingSmsProvider"),
    "TENCENT_SMS_SECRET_ID": env.get("SAFECAMPUS_TENCENT_SMS_SECRET_ID", ""),
    "TENCENT_SMS_SECRET_KEY": env.get("SAFECAMPUS_TENCENT_SMS_SECRET_KEY", ""),
    "TENCENT_SMS_APP_ID": env.get("SAFECAMPUS_TENCENT_SMS_APP_ID", ""),
    "TENCENT_SMS_SIGN": env.get("SAFECAMPUS_TENCENT_SMS_SIGN", ""),
    "TENCENT_SMS_TEMPLATE_ID": env.get("SAFECAMPUS_TENCENT_SMS_TEMPLATE_ID", ""),
    "TENCENT_SMS_REGION": env.get("SAFECAMPUS_TENCENT_SMS_REGION", "ap-guangzhou"),
    "TENCENT_SMS_ENDPOINT": env.get("SAFECAMPUS_TENCENT_SMS_ENDPOINT", "sms.tencentcloudapi.com"),
    # Characters of the title passed as the SMS template's one parameter.
    "SMS_TEMPLATE_PARAM_MAX": env.get_int("SAFECAMPUS_SMS_TEMPLATE_PARAM_MAX", 20),
    # The daily digest e-mail goes out at this local hour (Asia/Shanghai).
    "DIGEST_HOUR": 8,
    # Backups: archives go to BACKUP_DIR, the newest BACKUP_KEEP are kept; the nightly backup
    # runs at BACKUP_HOUR:30 local time unless SAFECAMPUS_BACKUP_SCHEDULE=0.
    "BACKUP_DIR": Path(env.get("SAFECAMPUS_BACKUP_DIR", str(VAR_DIR / "backups"))),
    "BACKUP_KEEP": env.get_int("SAFECAMPUS_BACKUP_KEEP", 14),
    "BACKUP_HOUR": env.get_int("SAFECAMPUS_BACKUP_HOUR", 2),
    "BACKUP_SCHEDULE": env.get_bool("SAFECAMPUS_BACKUP_SCHEDULE", True),
}

# The cache is shared by the web processes and the task consumer: Redis when configured,
# else files under var/ (the embedded default, no extra service).
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache")}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        # Refused permissions and missing pages are ordinary answers, not server problems.
        "django.request": {"level": "ERROR"},
    },
}

FORMAT_MODULE_PATH = ["safecampus.core.formats"]
_ = _  # keep gettext_lazy importable for settings that need translated labels
