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
RUN DJANGO_SETTINGS_MODULE=config.settings python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi:application"]
