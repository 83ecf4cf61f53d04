"""Case work: the workflow (statuses, chat modes, allowed changes), the case desk and the outbox.

``workflow`` is data the store checks against; ``desk`` holds what case officers do with a case and
its live chat (claim, message, note, status, close, hand back), called by the staff console and the
chat; ``outbox`` queues and sends residents' receipts.
"""
