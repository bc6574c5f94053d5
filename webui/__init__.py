"""incus-webui: a live web dashboard for operating an Incus cluster."""

__version__ = "0.1.0"
