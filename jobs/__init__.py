"""Background jobs (RQ task functions, the enqueue helper, the scheduler)."""
