"""Benchmarks against a real local Incus cluster: `python -m bench.<name> --help`."""
