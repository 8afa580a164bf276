"""Execution against HMCs: the SSH client, migration jobs and the Celery tasks that run them."""
