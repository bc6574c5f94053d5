"""Accounts: signing in and out, tokens and displays, and who asked for something, in words."""
