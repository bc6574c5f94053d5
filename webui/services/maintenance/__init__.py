"""Maintenance: evacuations and restores (runs, their store and tracker, the plan before one
starts), healing, and what the wall says of each member."""
