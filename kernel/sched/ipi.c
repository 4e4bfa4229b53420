#include <neuron/percpu_rule.h>

#include "arch/riscv/csr.h"
#include "arch/riscv/sbi.h"
#include "lib/panic.h"
#include "proof/fault.h"
#include "sched/ipi.h"
#include "sched/sched.h"
#include "smp/hart.h"
#include "smp/timer.h"
#include "trace/trace.h"

PERCPU_DEFINE_LOCKED(struct ipi_mailbox, ipi_mailboxes, lock);
PERCPU_DEFINE(struct ipi_stats, ipi_stats);

/* fault=early_completion: handled counts held back until the next IPI. */
static uint64_t late_counts[NEURON_MAX_HARTS][IPI_KIND_COUNT];

void ipi_init_all(void)
{
	PERCPU_INIT_TOKEN(t);
	percpu_for_each_hart(t, h) {
		struct ipi_mailbox *mb = percpu_init(t, ipi_mailboxes, h);
		spin_init(&mb->lock, "ipi_mailboxes.lock");
	}
}

#define STAT_ADD(field, n)                                                 \
	do {                                                               \
		PERCPU_GUARD(g_);                                          \
		percpu_local_fetch_add(g_, ipi_stats, field, (n), relaxed); \
	} while (0)

/* Raises the interrupt unless the fault switch suppresses it. */
static void kick(unsigned hart)
{
	if (FAULT_INJECTED(ipi_send_suppressed)) {
		STAT_ADD(send_suppressed, 1);
		return;
	}
	if (sbi_send_ipi_to(hart) == SBI_SUCCESS)
		STAT_ADD(sent, 1);
}

/*
 * The id the trace gives this hart's next IPI: per sender, so (sender, id)
 * names one message on its send, recv and handled records. Only taken for
 * a post that is really sent. Precondition: interrupts off.
 */
static uint32_t next_trace_id(void)
{
	PERCPU_GUARD_IRQS_OFF(g);
	uint32_t id = percpu_read(g, ipi_stats, next_trace_id) + 1;
	percpu_write(g, ipi_stats, next_trace_id, id);
	return id & TRACE_W_MAX;
}

/*
 * Numbers this hart's next message to target. Taken under the target's
 * mailbox lock with interrupts off, so numbers enter the mailbox in order.
 */
static uint32_t next_sender_seq(unsigned target)
{
	PERCPU_GUARD_IRQS_OFF(g);
	uint32_t n = percpu_local_load(g, ipi_stats, posted_to[target], relaxed) + 1;
	percpu_local_store(g, ipi_stats, posted_to[target], n, release);
	return n;
}

/* One attempt: IPI_OK, IPI_COALESCED or IPI_FULL. Never waits. */
static enum ipi_result try_post(unsigned hart, enum ipi_kind kind, void *object, unsigned from)
{
	enum ipi_result result = IPI_OK;

	percpu_remote_locked(ipi_mailboxes, hart, ipi_post, mb) {
		if (kind == IPI_RESCHED) {
			if (mb->resched_pending) {
				/* Coalesced: no interrupt is sent and nothing is recorded;
				 * the pending post's records stand for this one too. */
				mb->coalesced++;
				result = IPI_COALESCED;
			} else {
				mb->resched_pending = 1;
				mb->resched_from = from;
				mb->resched_trace_id = next_trace_id();
				mb->posted[kind]++;
				trace_ipi_send(hart, kind, mb->resched_trace_id);
			}
		} else if (mb->count == MAILBOX_CAPACITY) {
			mb->rejected_full++;
			result = FAULT_INJECTED(full_queue_accepts) ? IPI_OK : IPI_FULL;
		} else {
			uint32_t trace_id = next_trace_id();
			mb->ring[(mb->head + mb->count) % MAILBOX_CAPACITY] = (struct ipi_message){
				.kind = kind, .seq = ++mb->next_seq, .sender_seq = next_sender_seq(hart),
				.from = from, .trace_id = trace_id, .object = object,
			};
			mb->count++;
			mb->posted[kind]++;
			trace_ipi_send(hart, kind, trace_id);
		}
	}
	if (result == IPI_OK)
		kick(hart);
	return result;
}

