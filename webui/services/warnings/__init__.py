"""Incus's warnings (`incus warning list|acknowledge|delete`): the list as people filter it, and
each change, checked and audited; the Warnings page and `/api/v1/warnings` both call these."""
