/*
 * QEMU TCG plugin: counts guest instructions executed per vCPU and, given
 * a symbol table, per function (instructions inside the function's address
 * range, and entries: executions of a translation block that starts at the
 * function's first instruction).
 *
 *   -plugin ./libneuron-insn-count.so,symbols=FILE -d plugin -D LOG
 *
 * FILE: one function a line, "START END NAME" (hex addresses, END
 * exclusive), sorted by START, ranges not overlapping. Output (in LOG):
 *   vcpu N insns X
 *   total insns X
 *   sym NAME insns X entries Y        (functions that ran, in FILE order)
 * Counts are exact: each translation block adds its instruction count when
 * it executes. Under -icount QEMU runs the vCPUs round-robin on one thread;
 * the adds are atomic anyway so that a multi-threaded run is not corrupted.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_api.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MAX_VCPUS 64
#define MAX_NAME 96

struct symbol {
	uint64_t start, end;
	char name[MAX_NAME];
	uint64_t insns, entries;
};

/* What one translation block adds when it executes. */
struct block_part {
	int symbol;
	uint32_t insns;
};
struct block {
	uint64_t insns;
	int entered_symbol;	/* -1: the block does not start a function */
	unsigned n_parts;
	struct block_part parts[];
};

static uint64_t vcpu_insns[MAX_VCPUS];
static unsigned vcpu_limit = MAX_VCPUS;
static struct symbol *symbols;
static int n_symbols;

static void add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/* The symbol containing addr, or -1. */
static int symbol_at(uint64_t addr)
{
	int lo = 0, hi = n_symbols - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		if (addr < symbols[mid].start)
			hi = mid - 1;
		else if (addr >= symbols[mid].end)
			lo = mid + 1;
		else
			return mid;
	}
	return -1;
}

static void block_executed(unsigned int vcpu, void *userdata)
{
	const struct block *b = userdata;

	if (vcpu < vcpu_limit)
		add(&vcpu_insns[vcpu], b->insns);
	if (b->entered_symbol >= 0)
		add(&symbols[b->entered_symbol].entries, 1);
	for (unsigned i = 0; i < b->n_parts; i++)
		add(&symbols[b->parts[i].symbol].insns, b->parts[i].insns);
}

static void block_translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	(void)id;
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct block *b = calloc(1, sizeof(*b) + n * sizeof(b->parts[0]));

	if (b == NULL) {
		fprintf(stderr, "insn-count: out of memory translating a block\n");
		abort();
	}
	b->insns = n;
	b->entered_symbol = -1;
	for (size_t i = 0; i < n; i++) {
		uint64_t addr = qemu_plugin_insn_vaddr(qemu_plugin_tb_get_insn(tb, i));
		int s = symbol_at(addr);
		if (s < 0)
			continue;
		if (i == 0 && addr == symbols[s].start)
			b->entered_symbol = s;
		if (b->n_parts > 0 && b->parts[b->n_parts - 1].symbol == s)
			b->parts[b->n_parts - 1].insns++;
		else
			b->parts[b->n_parts++] = (struct block_part){ s, 1 };
	}
	qemu_plugin_register_vcpu_tb_exec_cb(tb, block_executed, QEMU_PLUGIN_CB_NO_REGS, b);
}

static void report(qemu_plugin_id_t id, void *userdata)
{
	(void)id;
	(void)userdata;
	char line[MAX_NAME + 96];
	uint64_t total = 0;

	for (unsigned v = 0; v < vcpu_limit; v++) {
		total += vcpu_insns[v];
		snprintf(line, sizeof(line), "vcpu %u insns %" PRIu64 "\n", v, vcpu_insns[v]);
		qemu_plugin_outs(line);
	}
	snprintf(line, sizeof(line), "total insns %" PRIu64 "\n", total);
	qemu_plugin_outs(line);
	for (int s = 0; s < n_symbols; s++) {
		if (symbols[s].insns == 0 && symbols[s].entries == 0)
			continue;
		snprintf(line, sizeof(line), "sym %s insns %" PRIu64 " entries %" PRIu64 "\n",
			 symbols[s].name, symbols[s].insns, symbols[s].entries);
		qemu_plugin_outs(line);
	}
}

/* Reads FILE (see the top comment); returns 0, or -1 after saying why. */
static int load_symbols(const char *path)
{
	FILE *f = fopen(path, "r");
	int capacity = 0, line_no = 0;
	char line[512];

	if (f == NULL) {
		fprintf(stderr, "insn-count: cannot open symbol file %s\n", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct symbol s = { 0 };
		line_no++;
		if (sscanf(line, "%" SCNx64 " %" SCNx64 " %95s", &s.start, &s.end, s.name) != 3 ||
		    s.end <= s.start ||
		    (n_symbols > 0 && s.start < symbols[n_symbols - 1].end)) {
			fprintf(stderr, "insn-count: %s:%d: expected sorted, non-overlapping "
				"'START END NAME'\n", path, line_no);
			fclose(f);
			return -1;
		}
		if (n_symbols == capacity) {
			capacity = capacity ? capacity * 2 : 256;
			symbols = realloc(symbols, (size_t)capacity * sizeof(*symbols));
			if (symbols == NULL) {
				fclose(f);
				return -1;
			}
		}
		symbols[n_symbols++] = s;
	}
	fclose(f);
	return 0;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	if (info->system_emulation && info->system.max_vcpus < MAX_VCPUS)
		vcpu_limit = (unsigned)info->system.max_vcpus;
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "symbols=", 8) == 0) {
			if (load_symbols(argv[i] + 8) != 0)
				return -1;
		} else {
			fprintf(stderr, "insn-count: unknown argument '%s' (expected symbols=FILE)\n",
				argv[i]);
			return -1;
		}
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, block_translated);
	qemu_plugin_register_atexit_cb(id, report, NULL);
	return 0;
}