struct room_wait {
	unsigned hart;
};

static bool has_room(const void *arg)
{
	unsigned hart = ((const struct room_wait *)arg)->hart;
	bool room = false;
	percpu_remote_locked(ipi_mailboxes, hart, ipi_post, mb)
		room = mb->count < MAILBOX_CAPACITY;
	return room;
}

enum ipi_result ipi_post(unsigned hart, enum ipi_kind kind, void *object, bool may_wait)
{
	unsigned from = hart_id();
	ASSERT(hart < NEURON_MAX_HARTS && hart != from && percpu_registered_area_base(hart));

	enum ipi_result r = try_post(hart, kind, object, from);
	if (r != IPI_FULL)
		return r;
	if (!may_wait) {
		STAT_ADD(backpressure_rejects, 1);
		return r;
	}
	/* Bounded: room appears when the target drains, within a tick or so. */
	STAT_ADD(backpressure_waits, 1);
	uint64_t deadline = timer_now() + timer_ms_to_time(MAILBOX_WAIT_MS);
	struct room_wait w = { hart };
	while (r == IPI_FULL && timer_now() < deadline) {
		timer_wait_until(has_room, &w, MAILBOX_WAIT_MS);
		r = try_post(hart, kind, object, from);
	}
	if (r == IPI_FULL)
		STAT_ADD(backpressure_rejects, 1);
	return r;
}

static bool call_done(const void *arg)
{
	return __atomic_load_n(&((const struct ipi_call *)arg)->done, __ATOMIC_ACQUIRE) != 0;
}

bool ipi_call_and_wait(unsigned hart, struct ipi_call *c, uint32_t timeout_ms)
{
	__atomic_store_n(&c->done, 0, __ATOMIC_RELAXED);
	if (ipi_post(hart, IPI_CALL, c, true) != IPI_OK)
		return false;
	return timer_wait_until(call_done, c, timeout_ms);
}

struct ack_wait {
	const struct ipi_broadcast *b;
	unsigned expected;
};

static bool all_acked(const void *arg)
{
	const struct ack_wait *w = arg;
	return __atomic_load_n(&w->b->acks, __ATOMIC_ACQUIRE) >= w->expected;
}

unsigned ipi_broadcast_and_wait(struct ipi_broadcast *b, uint32_t timeout_ms)
{
	unsigned me = hart_id(), posted = 0;
	__atomic_store_n(&b->acks, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&b->ack_mask, 0, __ATOMIC_RELAXED);
	sched_for_each_other_hart(h, me)
		if (ipi_post(h, IPI_BROADCAST, b, true) == IPI_OK)
			posted++;
	struct ack_wait w = { b, posted };
	timer_wait_until(all_acked, &w, timeout_ms);
	return posted;
}

/* Wakes a waiting sender now rather than at its next tick. */
static void wake_sender(unsigned from, unsigned me)
{
	if (from != me)
		if (ipi_post(from, IPI_RESCHED, NULL, false) == IPI_FULL)
			panic("reschedule post rejected: it only sets a flag");
}

/* The message's own work. Interrupts off. */
static void run_message(const struct ipi_message *m, unsigned me)
{
	switch (m->kind) {
	case IPI_CALL: {
		struct ipi_call *c = m->object;
		if (!FAULT_INJECTED(call_dropped))
			c->fn(c->arg);
		break;
	}
	case IPI_BROADCAST: {
		struct ipi_broadcast *b = m->object;
		b->fn(b->arg, me);
		break;
	}
	case IPI_STOP:
		break;
	default:
		panic("hart %u: mailbox message of unknown kind %u", me, m->kind);
	}
}

/* fault=broadcast_ack_lost: the highest joined hart other than the sender. */
static bool loses_broadcast_acks(unsigned me, unsigned from)
{
	return FAULT_INJECTED(broadcast_ack_lost) &&
	       me == sched_peer_of(from, sched_hart_count() - 2);
}

