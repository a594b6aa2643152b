"""Routes of the monitoring area (filled in by its issue)."""
