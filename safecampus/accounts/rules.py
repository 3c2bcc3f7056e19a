"""Account permissions as domain verbs (house rule 6): office staff may protect their
sign-in with a second factor (an authenticator app)."""

import rules

from .predicates import is_office

rules.add_perm("accounts.set_up_two_factor", is_office)
