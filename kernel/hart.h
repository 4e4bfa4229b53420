/*
 * Hart-local state, kept in one place behind small accessors. Every
 * variable is a __thread object in the calling hart's per-hart area
 * (tp-relative). The PerCpu wrapper (percpu/) will replace the storage;
 * callers only see these functions.
 *
 * Single writer: each value is written only by its own hart; the
 * hart_remote_* readers are for self-tests and diagnostics and may see a
 * value one update old.
 */
#ifndef NEURON_HART_H
#define NEURON_HART_H

#include <stdint.h>

/* Initial value of a .tdata variable: proves the area copy happened. */
#define HART_AREA_MAGIC 0x6e6575726f6e4141ULL /* "neuronAA" */

/* Precondition: tp is this hart's area base. Called once per hart. */
void hart_init_this(unsigned hartid);

/* Precondition (all below): hart_init_this() ran on the calling hart. */
unsigned hart_id(void);
/* Like hart_id(), but -1 when called before tp exists (tp == 0). */
int hart_id_if_known(void);

/* What this hart is doing, for diagnostics ("boot", "idle", a test name). */
const char *hart_context(void);
void hart_set_context(const char *what);

uint64_t hart_timer_ticks(void);
void hart_count_timer_tick(void);
uint64_t hart_next_tick_time(void);
void hart_set_next_tick_time(uint64_t time);

void hart_count_ipi(void);
void hart_set_isolation_stamp(uint64_t value);

/* Another hart's values, read from its area. Precondition: hart < NEURON_MAX_HARTS. */
unsigned hart_remote_id(unsigned hart);
uint64_t hart_remote_area_magic(unsigned hart);
uint64_t hart_remote_timer_ticks(unsigned hart);
uint64_t hart_remote_ipis(unsigned hart);
uint64_t hart_remote_isolation_stamp(unsigned hart);

/* Offsets within an area (link-time, see PERCPU_TPREL_OFFSET). */
uintptr_t hart_id_offset(void);
uintptr_t hart_isolation_stamp_offset(void);
/* The address the calling hart's own code uses for its hart id. */
uintptr_t hart_id_address(void);

#endif