/* What the sender waits for: published after the handled count. */
static void complete_message(const struct ipi_message *m, unsigned me)
{
	switch (m->kind) {
	case IPI_CALL:
		__atomic_store_n(&((struct ipi_call *)m->object)->done, 1, __ATOMIC_RELEASE);
		wake_sender(m->from, me);
		break;
	case IPI_BROADCAST: {
		struct ipi_broadcast *b = m->object;
		if (!loses_broadcast_acks(me, m->from)) {
			__atomic_fetch_or(&b->ack_mask, 1ull << me, __ATOMIC_RELAXED);
			__atomic_fetch_add(&b->acks, 1, __ATOMIC_RELEASE);
		}
		wake_sender(m->from, me);
		break;
	}
	case IPI_STOP: {
		PERCPU_GUARD_IRQS_OFF(g);
		percpu_local_store(g, ipi_stats, stopped, 1, release);
		break;
	}
	default:
		break;
	}
}

static void handle_message(const struct ipi_message *m, unsigned me)
{
	PERCPU_GUARD_IRQS_OFF(g);
	trace_ipi_recv(m->from, m->kind, m->trace_id);
	uint32_t last = percpu_read(g, ipi_stats, last_seq);
	if (m->seq != last + 1) {
		percpu_local_fetch_add(g, ipi_stats, seq_errors, 1, relaxed);
		/* Only ipi_post numbers messages: a gap or a repeat means one was
		 * written into the mailbox some other way (or lost). Without this
		 * report the violation suite's mailbox_bypass case sees nothing:
		 * fault=no_mailbox_check shows it. */
		if (!FAULT_INJECTED(no_mailbox_check))
			/* violation-site: mailbox_bypass */
			percpu_rule_broken(ipi_mailboxes, me, PERCPU_DOMAIN_RULE,
					   "messages posted through ipi_post; sequence", m->seq);
	}
	/* A forged number below the last (0: none at all) leaves the count
	 * alone, so the next real message is not reported too. */
	if (m->seq > last)
		percpu_write(g, ipi_stats, last_seq, m->seq);
	/* Per sender: counted, not reported, since the mailbox check above
	 * already reports a message that did not come through ipi_post. */
	bool from_valid = m->from < NEURON_MAX_HARTS;
	uint32_t from_last = from_valid ? percpu_local_load(g, ipi_stats, handled_from[m->from], relaxed) : 0;
	if (from_valid && m->sender_seq != from_last + 1)
		percpu_local_fetch_add(g, ipi_stats, sender_seq_errors, 1, relaxed);

	/* Run it, count it, then complete it: whoever reads a count or sees
	 * the completion finds the work done (docs/scheduler.md, "Waits"). */
	run_message(m, me);
	if (from_valid && m->sender_seq > from_last)
		percpu_local_store(g, ipi_stats, handled_from[m->from], m->sender_seq, release);
	if (FAULT_INJECTED(early_completion)) {
		/* The broken order: completed now, counted only when the next
		 * interrupt arrives, so a waiter that reads the count at once
		 * misses it every time, not only when it races. */
		complete_message(m, me);
		late_counts[me][m->kind]++;
	} else {
		percpu_local_fetch_add(g, ipi_stats, handled[m->kind], 1, release);
		complete_message(m, me);
	}
	trace_ipi_handled(m->from, m->kind, m->trace_id);
}

