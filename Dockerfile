# lpmplanner's image: the web (gunicorn), the Celery worker and beat all run from it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LPM_VAR_DIR=/var/lib/lpmplanner \
    STATIC_ROOT=/app/staticfiles

RUN useradd --system --create-home --home-dir /home/lpm lpm \
 && mkdir -p /var/lib/lpmplanner \
 && chown lpm /var/lib/lpmplanner

# python-ldap (directory sign-in) builds against OpenLDAP's client library; the compiler and
# headers go once it is built, the libraries stay.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libldap-2.5-0 libsasl2-2 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential libldap2-dev libsasl2-dev \
 && pip install --no-cache-dir . \
 && apt-get purge -y --auto-remove build-essential libldap2-dev libsasl2-dev \
 && rm -rf /var/lib/apt/lists/*

COPY . .
# Build-time values only: collectstatic needs settings to load; the real ones come at run time.
RUN LPM_VAR_DIR=/tmp/build SECRET_KEY=build-only FIELD_ENCRYPTION_KEY=build-only \
    python manage.py collectstatic --noinput \
 && rm -rf /tmp/build

USER lpm
EXPOSE 8000
# Workers, threads, timeouts and recycling: gunicorn.conf.py (GUNICORN_* variables, defaults from
# the CPUs the container may use).
CMD ["gunicorn", "lpmplanner.wsgi", "--config", "gunicorn.conf.py"]
