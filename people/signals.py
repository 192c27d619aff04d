"""Signals other apps listen to, so `people` never imports them."""

from django.dispatch import Signal

# Sent after an org import created, closed or corrected memberships (once the transaction
# commits). Arguments: membership_ids (list[int]), reason (str).
memberships_changed = Signal()
