/*
 * IPI mailboxes: one per hart, in PerCpu, bounded. A post puts a message
 * in the target's mailbox under its lock (percpu_remote, reason ipi_post)
 * and raises a supervisor software interrupt there; the target drains its
 * mailbox from the trap handler and handles every message exactly once.
 *
 *   reschedule  coalescing: one pending flag, however many posts
 *   call        run fn(arg) on the target; the caller may wait for done
 *   broadcast   run fn(arg) on every other hart; each acknowledges
 *   stop        the target leaves the scheduler and parks in wfi
 *
 * A full mailbox never loses a message: the post is rejected (IPI_FULL)
 * or, when the caller may wait, retried in wfi for a bounded time; both
 * are counted.
 */
#ifndef NEURON_SCHED_IPI_H
#define NEURON_SCHED_IPI_H

#include <stdbool.h>
#include <stdint.h>

#include <neuron/percpu.h>
#include <neuron/trace_contract.h>

#define MAILBOX_CAPACITY 8
#define MAILBOX_WAIT_MS 50

/* The kinds are part of the trace contract (h of the TRACE_IPI_* records). */
enum ipi_kind {
#define IPI__KIND(name, number, meaning) IPI_##name = number,
	IPI_KIND_LIST(IPI__KIND)
#undef IPI__KIND
	IPI_KIND_COUNT
};

enum ipi_result {
	IPI_OK = 0,
	IPI_COALESCED,   /* reschedule already pending: nothing new to send */
	IPI_FULL,        /* mailbox full (and waiting not allowed or timed out) */
};

/* Owned by the caller; must outlive the call. */
struct ipi_call {
	void (*fn)(void *arg);
	void *arg;
	uint32_t done;   /* set by the target after fn returned */
};

struct ipi_broadcast {
	void (*fn)(void *arg, unsigned hart);
	void *arg;
	uint32_t acks;      /* count of acknowledging harts */
	uint64_t ack_mask;  /* bit h: hart h acknowledged */
};

struct ipi_message {
	uint32_t kind;
	uint32_t seq;       /* per-mailbox sequence: exactly-once check */
	uint32_t sender_seq; /* the sender's count of messages to this target */
	unsigned from;
	uint32_t trace_id;  /* the sender's IPI id: pairs send, recv, handled */
	void *object;       /* struct ipi_call * or struct ipi_broadcast * */
};

/*
 * One hart's IPI mailbox. Every field below `lock` is read and written
 * only with `lock` held: by senders through percpu_remote_locked
 * (ipi_post), and by the owner's handler, which takes the queued messages
 * out under the lock and runs them after releasing it.
 */
struct ipi_mailbox {
	struct spinlock lock;
	uint32_t head, count;
	struct ipi_message ring[MAILBOX_CAPACITY];
	uint32_t resched_pending;
	/* The post that raised resched_pending: later posts coalesce into it,
	 * so its (sender, id) is the one the handler's records carry. */
	unsigned resched_from;
	uint32_t resched_trace_id;
	uint32_t paused;      /* test hook: the handler leaves messages queued */
	uint32_t next_seq;
	uint64_t posted[IPI_KIND_COUNT];
	uint64_t coalesced;
	uint64_t rejected_full;
};
PERCPU_DECLARE_LOCKED(struct ipi_mailbox, ipi_mailboxes, lock);

/* Per-hart counters: written by the owner (atomically), read by anyone.
 * The fields other harts read are _Atomic, so every access to them names
 * a memory order (the PerCpu atomic accessors refuse any other field). */
struct ipi_stats {
	_Atomic uint64_t handled[IPI_KIND_COUNT];
	_Atomic uint64_t ssi_traps;          /* supervisor software interrupts taken */
	_Atomic uint64_t sent;               /* SBI IPIs this hart sent */
	_Atomic uint64_t send_suppressed;    /* fault=ipi_send_suppressed */
	_Atomic uint64_t backpressure_waits; /* posts that waited for room */
	_Atomic uint64_t backpressure_rejects;
	_Atomic uint64_t seq_errors;         /* a message seen out of order or twice */
	uint32_t last_seq;
	/* Exactly once per (sender, target), from both ends: posted_to[t] on
	 * the sender counts messages it put in t's mailbox (numbered 1, 2, ...
	 * in sender_seq); handled_from[s] on the target counts messages from s
	 * it handled, each required to carry the next number. Reschedules are
	 * not messages (they coalesce) and are not counted here. */
	_Atomic uint32_t posted_to[NEURON_MAX_HARTS];
	_Atomic uint32_t handled_from[NEURON_MAX_HARTS];
	_Atomic uint64_t sender_seq_errors;  /* a sender's message skipped or repeated */
	_Atomic uint32_t stopped;
	uint32_t next_trace_id;      /* ids of the IPIs this hart sends (trace) */
};

/* A plain copy of one hart's ipi_stats counters, for reports (ipi_stats_of). */
struct ipi_stats_copy {
	uint64_t handled[IPI_KIND_COUNT];
	uint64_t ssi_traps;
	uint64_t sent;
	uint64_t send_suppressed;
	uint64_t backpressure_waits;
	uint64_t backpressure_rejects;
	uint64_t seq_errors;
	uint64_t sender_seq_errors;
	uint32_t stopped;
};
PERCPU_DECLARE(struct ipi_stats, ipi_stats);

/* Init phase only. */
void ipi_init_all(void);

/*
 * Posts one message. may_wait: when the mailbox is full, wait in wfi up
 * to MAILBOX_WAIT_MS for room (precondition then: interrupts on).
 * Precondition: hart != this hart, hart has an area.
 */
__attribute__((warn_unused_result)) enum ipi_result
ipi_post(unsigned hart, enum ipi_kind kind, void *object, bool may_wait);

/* Runs c->fn(c->arg) on hart, waits (bounded) for it. Interrupts on. */
bool ipi_call_and_wait(unsigned hart, struct ipi_call *c, uint32_t timeout_ms);

/* Runs b->fn on every other online hart, waits (bounded) for every ack.
 * Returns the number of harts it was posted to. Interrupts on. */
unsigned ipi_broadcast_and_wait(struct ipi_broadcast *b, uint32_t timeout_ms);

/* From the trap dispatcher (software interrupt), interrupts off. */
void ipi_handle(void);

/* Test hook: while paused, hart's handler leaves its mailbox alone. */
void ipi_set_paused(unsigned hart, bool paused);
/* Messages queued in hart's mailbox now. */
uint32_t ipi_queued(unsigned hart);

uint64_t ipi_stat_handled(unsigned hart, enum ipi_kind kind);
uint64_t ipi_stat_posted(unsigned hart, enum ipi_kind kind);
/* Supervisor software interrupts hart has taken (every one, whatever it carried). */
uint64_t ipi_stat_ssi_traps(unsigned hart);
struct ipi_stats_copy ipi_stats_of(unsigned hart);
/* Messages sender put in target's mailbox / target handled from sender. */
uint32_t ipi_pair_posted(unsigned sender, unsigned target);
uint32_t ipi_pair_handled(unsigned sender, unsigned target);

#endif
