# syntax=docker/dockerfile:1
#
# windowbot image: a static Go binary on debian:bookworm-slim.
#
# Why Debian slim and not distroless: QR posters need a CJK font, and fonts-wqy-microhei from the
# Debian archive is a 5 MB, maintained, security-updated package that poster.FindFont finds at its
# standard path; ca-certificates and tzdata come the same way. A shell also helps operators run
# `windowbot` subcommands (import, qr) inside the container. The cost is ~80 MB over distroless.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/windowbot .

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates tzdata fonts-wqy-microhei \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/windowbot --create-home --shell /usr/sbin/nologin windowbot
COPY --from=build /out/windowbot /usr/local/bin/windowbot
COPY configs/windowbot.example.yaml /etc/windowbot/windowbot.example.yaml
# The default SQLite database (windowbot.db) is created in the working directory: mount a volume
# here, or set WINDOWBOT_DATABASE_URL to PostgreSQL for more than one replica.
WORKDIR /var/lib/windowbot
VOLUME /var/lib/windowbot
ENV TZ=Asia/Shanghai \
    WINDOWBOT_HTTP_ADDR=:8080 \
    WINDOWBOT_QR_FONT=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
USER windowbot
EXPOSE 8080
# The image has no curl or wget: the binary asks its own /healthz (127.0.0.1 and the port of
# WINDOWBOT_HTTP_ADDR). /readyz, which also checks the database and Redis, is for load balancers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/windowbot", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/windowbot"]
CMD ["serve"]
