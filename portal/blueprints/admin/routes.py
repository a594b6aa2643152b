"""Routes of the admin area (filled in by its issue)."""
