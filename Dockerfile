# Three stages: build the UI (Node 20), build the binary, then a slim runtime image.
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
RUN cargo build --release --locked -p vigie

FROM debian:bookworm-slim
# The system's TLS roots, for HTTPS webhooks and SMTP over TLS (alert channels).
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=backend /src/target/release/vigie /usr/local/bin/vigie
COPY --from=ui /src/frontend/dist /usr/share/vigie/ui
ENV VIGIE_UI_DIR=/usr/share/vigie/ui
EXPOSE 8080
ENTRYPOINT ["vigie", "serve"]
