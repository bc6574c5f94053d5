"""Every checked and audited change to the cluster and the dashboard, in one place that the
pages (webui/routes/) and /api/v1 (webui/routes/api/) both call, so the two can never apply
different rules or forget a record. Services raise Refused (ours) or IncusError (Incus's)."""
