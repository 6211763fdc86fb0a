# Multi-stage build of cimjob: a static binary in an image with nothing
# else in it, run as an unprivileged user.
#
#   docker build -t cimjob .
#   docker run --rm -e CIMJOB_USER -e CIMJOB_PASSWORD cimjob error --host hv01 --https --job ...
#   docker run --rm -p 5985:5985 --entrypoint /cimjob-sim cimjob --listen 0.0.0.0:5985

FROM golang:1.26-bookworm AS build
ARG VERSION=devel
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/cimjob ./cmd/cimjob \
 && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/cimjob-sim ./cmd/cimjob-sim \
 && /out/cimjob version

FROM scratch
# TLS verification needs the CA roots; nothing else comes from the build image.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/cimjob /out/cimjob-sim /
# 65532 is the conventional "nonroot" user; scratch has no passwd file to name it.
USER 65532:65532
ENTRYPOINT ["/cimjob"]
