# The two commands a person types: `make demo` and `make test`. `make bench` measures performance.

SWIFT ?= swift
DEBS := libopenblas-dev libjpeg-dev libpng-dev libwebp-dev libxml2-dev zlib1g-dev libhdf5-dev pkg-config openmpi-bin libdnnl-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# The binary is built on the machine that runs it, so it is compiled for this processor's vector
# units (AVX-512 popcount makes Hamming scans 1.4x faster than AVX2). CPU=x86-64 builds a
# portable binary; CPU= (empty) leaves the compiler's default.
CPU ?= $(shell sh scripts/target-cpu.sh)
CPU_FLAGS := $(if $(CPU),-Xswiftc -target-cpu -Xswiftc $(CPU) -Xswiftc -DCMH_TARGET_$(subst -,_,$(CPU)))
RELEASE := -c release $(CPU_FLAGS)
TEST_FLAGS := $(RELEASE) -Xswiftc -enable-testing

.PHONY: demo test bench bench-reference fuzz e2e deps build install clean

# Installs the Debian packages that are missing (nothing when all are there). oneDNN's glue is
# compiled with or without its header: once the header arrives, the glue is compiled again.
deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  case "$$missing" in *libdnnl-dev*) touch Sources/CDNNL/cmh_dnnl.c;; esac; \
	fi

build: deps
	$(SWIFT) build $(RELEASE)

demo: build
	$(SWIFT) run $(RELEASE) cmh demo

# The suite runs in float32 (its references and tolerances are float32's); the bf16 tests switch
# to bf16 themselves where the processor has it.
test: deps
	$(SWIFT) build $(TEST_FLAGS) --build-tests
	CMH_PRECISION=fp32 $(SWIFT) test $(TEST_FLAGS) --skip-build --disable-swift-testing

# Damaged files against every reader, through the binary (Tests/cmhTests/FuzzTests.swift): `make
# test` runs 12 mutations per reader; this runs FUZZ_ITERATIONS (seed FUZZ_SEED). Mutated HTTP
# requests against a live server on loopback (Tests/ServerTests/HTTPFuzzTests.swift): `make test`
# sends 300, this HTTP_FUZZ_REQUESTS.
FUZZ_ITERATIONS ?= 10000
HTTP_FUZZ_REQUESTS ?= 100000
FUZZ_SEED ?= 1
fuzz: deps
	$(SWIFT) build $(TEST_FLAGS) --build-tests
	CMH_FUZZ_ITERATIONS=$(FUZZ_ITERATIONS) CMH_HTTP_FUZZ_REQUESTS=$(HTTP_FUZZ_REQUESTS) CMH_FUZZ_SEED=$(FUZZ_SEED) \
	  $(SWIFT) test $(TEST_FLAGS) --skip-build --disable-swift-testing --filter 'FuzzTests|HTTPFuzzTests'

# The search page in headless Chromium against the demo's model (not part of `make test`; it
# trains the demo first when cmh-demo/ has no model): types a query, waits for the grid, clicks a
# result; screenshots in docs/images.
E2E_DEBS := chromium python3-websocket
e2e: build
	@missing=""; for p in $(E2E_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi
	sh scripts/e2e.sh

bench: build
	$(SWIFT) run $(RELEASE) cmh bench engine --json
	$(SWIFT) run $(RELEASE) cmh bench image --json
	$(SWIFT) run $(RELEASE) cmh bench train --json
	$(SWIFT) run $(RELEASE) cmh bench search --json
	CMH=$$($(SWIFT) build $(RELEASE) --show-bin-path)/cmh sh scripts/mpi-bench.sh

# The reference tools of ../shared/bench on this machine, for ratios taken in the same session
# (the C popcount scan, 3 minutes; numpy MAP@all, 1.5 minutes; PyTorch ResNet-34, 3 minutes, which
# needs Debian's python3-torch; oneDNN's convolutions, 2 minutes, which need libdnnl-dev).
bench-reference:
	@[ -d ../shared/bench ] || { echo "../shared/bench is not here: the reference scripts come with the project's shared folder"; exit 1; }
	bash ../shared/bench/run_hamming_c.sh
	bash ../shared/bench/run_map.sh
	ITERS=5 bash ../shared/bench/run_torch.sh --only resnet34_224_train,resnet34_128_train,resnet34_224_infer,mlp4096x2_train
	sh scripts/onednn-bench.sh

# Installs cmh into $(PREFIX)/bin (DESTDIR for staging), built with the Swift runtime linked in so
# that it runs from anywhere; its own build folder leaves the demo's build alone.
PREFIX ?= /usr/local
install: deps
	$(SWIFT) build $(RELEASE) --static-swift-stdlib --scratch-path .build-install --product cmh
	$(SUDO) install -D -m 755 .build-install/release/cmh $(DESTDIR)$(PREFIX)/bin/cmh
	@echo "installed $(DESTDIR)$(PREFIX)/bin/cmh"

clean:
	rm -rf .build .build-install
