"""Members: changes to them, the rules of what may be done now, their figures, groups and join tokens."""
