"""Fill the test CAS server's database: the people of :mod:`.people` and a service pattern
that lets any loopback SafeCampus (``/accounts/cas/login/``) use it, with all attributes
released. Run as ``python -m safecampus.accounts.tests.cas_server.seed``."""

import django


def main() -> None:
    django.setup()
    from cas_server.models import ReplaceAttributName, ServicePattern, UserAttributes
    from django.contrib.auth.models import User

    from .people import PASSWORD, PEOPLE

    for username, attributes in PEOPLE.items():
        user, _ = User.objects.get_or_create(username=username)
        user.set_password(PASSWORD)
        user.save()
        stored, _ = UserAttributes.objects.get_or_create(username=username)
        stored.attributs = attributes
        stored.save()
    pattern, _ = ServicePattern.objects.update_or_create(name="safecampus", defaults={
        "pos": 1, "pattern": r"^https?://(127\.0\.0\.1|localhost)(:\d+)?/accounts/cas/login/.*$",
        "single_log_out": False})
    ReplaceAttributName.objects.get_or_create(name="*", replace="", service_pattern=pattern)


if __name__ == "__main__":
    main()
