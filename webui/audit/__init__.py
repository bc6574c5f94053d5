"""The audit log: who did what, when, from where, and what came of it."""
