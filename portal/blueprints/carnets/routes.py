"""Routes of the carnets area (filled in by its issue)."""
