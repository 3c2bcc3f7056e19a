"""Organisation permissions."""

import rules

from safecampus.accounts.predicates import is_office, is_office_admin

rules.add_perm("organisation.manage_organisation", is_office_admin)
rules.add_perm("organisation.view_organisation", is_office)
