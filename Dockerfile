# Vigie in a container. Three stages: the web UI (Node 20) is built first, then the one binary, which
# embeds frontend/dist because it exists at compile time; the runtime image is slim Debian.
FROM node:20-bookworm AS ui
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
COPY openapi.yaml /src/openapi.yaml
RUN npm run build

FROM rust:1-bookworm AS backend
WORKDIR /src
COPY . .
COPY --from=ui /src/frontend/dist /src/frontend/dist
RUN cargo build --release --locked -p vigie

FROM debian:bookworm-slim
# ca-certificates: the system's TLS roots, for HTTPS webhooks and SMTP over TLS (alert channels).
# curl: the HEALTHCHECK's HTTP client.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system vigie \
    && useradd --system --gid vigie --home-dir /var/lib/vigie --shell /usr/sbin/nologin vigie \
    && mkdir -p /var/lib/vigie \
    && chown vigie:vigie /var/lib/vigie
COPY --from=backend /src/target/release/vigie /usr/local/bin/vigie
# Inside the container every service listens on all addresses (the binary's default is loopback);
# the ports are unprivileged, so no capability is needed. Access control is on: the first start
# writes the admin password to /var/lib/vigie/initial-admin-password (and logs it once).
ENV VIGIE_LISTEN=0.0.0.0:8080 \
    VIGIE_SYSLOG_UDP=0.0.0.0:1514 \
    VIGIE_SYSLOG_TCP=0.0.0.0:1514 \
    VIGIE_TRAP_UDP=0.0.0.0:1162 \
    VIGIE_DATA_DIR=/var/lib/vigie \
    VIGIE_AUTH=on \
    RUST_LOG=info
VOLUME ["/var/lib/vigie"]
EXPOSE 8080 1514/udp 1514/tcp 1162/udp
USER vigie
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/health"]
ENTRYPOINT ["vigie"]
CMD ["serve"]
