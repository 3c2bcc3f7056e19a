"""Text messages (SMS): one provider interface and two providers.

A provider is a class with ``send(phone, text) -> str`` that returns the provider's message
id or raises :class:`DeliveryError` with a readable reason. The provider in use is named by
the setting ``SAFECAMPUS["SMS_PROVIDER"]`` (env ``SAFECAMPUS_SMS_PROVIDER``, a dotted path):

- :class:`LoggingSmsProvider` (default): sends nothing, logs the message and keeps the last
  :data:`LoggingSmsProvider.KEEP` (100) in :data:`LoggingSmsProvider.sent` (a demo or a
  test sees what would have gone out; memory stays bounded).
- :class:`TencentCloudSmsProvider`: Tencent Cloud SMS (API 2021-01-11, ``SendSms``) through
  the official SDK; a notification needs an approved template whose one parameter is the
  notification's title (cut to ``SMS_TEMPLATE_PARAM_MAX`` characters).
"""

import itertools
import logging
from collections import deque

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A failed attempt to deliver a message; ``reason`` is readable (site language).

    ``permanent``: retrying cannot help (e.g. an attachment is missing), so the delivery is
    marked failed at once instead of after the last retry.
    """

    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class SmsProvider:
    """The interface: ``send(phone, text)`` returns the provider's message id (str) or raises
    :class:`DeliveryError`. ``phone`` is as the user typed it (normalised, see
    ``core.phones``); ``text`` is the whole message."""

    def send(self, phone: str, text: str) -> str:  # pragma: no cover - interface
        raise NotImplementedError


class LoggingSmsProvider(SmsProvider):
    """Sends nothing: logs each message and appends ``(phone, text, id)`` to :data:`sent`,
    which keeps only the last :data:`KEEP` messages."""

    KEEP = 100
    sent: deque[tuple[str, str, str]] = deque(maxlen=KEEP)
    _ids = itertools.count(1)

    def send(self, phone: str, text: str) -> str:
        message_id = f"log-{next(self._ids)}"
        logger.info("SMS to %s (%s): %s", phone, message_id, text)
        self.sent.append((phone, text, message_id))
        return message_id


def _mainland_e164(phone: str) -> str:
    """``+86…`` for an 11-digit mainland mobile, else the number with spaces/dashes removed
    (Tencent Cloud wants E.164)."""
    digits = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    if digits.startswith("+"):
        return digits
    if len(digits) == 11 and digits.startswith("1"):
        return "+86" + digits
    return "+" + digits if digits.startswith("86") else digits


class TencentCloudSmsProvider(SmsProvider):
    """Tencent Cloud SMS through ``tencentcloud-sdk-python-sms``.

    Settings (``SAFECAMPUS``; env in brackets): ``TENCENT_SMS_SECRET_ID``
    (``SAFECAMPUS_TENCENT_SMS_SECRET_ID``), ``TENCENT_SMS_SECRET_KEY``, ``TENCENT_SMS_APP_ID``
    (SdkAppId), ``TENCENT_SMS_SIGN`` (sign name), ``TENCENT_SMS_TEMPLATE_ID``,
    ``TENCENT_SMS_REGION`` (default ap-guangzhou), ``TENCENT_SMS_ENDPOINT`` (default
    sms.tencentcloudapi.com; ``http://host:port`` for a local test server) and
    ``SMS_TIMEOUT_SECONDS``. Raises :class:`DeliveryError` with the API's code and message,
    or the transport error, on failure.
    """

    def __init__(self, config: dict | None = None):
        self.config = config if config is not None else settings.SAFECAMPUS

    def _client(self):
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111 import sms_client

        cfg = self.config
        endpoint = cfg.get("TENCENT_SMS_ENDPOINT") or "sms.tencentcloudapi.com"
        scheme = "https"
        if "://" in endpoint:
            scheme, endpoint = endpoint.split("://", 1)
        http = HttpProfile(protocol=scheme, endpoint=endpoint.rstrip("/"),
                           reqTimeout=int(cfg.get("SMS_TIMEOUT_SECONDS", 5)))
        cred = credential.Credential(cfg.get("TENCENT_SMS_SECRET_ID", ""),
                                     cfg.get("TENCENT_SMS_SECRET_KEY", ""))
        return sms_client.SmsClient(cred, cfg.get("TENCENT_SMS_REGION") or "ap-guangzhou",
                                    ClientProfile(httpProfile=http))

    def send(self, phone: str, text: str) -> str:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )
        from tencentcloud.sms.v20210111 import models

        cfg = self.config
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [_mainland_e164(phone)]
        request.SmsSdkAppId = str(cfg.get("TENCENT_SMS_APP_ID", ""))
        request.SignName = cfg.get("TENCENT_SMS_SIGN", "")
        request.TemplateId = str(cfg.get("TENCENT_SMS_TEMPLATE_ID", ""))
        request.TemplateParamSet = [text[: int(cfg.get("SMS_TEMPLATE_PARAM_MAX", 20))]]
        try:
            response = self._client().SendSms(request)
        except TencentCloudSDKException as exc:
            raise DeliveryError(_("SMS provider error %(code)s: %(message)s") % {
                "code": exc.get_code() or "", "message": exc.get_message() or ""}) from exc
        statuses = response.SendStatusSet or []
        if not statuses:
            raise DeliveryError(_("The SMS provider answered without a send status."))
        status = statuses[0]
        if status.Code != "Ok":
            raise DeliveryError(_("SMS provider error %(code)s: %(message)s") % {
                "code": status.Code, "message": status.Message or ""})
        return status.SerialNo or response.RequestId or ""


def sms_provider() -> SmsProvider:
    """An instance of the provider named by ``SAFECAMPUS["SMS_PROVIDER"]`` (dotted path)."""
    path = settings.SAFECAMPUS.get("SMS_PROVIDER") or (
        "safecampus.notifications.sms.LoggingSmsProvider")
    return import_string(path)()
