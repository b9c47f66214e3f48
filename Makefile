# patchgate — make test runs what CI runs; make bench the benchmarks behind
# BENCHMARKS.md.
GO       ?= go

.PHONY: test bench build fmt vet

test: vet
	$(GO) test -race -count=1 -timeout 20m ./...

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w .

# The same static binary the Dockerfile builds: the flags live in
# scripts/build.sh (VERSION, COMMIT, DATE override the git-derived stamps).
build:
	GO=$(GO) scripts/build.sh bin/patchgate

bench:
	$(GO) test -run '^$$' -bench . -benchtime 200x ./test/ ./state/...
