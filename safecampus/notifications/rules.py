"""Notification channel permissions as domain verbs (house rule 6).

- Group robots (WeCom, DingTalk, Feishu webhooks) are configured, tested and deactivated by
  office administrators, who also send failed messages again.
- The delivery log (every e-mail, SMS and robot message with its state and reason) is read
  by the office (staff and administrators).
- Everyone signed in sets their own notification preferences.
"""

import rules

from safecampus.accounts.predicates import is_office, is_office_admin, is_signed_in

rules.add_perm("notifications.manage_channels", is_office_admin)
rules.add_perm("notifications.view_deliveries", is_office)
rules.add_perm("notifications.set_preferences", is_signed_in)
