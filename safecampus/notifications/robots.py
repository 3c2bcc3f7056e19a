"""Group chat robots: the webhook payload of each kind, signing, and one HTTP POST.

- WeCom (企业微信): ``{"msgtype": "markdown", "markdown": {"content": …}}``; answers
  ``{"errcode": 0, "errmsg": "ok"}``.
- DingTalk (钉钉): ``{"msgtype": "markdown", "markdown": {"title", "text"}}``; with a secret
  (加签) the URL gets ``timestamp`` (ms) and ``sign`` = base64(HMAC-SHA256(secret,
  "timestamp\\nsecret")); answers ``{"errcode": 0}``.
- Feishu (飞书): ``{"msg_type": "text", "content": {"text": …}}``; with a secret the body gets
  ``timestamp`` (s) and ``sign`` = base64(HMAC-SHA256(key="timestamp\\nsecret", msg=""));
  answers ``{"code": 0}`` (older robots ``{"StatusCode": 0}``).

:func:`robot_post` raises :class:`~safecampus.notifications.sms.DeliveryError` with the
reason ("HTTP 500", "超时（5 秒）", "errcode 93000: invalid webhook url") on any failure.

Safety: redirects are not followed; the address must be https unless
``SAFECAMPUS["ROBOT_ALLOW_HTTP"]``, and a host that resolves to a loopback, private,
link-local or otherwise non-public address is refused unless
``SAFECAMPUS["ROBOT_ALLOW_PRIVATE"]`` (both off by default; tests on loopback turn them on).
The robot's own error message is cut to :data:`MAX_ERRMSG` characters.
"""

import base64
import hashlib
import hmac
import ipaddress
import json
import re
import socket
import time
from urllib.parse import parse_qsl, quote_plus, urlsplit, urlunsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .sms import DeliveryError

#: WeCom refuses markdown content longer than 4096 bytes; DingTalk and Feishu allow more.
MAX_CONTENT_BYTES = 4000
#: Characters of a robot's own error message kept in the reason shown.
MAX_ERRMSG = 120


def mask_url(url: str) -> str:
    """``url`` with its secrets masked for display: every query value and a long last path
    segment (Feishu's hook id) keep only their last 4 characters (``key=…abcd``)."""
    def mask(value: str) -> str:
        return "…" + value[-4:] if len(value) > 4 else "…"

    try:
        parts = urlsplit(url)
    except ValueError:
        return "…"
    query = "&".join(f"{quote_plus(k)}={mask(v)}"
                     for k, v in parse_qsl(parts.query, keep_blank_values=True))
    head, _sep, last = parts.path.rpartition("/")
    path = f"{head}/{mask(last)}" if len(last) >= 16 else parts.path
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


#: The hosts each kind of robot's webhook lives on.
ROBOT_HOSTS = {
    "wecom": ("qyapi.weixin.qq.com",),
    "dingtalk": ("oapi.dingtalk.com",),
    "feishu": ("open.feishu.cn", "open.larksuite.com"),
}


def host_problem(kind: str, url: str) -> str:
    """Why ``url`` is not an address of a ``kind`` robot ("" when it is, or when
    ``SAFECAMPUS["ROBOT_ALLOW_ANY_HOST"]``): its host must be one of :data:`ROBOT_HOSTS`."""
    if settings.SAFECAMPUS.get("ROBOT_ALLOW_ANY_HOST"):
        return ""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        host = ""
    hosts = ROBOT_HOSTS.get(kind, ())
    if host in hosts:
        return _shape_problem(kind, url)
    return _("This kind of robot's address is on %(hosts)s; copy it from the group's robot "
             "settings.") % {"hosts": " / ".join(hosts)}


