FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# Pango for WeasyPrint's PDFs (the Chinese font ships in static/fonts).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml ./
COPY config ./config
COPY apps ./apps
RUN pip install --no-cache-dir .
COPY . .
# The settings refuse to load without a real SECRET_KEY (DEBUG is off): collectstatic
# gets a throwaway one; the running stack has its own (.env, docker-compose.yml).
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    DJANGO_SETTINGS_MODULE=config.settings python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi:application"]
