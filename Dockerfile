# NexusTask server image: a static nexus binary on an empty base, run as a
# non-root user, state in the /data volume. Build with
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse HEAD) -t nexustask/nexus .
# `make image-check` lints this file and runs the binary it copies in an
# empty root.

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -buildid= -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/nexus ./cmd/nexus \
    && mkdir -p /out/data

FROM scratch
COPY --from=build /out/nexus /nexus
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV NEXUS_ADDR=0.0.0.0:8080 \
    NEXUS_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/nexus", "healthcheck"]
ENTRYPOINT ["/nexus"]
CMD ["serve"]
