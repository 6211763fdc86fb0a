# Multi-stage build of cimjob from source: static binaries in an image with
# nothing else in it, run as an unprivileged user. Multi-arch with buildx
# (the build stage runs natively and cross-compiles for TARGETOS/TARGETARCH).
#
#   docker build -t cimjob \
#     --build-arg VERSION="$(git describe --tags --always)" \
#     --build-arg REVISION="$(git rev-parse HEAD)" \
#     --build-arg CREATED="$(git log -1 --format=%cI)" .
#   docker run --rm -e CIMJOB_USER -e CIMJOB_PASSWORD cimjob error --host hv01 --https --job ...
#   docker run --rm -p 5985:5985 --entrypoint /cimjob-sim cimjob --listen 0.0.0.0:5985
#
# The Prometheus exporter (docs/exporter.md) on port 9985, with the
# example modules of deploy/exporter.yml, which the image holds as
# /etc/cimjob/exporter.yml, or your own config mounted over it. Secrets
# come from the environment (or a mounted owner-only file), never from
# the config or the command line:
#
#   docker run -d -p 9985:9985 -v ./exporter.yml:/etc/cimjob/exporter.yml:ro \
#     -e CIMJOB_USER -e CIMJOB_PASSWORD cimjob exporter
#
# (/etc/cimjob is the working directory and cimjob-exporter.yml, the
# exporter's default --config.file, links to exporter.yml there.)
#
# Without the build args, `cimjob version` reports what the Go toolchain
# recorded. Dockerfile.release builds the same image from binaries already
# built (CI uses it, with no registry to pull this base image from).
FROM --platform=$BUILDPLATFORM docker.io/library/golang:1.26-bookworm AS build
ARG TARGETOS=linux
ARG TARGETARCH=amd64
ARG VERSION=""
ARG REVISION=""
ARG CREATED=""
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# An empty -X value leaves the field to the build info (internal/buildinfo).
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath \
      -ldflags "-s -w -X github.com/cimjob/cimjob/internal/buildinfo.version=${VERSION} -X github.com/cimjob/cimjob/internal/buildinfo.commit=${REVISION} -X github.com/cimjob/cimjob/internal/buildinfo.date=${CREATED}" \
      -o /out/ ./cmd/cimjob ./cmd/cimjob-sim \
 && mkdir -p /out/rootfs/etc/ssl/certs /out/rootfs/etc/cimjob /out/rootfs/usr/share/doc/cimjob \
 && mkdir -m 1777 /out/rootfs/tmp \
 && cp /etc/ssl/certs/ca-certificates.crt /out/rootfs/etc/ssl/certs/ \
 && install -m 0644 deploy/exporter.yml /out/rootfs/etc/cimjob/exporter.yml \
 && ln -s exporter.yml /out/rootfs/etc/cimjob/cimjob-exporter.yml \
 && cp LICENSE NOTICE THIRD_PARTY_NOTICES /out/rootfs/usr/share/doc/cimjob/

FROM scratch
ARG VERSION=""
ARG REVISION=""
ARG CREATED=""
LABEL org.opencontainers.image.title="cimjob" \
      org.opencontainers.image.description="Find out why a Windows management (CIM) job failed, over WS-Management" \
      org.opencontainers.image.source="https://github.com/cimjob/cimjob" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
# The CA roots (TLS verification needs them), the notices, the example
# exporter config, and a /tmp that every user may write (cimjob-sim --tls
# writes the CA to trust there): the tree's contents keep their modes.
# Nothing else comes from the build image.
COPY --from=build /out/rootfs/ /
COPY --from=build /out/cimjob /out/cimjob-sim /
# 65532 is the conventional "nonroot" user; scratch has no passwd file to name it.
USER 65532:65532
WORKDIR /etc/cimjob
EXPOSE 9985
ENTRYPOINT ["/cimjob"]
