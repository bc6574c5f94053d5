"""Upgrades: whether the cluster is mid-upgrade, and the guided rolling upgrade (its plan and its driver)."""
