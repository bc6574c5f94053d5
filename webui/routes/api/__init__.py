"""/api/v1: Incus's own paths, reply envelopes and headers, one router per resource, each
joined in webui/app.py. Reads come from the snapshot; writes go through webui/services/."""
