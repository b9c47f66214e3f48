# patchgate — make test runs what CI runs; make bench the benchmarks behind
# BENCHMARKS.md.
GO       ?= go

.PHONY: test bench build fmt vet lint browser-deps

test: vet browser-deps
	$(GO) test -race -count=1 -timeout 20m ./...

# The browser test drives Debian's chromium through playwright-core from
# npm. It is installed here whenever npm is present, so `make test` passes
# on a fresh clone without .ci/run; without npm the test names what is
# missing.
browser-deps:
	@if command -v npm >/dev/null 2>&1 && [ ! -d test/browser/node_modules/playwright-core ]; then \
		npm ci --prefix test/browser --no-audit --no-fund; \
	fi

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w .

# staticcheck at the pinned version; go run keeps the built tool in the
# build cache, so only the first run compiles it.
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint:
	$(GO) run $(STATICCHECK) ./...

# The same static binary the Dockerfile builds: the flags live in
# scripts/build.sh (VERSION, COMMIT, DATE override the git-derived stamps).
build:
	GO=$(GO) scripts/build.sh bin/patchgate

bench:
	$(GO) test -run '^$$' -bench . -benchtime 200x ./test/ ./state/...
