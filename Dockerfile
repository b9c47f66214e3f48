# Build a static patchgate binary and run it on distroless as non-root.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev COMMIT=none DATE=unknown
# scripts/build.sh holds the flags (CGO_ENABLED=0, -trimpath, -s -w, -X
# main.version/commit/date); .ci/binary builds and runs the same binary.
RUN VERSION=${VERSION} COMMIT=${COMMIT} DATE=${DATE} sh scripts/build.sh /out/patchgate

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/patchgate /usr/local/bin/patchgate
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/patchgate"]
CMD ["serve", "--config", "/etc/patchgate/patchgate.yaml"]
