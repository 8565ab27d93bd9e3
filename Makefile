# vigil - one Makefile, the libbpf-tools way.
#   make          build ./vigil
#   make run      install missing packages, build, mount tracefs/bpffs, start `vigil run`
#   make test     unit tests, integration tests (root, real kernel), sanitizer build
#   make bench    side-by-side overhead ratios
CC       ?= cc
CLANG    ?= clang
BPFTOOL  ?= bpftool
ARCH     := $(shell uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/')
VERSION  := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

OUT      := build
SAN      ?=
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-missing-field-initializers \
            -I$(OUT) -Isrc -DVIGIL_VERSION='"$(VERSION)"'
LDLIBS   := -lbpf -lelf -lz -lyaml -lcjson -lsqlite3 -lcurl -lpthread -lm

ifeq ($(SAN),1)
OUT      := build/san
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif

BPF_SRCS := bpf/vigil.bpf.c
BPF_HDRS := $(wildcard bpf/*.h) $(wildcard bpf/*.bpf.h)
SRCS     := $(shell find src -name '*.c' | sort)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
# the default ruleset, compiled into the binary
GEN_SRCS := build/gen/default_rules.c
GEN_OBJS := $(OUT)/gen/default_rules.o
OBJS     := $(patsubst %.c,$(OUT)/%.o,$(SRCS)) $(GEN_OBJS)
LIB_OBJS := $(patsubst %.c,$(OUT)/%.o,$(LIB_SRCS)) $(GEN_OBJS)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
SKEL     := build/vigil.skel.h
ENFORCE_SKEL := build/enforce.skel.h
VIGIL    := $(if $(filter 1,$(SAN)),$(OUT)/vigil,vigil)

.PHONY: all run test unit integration sanitize bench fuzz clean deps
all: $(VIGIL)

build/vmlinux.h:
	@mkdir -p build
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

build/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) build/vmlinux.h
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ibuild -Ibpf -Wall -Werror -c $< -o $@.tmp
	$(BPFTOOL) gen object $@ $@.tmp && rm -f $@.tmp

$(SKEL): build/vigil.bpf.o
	$(BPFTOOL) gen skeleton $< name vigil_bpf > $@.tmp && mv $@.tmp $@

$(ENFORCE_SKEL): build/enforce.bpf.o
	$(BPFTOOL) gen skeleton $< name enforce_bpf > $@.tmp && mv $@.tmp $@

$(OUT)/src/%.o: src/%.c $(wildcard src/*/*.h) $(wildcard bpf/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ibuild -c $< -o $@

build/gen/default_rules.c: rules/vigil_rules.yaml scripts/embed-file.sh
	@mkdir -p $(dir $@)
	bash scripts/embed-file.sh default_rules_yaml $< > $@.tmp && mv $@.tmp $@

$(OUT)/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# only the loader sees the skeleton
$(OUT)/src/sensor/sensor.o: $(SKEL)
$(OUT)/src/enforce/enforcer.o: $(ENFORCE_SKEL)

$(VIGIL): $(OBJS)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUT)/tests/%: tests/unit/%.c $(LIB_OBJS) tests/unit/test.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) $< $(LIB_OBJS) $(LDLIBS) -o $@

# Benchmark programs linked like the unit tests (bench/*.c).
$(OUT)/bench/%: bench/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIB_OBJS) $(LDLIBS) -o $@

# Fuzz targets: libFuzzer over the parsers; `make fuzz` runs each for
# FUZZ_SECONDS on its corpus (tests/fuzz/corpus/<name>).
FUZZ_SECONDS ?= 20
FUZZ_SRCS := $(filter-out src/sensor/sensor.c src/sensor/doctor.c src/enforce/enforcer.c src/enforce/enforcement.c src/enforce/parent_rules.c src/agent/%,$(LIB_SRCS))
FUZZ_BINS := $(patsubst tests/fuzz/fuzz_%.c,build/fuzz/fuzz_%,$(wildcard tests/fuzz/fuzz_*.c))

# The sources are compiled once (instrumented, without libFuzzer's main)
# and every target links against them.
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Isrc -Itests/unit -DVIGIL_VERSION='"$(VERSION)"'
FUZZ_OBJS := $(patsubst %.c,build/fuzz/obj/%.o,$(FUZZ_SRCS) $(GEN_SRCS))
.SECONDARY: $(FUZZ_OBJS)

build/fuzz/obj/%.o: %.c $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined \
		$< $(FUZZ_OBJS) -lyaml -lcjson -lsqlite3 -lcurl -lpthread -lm -o $@

fuzz: $(FUZZ_BINS)
	@bash tests/run_fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

unit: $(UNIT_BINS)
	@bash tests/run_unit.sh $(UNIT_BINS)

integration: vigil
	@bash tests/run_integration.sh

sanitize:
	$(MAKE) SAN=1 build/san/vigil $(patsubst tests/unit/%.c,build/san/tests/%,$(UNIT_SRCS))
	@bash tests/run_unit.sh $(patsubst tests/unit/%.c,build/san/tests/%,$(UNIT_SRCS))
	@VIGIL_BIN=build/san/vigil VIGIL_QUICK=1 VIGIL_SANITIZER=1 bash tests/run_integration.sh

test: deps
	@bash scripts/install-deps.sh scripts/packages-containers.txt
	@bash tests/run_all.sh

run: deps
	$(MAKE) vigil
	@bash scripts/mount-kernel-fs.sh
	./vigil run

deps:
	@bash scripts/install-deps.sh

bench: deps
	@bash scripts/install-deps.sh scripts/packages-bench.txt
	$(MAKE) vigil
	@bash bench/run.sh
	@bash bench/attribution.sh
	@bash bench/rules.sh
	@bash bench/models.sh
	@bash bench/store.sh
	$(MAKE) $(OUT)/bench/enforce_latency
	@$(OUT)/bench/enforce_latency 300

clean:
	rm -rf build vigil
