# Every command the project runs. `make test` is what CI runs.

GO          ?= go
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 10s
BENCHTIME   ?= 1x

.PHONY: test check fmt-check vet staticcheck generate-check unit fuzz bench bench-micro bench-sim-large e2e e2e-scale browser screenshot

## test: formatting, vet, staticcheck, every test with the race detector,
## and the large simulations without it.
test: check unit

check: fmt-check vet staticcheck generate-check

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(STATICCHECK) ./...

# The thousand-member simulations (TestScale*) skip under -race, which
# slows the simulator tenfold; they run here without it.
## generate-check: fail if go generate would change committed generated code.
generate-check:
	$(GO) generate ./...
	@out=$$(git status --porcelain -- '*_memberlist.go'); \
	if [ -n "$$out" ]; then echo "go generate changed generated code; run it and commit:"; echo "$$out"; exit 1; fi

unit:
	$(GO) test -race -count=1 ./...
	$(GO) test -count=1 -run '^TestScale' ./runtime/swim/...

## fuzz: run every fuzz target for FUZZTIME each (make fuzz FUZZTIME=2m).
fuzz:
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' .); do \
		dir=$$(dirname $$f); \
		for t in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$f | sed 's/^func //'); do \
			echo "== $$dir $$t"; \
			$(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) $$dir; \
		done; \
	done

## bench: ours and hashicorp/memberlist side by side on every scenario of
## docs/SCENARIOS.md (the bench/ module, under 20 minutes on 2 cores);
## writes docs/BENCHMARKS.md and docs/img/*.png.
bench:
	cd bench && $(GO) run . -docs ../docs

## bench-sim-large: S6 alone, one seed at 1,000 and 3,000 members (13 GB
## of memory at 3,000, 1.7 GB at 1,000); writes nothing. Not 10,000: every
## member holds a record of every other, so memory grows with N²: ~90 GB.
bench-sim-large:
	cd bench && $(GO) run . -only s6 -sim-ns 1000,3000 -sim-seeds 1 -docs ''

## bench-micro: this module's own go test benchmarks (codecs, the simulator,
## single-implementation scenarios); BENCHTIME=1x by default.
bench-micro:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./...

## e2e: the chaos example's multi-process fault tests in network namespaces
## (root and iproute2 needed; skipped with a message otherwise).
e2e:
	$(GO) test -tags e2e -count=1 -v -timeout 10m ./examples/chaos/e2e/

## e2e-scale: 128 chaos processes in network namespaces under 10 % packet
## loss for two minutes, then 13 SIGKILLed (TestScale128, about 4 minutes
## on 2 cores; root, iproute2 and nftables needed). Its knobs go in
## SCALEFLAGS, e.g. make e2e-scale SCALEFLAGS='-scale.n=16 -scale.steady=30s'.
## See docs/E2E-SCALE.md.
SCALEFLAGS ?=
e2e-scale:
	$(GO) test -tags 'e2e e2escale' -count=1 -v -timeout 15m -run '^TestScale128$$' ./examples/chaos/e2e/ $(SCALEFLAGS)

## browser: the member page in headless chromium (Debian's chromium, which
## .ci/run installs) against three chaos processes; also part of make e2e.
browser:
	@command -v chromium >/dev/null || { echo "chromium missing: apt-get install -y chromium"; exit 1; }
	$(GO) test -tags e2e -count=1 -v -run TestMemberPageInBrowser ./examples/chaos/e2e/

## screenshot: make browser, writing docs/img/member-page.png (and
## -phone.png) for the README.
screenshot:
	@command -v chromium >/dev/null || { echo "chromium missing: apt-get install -y chromium"; exit 1; }
	$(GO) test -tags e2e -count=1 -v -run TestMemberPageInBrowser ./examples/chaos/e2e/ -screenshot $(CURDIR)/docs/img/member-page.png
