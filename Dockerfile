# syntax=docker/dockerfile:1.7
# One image for every octavia-lb process: `docker run IMAGE webhook|dispatcher|worker|lint|plan ...`.
# The product image (target `runtime`, the default) holds the octavia-lb distribution only. The OpenStack
# simulator that docker-compose runs comes from the last target, `devkit`: the same image plus octavia-lb-devkit.
#
# The base is pinned by tag. Its digest could not be looked up where this file was written (no registry
# access); pin it where you build, e.g. PYTHON_IMAGE=python:3.11.13-slim-bookworm@sha256:<digest> from
# `docker buildx imagetools inspect python:3.11.13-slim-bookworm`.
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

# ---- build: wheels for the package and every dependency ------------------------------------------------
FROM ${PYTHON_IMAGE} AS build
# Compilers live only in this stage, for platforms where a dependency publishes no binary wheel.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml ./
COPY octavia_lb ./octavia_lb
COPY devkit ./devkit
# --no-deps for the dev kit: its one dependency is the product, whose wheel is already in /wheels.
RUN pip wheel --no-cache-dir --wheel-dir /wheels . \
    && pip wheel --no-cache-dir --no-deps --wheel-dir /devkit-wheels ./devkit

# ---- runtime: a virtualenv installed from those wheels only --------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH \
    HOME=/tmp
# The wheels are bind-mounted, not copied, so they add no layer; --no-index: nothing is fetched here.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --no-index --find-links=/wheels octavia-lb \
    && octavia-lb --help > /dev/null
# A numeric user, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
# 8443: webhook HTTPS; 9090: dispatcher/worker metrics; 8774: the OpenStack simulator
EXPOSE 8443 9090
ENTRYPOINT ["octavia-lb"]
CMD ["--help"]

# ---- devkit: the runtime plus the OpenStack simulator, for docker-compose (never deployed) ---------------
FROM runtime AS devkit
USER 0:0
RUN --mount=type=bind,from=build,source=/devkit-wheels,target=/devkit-wheels \
    /opt/venv/bin/pip install --no-cache-dir --no-index --no-deps /devkit-wheels/*.whl \
    && octavia-lb sim openstack --help > /dev/null
USER 10001:10001
# 8774: the OpenStack simulator
EXPOSE 8774
