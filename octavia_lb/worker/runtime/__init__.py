"""The worker processes' machinery: the Celery app and task, the queue, locks, settings, Redis, metrics."""
