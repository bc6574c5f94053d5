"""One router per resource; `deps` holds what they share."""
