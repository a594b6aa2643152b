"""Routes of the customs area (filled in by its issue)."""
