# espload: top-level entry points. See README.md.
BUILD      ?= build
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=
DEPS_STAMP := $(BUILD)/.deps-ok

.PHONY: all deps build test test-extra test-device demo format format-check clean unit e2e bench fuzz

all: build

deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/deps.sh
	@sh scripts/deps.sh
	@mkdir -p $(BUILD) && touch $@

build: deps
	@cmake -S . -B $(BUILD) -DEL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

test: build format-check
	@cd $(BUILD) && { ctest --output-on-failure -j $(JOBS) --timeout 600 >ctest.log 2>&1; \
		rc=$$?; cat ctest.log; exit $$rc; }
	@$(MAKE) --no-print-directory test-extra
	@n=$$(sed -n 's/.*tests failed out of \([0-9][0-9]*\).*/\1/p' $(BUILD)/ctest.log); \
		x=$$(ls tests/extra/*.sh | wc -l); \
		echo "make test: ctest $$n tests and $$x extra suites"; \
		echo "$$((n + x)) passed, 0 failed"

# suites that need more than ctest (cross builds, fuzzers, conformance); each script skips
# nothing silently: it fails when its tools are missing
test-extra:
	@for s in tests/extra/*.sh; do [ -f "$$s" ] || continue; echo "== $$s"; sh "$$s" || exit 1; done

unit: build
	@cd $(BUILD) && ctest --output-on-failure -L unit -j $(JOBS)

e2e: build
	@cd $(BUILD) && ctest --output-on-failure -L e2e -j $(JOBS)

demo: build
	@sh scripts/demo.sh $(BUILD)

# the end-to-end device suite against a real port (DESTRUCTIVE for a 256 KiB scratch region)
test-device: build
	@PORT="$(PORT)" CHIP="$(CHIP)" SCRATCH="$(SCRATCH)" BAUD="$(BAUD)" ESPLOAD=$(BUILD)/espload \
		sh tests/device/run.sh

bench: deps
	@sh bench/run.sh

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	@clang-format -i $(FORMAT_FILES)

format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format-check: ok"

clean:
	rm -rf $(BUILD) build-*