void ipi_handle(void)
{
	struct ipi_message batch[MAILBOX_CAPACITY];
	uint32_t n = 0, resched = 0, resched_id = 0;
	unsigned me, resched_from = 0;

	{
		PERCPU_GUARD_IRQS_OFF(g);
		me = percpu_current_hart(&g);
		percpu_local_fetch_add(g, ipi_stats, ssi_traps, 1, relaxed);
		if (FAULT_INJECTED(early_completion)) {
			for (unsigned kind = 0; kind < IPI_KIND_COUNT; kind++) {
				if (late_counts[me][kind])
					percpu_local_fetch_add(g, ipi_stats, handled[kind], late_counts[me][kind],
							       release);
				late_counts[me][kind] = 0;
			}
		}
		struct ipi_mailbox *mb = percpu_local(g, ipi_mailboxes);
		spin_lock(&mb->lock);
		if (!mb->paused) {
			resched = mb->resched_pending;
			resched_from = mb->resched_from;
			resched_id = mb->resched_trace_id;
			mb->resched_pending = 0;
			for (; mb->count; mb->count--, n++) {
				batch[n] = mb->ring[mb->head];
				mb->head = (mb->head + 1) % MAILBOX_CAPACITY;
			}
		}
		spin_unlock(&mb->lock);
	}
	/* The lock is dropped before any fn runs: fn may post itself. */
	for (uint32_t i = 0; i < n; i++)
		handle_message(&batch[i], me);
	if (resched) {
		/* The post that raised the flag; coalesced posts sent nothing. */
		trace_ipi_recv(resched_from, IPI_RESCHED, resched_id);
		sched_note_resched();
		{
			/* Counted once noted: the count stands for a reschedule seen. */
			PERCPU_GUARD_IRQS_OFF(g);
			percpu_local_fetch_add(g, ipi_stats, handled[IPI_RESCHED], 1, release);
		}
		trace_ipi_handled(resched_from, IPI_RESCHED, resched_id);
	}
}

void ipi_set_paused(unsigned hart, bool paused)
{
	percpu_remote_locked(ipi_mailboxes, hart, ipi_post, mb)
		mb->paused = paused ? 1u : 0u;
	if (!paused)
		kick(hart);
}

uint32_t ipi_queued(unsigned hart)
{
	uint32_t n = 0;
	percpu_remote_locked(ipi_mailboxes, hart, stats, mb)
		n = mb->count;
	return n;
}

uint64_t ipi_stat_posted(unsigned hart, enum ipi_kind kind)
{
	uint64_t n = 0;
	percpu_remote_locked(ipi_mailboxes, hart, stats, mb)
		n = mb->posted[kind];
	return n;
}

uint64_t ipi_stat_handled(unsigned hart, enum ipi_kind kind)
{
	return percpu_remote_load(ipi_stats, hart, handled[kind], acquire, stats);
}

uint64_t ipi_stat_ssi_traps(unsigned hart)
{
	return percpu_remote_load(ipi_stats, hart, ssi_traps, acquire, stats);
}

struct ipi_stats_copy ipi_stats_of(unsigned hart)
{
	struct ipi_stats_copy s = { 0 };
	for (unsigned k = 0; k < IPI_KIND_COUNT; k++)
		s.handled[k] = ipi_stat_handled(hart, k);
	s.ssi_traps = percpu_remote_load(ipi_stats, hart, ssi_traps, acquire, stats);
	s.sent = percpu_remote_load(ipi_stats, hart, sent, acquire, stats);
	s.send_suppressed = percpu_remote_load(ipi_stats, hart, send_suppressed, acquire, stats);
	s.backpressure_waits = percpu_remote_load(ipi_stats, hart, backpressure_waits, acquire, stats);
	s.backpressure_rejects = percpu_remote_load(ipi_stats, hart, backpressure_rejects, acquire, stats);
	s.seq_errors = percpu_remote_load(ipi_stats, hart, seq_errors, acquire, stats);
	s.stopped = percpu_remote_load(ipi_stats, hart, stopped, acquire, stats);
	s.sender_seq_errors = percpu_remote_load(ipi_stats, hart, sender_seq_errors, acquire, stats);
	return s;
}

uint32_t ipi_pair_posted(unsigned sender, unsigned target)
{
	return percpu_remote_load(ipi_stats, sender, posted_to[target], acquire, stats);
}

uint32_t ipi_pair_handled(unsigned sender, unsigned target)
{
	return percpu_remote_load(ipi_stats, target, handled_from[sender], acquire, stats);
}
