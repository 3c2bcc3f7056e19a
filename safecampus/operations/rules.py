"""Operations permissions as domain verbs (house rule 6).

- ``operations.view_operations``: office administrators see the operations page (version,
  database and queue health, backups, deliveries, scheduled work).
- ``operations.run_backup``: office administrators start a backup from that page.
"""

import rules

from safecampus.accounts.predicates import is_office_admin

rules.add_perm("operations.view_operations", is_office_admin)
rules.add_perm("operations.run_backup", is_office_admin)
