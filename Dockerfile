# lpmplanner's image: the web (gunicorn), the Celery worker and beat all run from it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LPM_VAR_DIR=/var/lib/lpmplanner \
    STATIC_ROOT=/app/staticfiles

RUN useradd --system --create-home --home-dir /home/lpm lpm \
 && mkdir -p /var/lib/lpmplanner \
 && chown lpm /var/lib/lpmplanner

WORKDIR /app
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir .

COPY . .
# Build-time values only: collectstatic needs settings to load; the real ones come at run time.
RUN LPM_VAR_DIR=/tmp/build SECRET_KEY=build-only FIELD_ENCRYPTION_KEY=build-only \
    python manage.py collectstatic --noinput \
 && rm -rf /tmp/build

USER lpm
EXPOSE 8000
CMD ["gunicorn", "lpmplanner.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
