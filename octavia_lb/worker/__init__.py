"""Celery workers and the dispatcher: the only code that talks to OpenStack."""
