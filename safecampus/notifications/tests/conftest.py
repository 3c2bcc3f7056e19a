import pytest

from .fake_servers import FakeServer


@pytest.fixture
def hook():
    """A fake webhook server on loopback (see :class:`FakeServer`)."""
    with FakeServer() as server:
        yield server


@pytest.fixture
def channel_settings(settings):
    """Short timeouts, a fixed public address and the logging SMS provider (emptied)."""
    from safecampus.notifications.sms import LoggingSmsProvider

    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "WEBHOOK_TIMEOUT_SECONDS": 1,
                           "SMS_TIMEOUT_SECONDS": 1, "PUBLIC_URL": "https://safe.example.edu",
                           "SMS_PROVIDER": "safecampus.notifications.sms.LoggingSmsProvider",
                           "ROBOT_ALLOW_HTTP": True, "ROBOT_ALLOW_PRIVATE": True,
                           "ROBOT_ALLOW_ANY_HOST": True}
    LoggingSmsProvider.sent.clear()
    yield settings
    LoggingSmsProvider.sent.clear()


@pytest.fixture
def run_commit_fixture(django_capture_on_commit_callbacks):
    """Run ``fn`` and then its on-commit callbacks (the tasks; huey is immediate here)."""
    def run(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)
    return run
