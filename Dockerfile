# syntax=docker/dockerfile:1
# The API and the worker share this image; `kpas serve` is the default command.

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/kpas
COPY requirements.lock ./
RUN /opt/kpas/bin/pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY app ./app
RUN /opt/kpas/bin/pip install --no-deps .

FROM python:3.11-slim-bookworm AS runtime
RUN groupadd --system kpas && useradd --system --gid kpas --home-dir /srv/kpas --shell /usr/sbin/nologin kpas
COPY --from=build /opt/kpas /opt/kpas
WORKDIR /srv/kpas
COPY --chown=root:root migrations ./migrations
ENV PATH=/opt/kpas/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    KPAS_ENV=production \
    KPAS_HOST=0.0.0.0 \
    KPAS_PORT=8000 \
    KPAS_MIGRATIONS_DIR=/srv/kpas/migrations
USER kpas
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["kpas", "serve"]
