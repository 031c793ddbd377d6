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
# Keys (and anything else that must outlive the container) live in the data directory: a
# volume owned by the service's user, which a new volume takes on when first mounted.
RUN mkdir -p /var/lib/kpas && chown kpas:kpas /var/lib/kpas && chmod 0700 /var/lib/kpas
ENV PATH=/opt/kpas/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    KPAS_ENV=production \
    KPAS_HOST=0.0.0.0 \
    KPAS_PORT=8000 \
    KPAS_DATA_DIR=/var/lib/kpas \
    KPAS_MIGRATIONS_DIR=/srv/kpas/migrations
VOLUME ["/var/lib/kpas"]
USER kpas
EXPOSE 8000
# Asks the port the server was given (KPAS_PORT), so a changed port keeps the check honest.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('KPAS_PORT', '8000'); sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2).status != 200)"]
CMD ["kpas", "serve"]
