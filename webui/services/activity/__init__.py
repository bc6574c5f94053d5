"""Activity: Incus's operations, what is happening now, and the cluster's history."""
