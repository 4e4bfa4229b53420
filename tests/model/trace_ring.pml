/*
 * The trace ring's publish/consume protocol (trace/trace_ring.c,
 * docs/trace-format.md "Ring and publish protocol"): one writer, one
 * concurrent reader, a ring small enough that the writer laps it.
 *
 * spin interleaves whole statements under sequential consistency; what
 * this proves and what rests on the C11 release/acquire argument is in
 * docs/reliability.md ("Model check").
 *
 * Compile-time knobs (spin -D...):
 *   STOP_MODE     stop when full instead of overwriting the oldest
 *   BROKEN_NO_INVALIDATE   counterfactual: payload stored while the slot
 *                          still claims the record it replaces
 *   BROKEN_COMMIT_FIRST    counterfactual: seq and head committed before
 *                          the payload
 *   BROKEN_NO_RECHECK      counterfactual: the reader trusts its first
 *                          look at seq and does not re-check after the copy
 *
 * A record's payload is two words (meta, tw), both derived from its
 * number n, so the reader can tell a torn copy from a whole one: it may
 * accept record n only with meta == META(n) and tw == TW(n).
 */

#ifndef CAPACITY
#define CAPACITY 2
#endif
#ifndef RECORDS
#define RECORDS 5   /* attempts by the writer: laps a 2-slot ring twice */
#endif

/* seq is 8-bit here (32-bit in C): ~n in 8 bits is 255 - n. */
#define INVALID(n) (255 - (n))
#define META(n) ((n) * 3 + 1)
#define TW(n) ((n) * 5 + 2)
#define SLOT(n) ((n) % CAPACITY)

byte slot_seq[CAPACITY];
byte slot_meta[CAPACITY];
byte slot_tw[CAPACITY];
byte head = 0;      /* records written: seq of the next */
byte refused = 0;   /* stop-mode refusals */
bool writer_done = false;

/* What the reader saw. */
byte accepted = 0;
byte missed = 0;
short last_accepted = -1;
bool reader_done = false;

inline write_payload(n) {
	slot_meta[SLOT(n)] = META(n);
	slot_tw[SLOT(n)] = TW(n)
}

proctype writer()
{
	byte n, attempt = 0;
	do
	:: attempt < RECORDS ->
		n = head;
#ifdef STOP_MODE
		if
		:: n >= CAPACITY -> refused++; attempt++; goto next
		:: else -> skip
		fi;
#endif
#if defined(BROKEN_COMMIT_FIRST)
		slot_seq[SLOT(n)] = INVALID(n);
		slot_seq[SLOT(n)] = n;
		head = n + 1;
		write_payload(n);
#elif defined(BROKEN_NO_INVALIDATE)
		write_payload(n);
		slot_seq[SLOT(n)] = n;
		head = n + 1;
#else
		slot_seq[SLOT(n)] = INVALID(n);   /* invalidate */
		write_payload(n);                 /* release stores */
		slot_seq[SLOT(n)] = n;            /* commit (release) */
		head = n + 1;                     /* publish (release) */
#endif
		attempt++;
next:		skip
	:: else -> break
	od;
	writer_done = true
}

/* trace_reader_init at time 0 (next = 0), then trace_reader_next until
 * the writer is done and every written record is accounted for. */
proctype reader()
{
	byte next = 0, h, n, s1, s2, meta, tw;
	bool stop;
	do
	:: true ->
		stop = writer_done;     /* read before head: nothing after it is missed */
		h = head;
		if
		:: next >= h && stop -> break
		:: next >= h && !stop -> goto again
		:: else -> skip
		fi;
		if
		:: h - next > CAPACITY ->   /* overwritten before we got there */
			missed = missed + (h - CAPACITY - next);
			next = h - CAPACITY
		:: else -> skip
		fi;
		n = next;
		next++;
		/* copy_slot */
		s1 = slot_seq[SLOT(n)];
		if
		:: s1 != n -> missed++; goto again
		:: else -> skip
		fi;
		meta = slot_meta[SLOT(n)];
		tw = slot_tw[SLOT(n)];
#ifdef BROKEN_NO_RECHECK
		s2 = s1;
#else
		s2 = slot_seq[SLOT(n)];
#endif
		if
		:: s2 != n -> missed++; goto again
		:: else -> skip
		fi;
		/* Accepted: the copy must be record n, whole, and newer than the last. */
		assert(meta == META(n) && tw == TW(n));
		assert(n > last_accepted);
		last_accepted = n;
		accepted++;
again:		skip
	od;
	reader_done = true
}

init
{
	atomic { run writer(); run reader() }
	(writer_done && reader_done);
	/* Every attempt was written or refused, and every record written
	 * was accepted or counted missed, once: kept + dropped == produced. */
	assert(head + refused == RECORDS);
	assert(accepted + (missed + refused) == RECORDS);
#ifdef STOP_MODE
	assert(missed == 0 && refused == RECORDS - CAPACITY);
#endif
}
