"""Signals other apps listen to, so `projects` never imports them."""

from django.dispatch import Signal

# Sent after a project's ownership changed from `since` on (once the transaction commits).
# Arguments: project, since (date), reason (str).
ownership_changed = Signal()
