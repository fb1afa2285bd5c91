# kamplan serve against DATABASE_URL, as a non-root user, health-checked on /readyz.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
COPY migrations ./migrations
# var/ made here, owned by kamplan: a volume mounted on it then takes that owner (a path missing from the image would
# be created root-owned, and the secret and any embedded data could not be written)
RUN pip install . && useradd --create-home --uid 10001 kamplan \
    && install -d -o kamplan -g kamplan /home/kamplan/var

USER kamplan
ENV KAMPLAN_HOST=0.0.0.0 \
    KAMPLAN_PORT=8000 \
    KAMPLAN_DATA_DIR=/home/kamplan/var
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('KAMPLAN_PORT', '8000'); sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{port}/readyz', timeout=2).status != 200)"]
CMD ["kamplan", "serve"]
