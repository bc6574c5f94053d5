"""The only code that talks to Incus."""
