"""The load test behind `manage.py loadtest`: seed (organization and credentials), server (gunicorn), traffic
(locust, in a process of its own) and run (the whole and its report)."""
