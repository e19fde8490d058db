# Portico in a container: the server and its built UI on debian:bookworm-slim,
# run as a user without privileges, the SQLite database on a volume.
#
#   docker build --build-arg PORTICO_GIT_REVISION=$(git rev-parse --short=12 HEAD) -t portico .
#   docker run -p 8080:8080 -v portico-data:/var/lib/portico \
#     -e PORTICO_ISSUER=https://id.example.com portico
#
# README, "Running it in production", has the rest (config file, backups).

# ---- build: the UI (scripts/build-ui.sh) and the server -------------------
FROM rust:1.95-bookworm AS build

# What scripts/setup.sh installs, at the same versions: the wasm target,
# Trunk 0.21.14, wasm-bindgen-cli matching Cargo.lock, wasm-opt from npm's
# binaryen (package.json), and brotli for the compressed copies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm brotli \
 && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown \
 && cargo install --locked trunk --version 0.21.14 \
 && cargo install wasm-bindgen-cli --version 0.2.130

WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .

# .git is not copied (.dockerignore): build.rs takes the revision
# `portico --version` prints from here instead.
ARG PORTICO_GIT_REVISION=unknown
ENV PORTICO_GIT_REVISION=${PORTICO_GIT_REVISION}

RUN scripts/build-ui.sh \
 && cargo build --locked --profile server-release -p portico-server \
 && install -m 0755 target/server-release/portico /usr/local/bin/portico

# ---- run -----------------------------------------------------------------
FROM debian:bookworm-slim

RUN useradd --system --user-group --uid 10001 --home-dir /var/lib/portico \
      --shell /usr/sbin/nologin portico \
 && install -d -o portico -g portico -m 0700 /var/lib/portico

COPY --from=build /usr/local/bin/portico /usr/local/bin/portico
COPY --from=build /src/dist /usr/share/portico/ui

# The issuer must be set to the public URL (PORTICO_ISSUER); without it,
# it would be http://0.0.0.0:8080. A config file, if any, is mounted and
# named with PORTICO_CONFIG (e.g. /etc/portico/portico.toml).
ENV PORTICO_BIND=0.0.0.0:8080 \
    PORTICO_UI_DIR=/usr/share/portico/ui \
    PORTICO_DATABASE_URL=/var/lib/portico/portico.db

USER portico
WORKDIR /var/lib/portico
VOLUME ["/var/lib/portico"]
EXPOSE 8080

# No HEALTHCHECK: the image has no HTTP client (no curl) and Portico has no
# probe command. Orchestrators probe GET /healthz (liveness) and GET /readyz
# (readiness) over HTTP themselves.
STOPSIGNAL SIGTERM
ENTRYPOINT ["portico"]
CMD ["serve"]
