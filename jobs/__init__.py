"""Background jobs: RQ task functions (thin wrappers over portal.domain), the enqueue helper
that runs a job inline when no REDIS_URL is set, the worker and the scheduler entries."""

from jobs.runtime import enqueue, task  # noqa: F401