def _shape_problem(kind: str, url: str) -> str:
    """Why ``url`` (on the right host) lacks the part that names the robot: WeCom's
    ``key=``, DingTalk's ``access_token=`` or Feishu's ``/open-apis/bot/v2/hook/<id>``."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if kind == "wecom" and not query.get("key", "").strip():
        return _("A WeCom robot's address must contain key=…; copy the whole address from "
                 "the group's robot settings.")
    if kind == "dingtalk" and not query.get("access_token", "").strip():
        return _("A DingTalk robot's address must contain access_token=…; copy the whole "
                 "address from the group's robot settings.")
    if kind == "feishu" and not re.fullmatch(r"/open-apis/bot/v2/hook/[^/]+/?", parts.path):
        return _("A Feishu robot's address must have the path /open-apis/bot/v2/hook/<id>; "
                 "copy the whole address from the group's robot settings.")
    return ""


def url_problem(url: str, *, resolve: bool = True) -> str:
    """Why ``url`` may not be posted to ("" when it may): not http(s) with a host; plain
    http without ``SAFECAMPUS["ROBOT_ALLOW_HTTP"]``; a host that is (``resolve``: or
    resolves to) a loopback, private, link-local, reserved or multicast address without
    ``SAFECAMPUS["ROBOT_ALLOW_PRIVATE"]``. Texts in the active language."""
    conf = settings.SAFECAMPUS
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host, parts = None, None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        return _("Enter the webhook address: https:// and a host.")
    if parts.scheme == "http" and not conf.get("ROBOT_ALLOW_HTTP"):
        return _("The webhook address must start with https://.")
    if conf.get("ROBOT_ALLOW_PRIVATE"):
        return ""
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        if not resolve:
            addresses = []
        else:
            try:
                infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
            except (OSError, UnicodeError):
                return _("The webhook host %(host)s could not be found.") % {"host": host}
            addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if host.lower() == "localhost" or any(not a.is_global or a.is_multicast
                                          for a in addresses):
        return _("The webhook address points to an internal network address, which is not "
                 "allowed.")
    return ""


def _cut(text: str, limit: int = MAX_CONTENT_BYTES) -> str:
    data = text.encode()
    return text if len(data) <= limit else data[:limit].decode(errors="ignore") + "…"


def _clip(text: str, limit: int = MAX_ERRMSG) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: base64 HMAC-SHA256 of ``"{timestamp}\\n{secret}"`` keyed by the secret."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(),
                      hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu signature: base64 HMAC-SHA256 keyed by ``"{timestamp}\\n{secret}"`` of b""."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def robot_request(*, kind: str, url: str, secret: str, title: str, body: str,
                  link: str = "", now: float | None = None) -> tuple[str, dict]:
    """``(URL to post to, JSON payload)`` of one message for a robot of ``kind``.
    ``link`` is absolute; ``now`` (epoch seconds) is for the signature (default: now)."""
    now = time.time() if now is None else now
    more = pgettext("robot link", "Details")
    if kind == "wecom":
        content = f"## {title}\n{body}".strip()
        if link:
            content += f"\n[{more}]({link})"
        return url, {"msgtype": "markdown", "markdown": {"content": _cut(content)}}
    if kind == "dingtalk":
        text = f"### {title}\n\n{body}".strip()
        if link:
            text += f"\n\n[{more}]({link})"
        if secret:
            stamp = int(now * 1000)
            glue = "&" if "?" in url else "?"
            url = f"{url}{glue}timestamp={stamp}&sign={quote_plus(dingtalk_sign(secret, stamp))}"
        return url, {"msgtype": "markdown", "markdown": {"title": title, "text": _cut(text)}}
    if kind == "feishu":
        text = "\n".join(part for part in (title, body, link) if part)
        payload: dict = {"msg_type": "text", "content": {"text": _cut(text)}}
        if secret:
            stamp = int(now)
            payload.update(timestamp=str(stamp), sign=feishu_sign(secret, stamp))
        return url, payload
    raise ValueError(f"unknown robot kind {kind!r}")


def robot_post(*, kind: str, url: str, secret: str, title: str, body: str,
               link: str = "") -> str:
    """Post one message; returns the answer's text (cut to 2,000 characters). Raises
    DeliveryError for an address :func:`url_problem` refuses (permanent), on a timeout
    (``SAFECAMPUS["WEBHOOK_TIMEOUT_SECONDS"]``), a connection error, an HTTP error status or
    a redirect (never followed), a body that is not JSON, or a non-zero ``errcode`` /
    ``code`` / ``StatusCode`` (its message cut to :data:`MAX_ERRMSG` characters)."""
    timeout = settings.SAFECAMPUS["WEBHOOK_TIMEOUT_SECONDS"]
    problem = url_problem(url)
    if problem:
        raise DeliveryError(problem, permanent=True)
    target, payload = robot_request(kind=kind, url=url, secret=secret, title=title,
                                    body=body, link=link)
    try:
        response = requests.post(target, json=payload, timeout=timeout, allow_redirects=False,
                                 headers={"User-Agent": "SafeCampus"})
    except requests.Timeout as exc:
        raise DeliveryError(_("Timed out (%(seconds)s s)") % {"seconds": timeout}) from exc
    except requests.RequestException as exc:
        raise DeliveryError(_("Could not connect to the robot's address; check the webhook "
                              "address and the server's network.")) from exc
    text = response.text[:2000]
    if response.status_code >= 300:  # redirects are not followed
        raise DeliveryError(_("HTTP %(status)s") % {"status": response.status_code} + (
            _(" (check that the webhook address is right)")
            if response.status_code in (301, 302, 307, 308, 400, 404, 405, 501) else ""))
    try:
        answer = json.loads(response.text or "{}")
    except ValueError as exc:
        raise DeliveryError(_("The robot answered something other than JSON.")) from exc
    if not isinstance(answer, dict):
        raise DeliveryError(_("The robot answered something other than JSON."))
    for key in ("errcode", "code", "StatusCode"):
        code = answer.get(key)
        if code not in (None, 0, "0"):
            message = answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage")
            raise DeliveryError(_("%(key)s %(code)s: %(message)s") % {
                "key": key, "code": str(code)[:20],
                "message": _clip(str(message or ""))})
    return text
