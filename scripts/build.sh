#!/bin/sh
# The one definition of how the release binary is built: static (no cgo, so
# it runs on distroless/static with no libc), reproducible paths (-trimpath),
# no symbol tables (-s -w), and the version stamped into main's variables.
# The Dockerfile, `make build` and .ci/binary all run this script, so the
# binary CI checks is the binary the image ships.
#
# usage: VERSION=v1.2.3 COMMIT=abc1234 DATE=2026-11-23T00:00:00Z scripts/build.sh OUT
# Unset VERSION/COMMIT/DATE fall back to the git checkout (or dev/none/unknown),
# and `patchgate version` fills in what is still missing from the Go build info.
set -eu
out=${1:?usage: scripts/build.sh OUTPUT_PATH}
cd "$(dirname "$0")/.."
: "${GO:=go}"
: "${VERSION:=$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
: "${COMMIT:=$(git rev-parse --short HEAD 2>/dev/null || echo none)}"
: "${DATE:=$(date -u +%Y-%m-%dT%H:%M:%SZ)}"
pkg=main
CGO_ENABLED=0 exec "$GO" build -trimpath \
  -ldflags "-s -w -X $pkg.version=$VERSION -X $pkg.commit=$COMMIT -X $pkg.date=$DATE" \
  -o "$out" ./cmd/patchgate
