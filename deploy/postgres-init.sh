#!/usr/bin/env bash
# Runs once, from /docker-entrypoint-initdb.d/ of the official postgres:16 image, when the data volume is empty.
# Creates the two roles that keep row-level security meaningful and the database (see mentorship/devservices.py):
#   mentorship_owner  owns the database and its tables, runs `manage.py migrate` (not superuser, no BYPASSRLS)
#   mentorship_app    what web, worker and beat connect as (not superuser, not owner, no BYPASSRLS); migrations
#                     grant it DML on every table in a post_migrate hook
# Passwords come from OWNER_PASSWORD and APP_PASSWORD. Safe to run again: existing roles get their attributes and
# passwords re-asserted, an existing database is left in place.
set -euo pipefail

: "${OWNER_PASSWORD:?OWNER_PASSWORD must be set for the postgres container}"
: "${APP_PASSWORD:?APP_PASSWORD must be set for the postgres container}"

psql_admin() {
    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" "$@"
}

psql_admin --dbname "${POSTGRES_DB:-postgres}" \
    -v owner_password="$OWNER_PASSWORD" \
    -v app_password="$APP_PASSWORD" <<'SQL'
SELECT 'CREATE ROLE mentorship_owner'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mentorship_owner')\gexec
ALTER ROLE mentorship_owner WITH LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION
    PASSWORD :'owner_password';

SELECT 'CREATE ROLE mentorship_app'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'mentorship_app')\gexec
ALTER ROLE mentorship_app WITH LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION
    PASSWORD :'app_password';

SELECT 'CREATE DATABASE mentorship OWNER mentorship_owner'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'mentorship')\gexec
ALTER DATABASE mentorship OWNER TO mentorship_owner;

-- Only the two application roles may connect (the owner has every database privilege).
REVOKE ALL ON DATABASE mentorship FROM PUBLIC;
GRANT CONNECT ON DATABASE mentorship TO mentorship_app;
SQL

# PostgreSQL 15+ already withholds CREATE on schema public from PUBLIC; stated here so that the app role can never
# create objects whatever the image's defaults. The schema belongs to pg_database_owner, i.e. mentorship_owner.
psql_admin --dbname mentorship <<'SQL'
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
