# Build a static patchgate binary and run it on distroless as non-root.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev COMMIT=none DATE=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${DATE}" \
      -o /out/patchgate ./cmd/patchgate

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/patchgate /usr/local/bin/patchgate
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/patchgate"]
CMD ["serve", "--config", "/etc/patchgate/patchgate.yaml"]
