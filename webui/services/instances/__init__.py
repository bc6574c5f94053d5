"""Instances: where each sits, and what evacuating or healing its member would do to it."""
