# One image for every production process: web (the default CMD), Celery worker, Celery beat and the one-shot
# migrate. docker-compose.yml shows how each is started and which database role it connects as.
FROM python:3.11-slim

# settings.BASE_DIR is the folder above mentorship/, and templates/ and static/ live at the project root (they are
# not in the wheel), so the code must be imported from /app, never from the copy `pip install .` puts in
# site-packages: PYTHONPATH puts /app first for gunicorn, celery and manage.py alike.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_ENV=production \
    DJANGO_SETTINGS_MODULE=mentorship.settings \
    STATIC_ROOT=/app/staticfiles

# A home of its own: gunicorn (25.1+) puts its control socket in ~/.gunicorn/, and /app is read-only for this user.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app --shell /usr/sbin/nologin app

WORKDIR /app

# The project and its dependencies, without the dev extra. Files stay owned by root: the app user reads the code
# and the collected static files but cannot change them.
COPY . .
RUN pip install .

# Static files are collected into the image (WhiteNoise serves them). Settings require these variables although
# collectstatic touches neither the database nor Redis: dummy, build-only values, set for this command alone.
RUN DJANGO_ENV=production \
    SECRET_KEY=build-only-not-a-secret \
    DATABASE_URL=postgres://build:build@localhost:5432/build \
    REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput

USER app

EXPOSE 8000

# gunicorn reads WEB_CONCURRENCY for the number of workers (default 1; compose sets 4) and ./gunicorn.conf.py (the
# workers' settings, shared with the load test: analytics/loadtest/server.py).
CMD ["gunicorn", "mentorship.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--worker-tmp-dir", "/dev/shm"]
