"""Passwords from the test server's Django users; attributes from its ``UserAttributes``
rows (cn, mail, employeeNumber, eduPersonAffiliation), as a campus directory releases them."""

from cas_server.auth import DjangoAuthUser
from cas_server.models import UserAttributes


class ReleasedAttributesUser(DjangoAuthUser):
    def attributs(self):
        if not self.user:
            return {}
        stored = UserAttributes.objects.filter(username=self.username).first()
        return dict(stored.attributs or {}) if stored else {}
