# syntax=docker/dockerfile:1
#
# Accord in a container: built with cargo in the Rust image, run as a
# non-root user from Debian slim (the same Debian as the builder, so the
# binary finds the glibc it was linked against).
#
#   docker build -t accord .
#   docker run --rm -i -v accord-data:/var/lib/accord accord user add admin --role admin
#   docker run -d -p 8081:8081 -v accord-data:/var/lib/accord accord
#
# tests/api/container.rs runs the final stage's command line and environment
# on the built binary; keep them in single-line, exec (JSON) form.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
# The registry and the target directory are cache mounts, so a rebuild after
# a source change recompiles Accord and not its dependencies; the binary is
# copied out of the mount in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin accord \
    && install -m 0755 target/release/accord /usr/local/bin/accord

FROM debian:bookworm-slim
# ca-certificates: OIDC discovery and JWKS over HTTPS. Debian drops superseded
# package versions from its mirrors, so a pinned version would stop building
# at the next point release; the base image's tag is the pin.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 accord \
    && useradd --system --uid 10001 --gid accord --home-dir /var/lib/accord --shell /usr/sbin/nologin accord \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/accord
COPY --from=build /usr/local/bin/accord /usr/local/bin/accord

# A numeric user, so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
WORKDIR /var/lib/accord
# The SQLite database (the default store) lives in the volume; a new named
# volume takes the directory's owner from the image. With PostgreSQL
# (ACCORD_DATABASE_URL=postgres://…) the volume stays empty.
VOLUME ["/var/lib/accord"]
# Every `accord serve` flag has an ACCORD_* variable (README); `docker run -e`
# overrides these. Authentication is off until the first principal exists,
# and serve refuses a non-loopback address then: add one with
# `accord user add` (see above), or set ACCORD_ALLOW_ANONYMOUS= (empty) on a
# trusted network.
ENV ACCORD_LISTEN=0.0.0.0:8081 \
    ACCORD_DATABASE_URL=sqlite:///var/lib/accord/accord.db
EXPOSE 8081
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["accord", "health", "http://127.0.0.1:8081", "--timeout", "4"]
ENTRYPOINT ["accord"]
CMD ["serve"]
