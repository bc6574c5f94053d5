"""Configuration: the server's keys as Incus describes them, the form, cluster-wide changes,
the cluster certificate and its pin, and what is secret."""
