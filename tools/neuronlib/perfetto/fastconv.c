/*
 * The converter's per-record loop in C (docs/reviewing-traces.md, "Encoder
 * choice, measured"): the k-way merge of the hart rings, record checks,
 * task-state / steal / IPI / idle / counter state and the protobuf
 * encoding of every packet, writing the same bytes as convert.py's
 * Python loop.
 *
 * A plain shared library with a small C ABI, loaded by ctypes
 * (fastpath.py); no Python C-API. Python keeps what is rare and
 * string-heavy: it builds each event template once (interning its names
 * on the hart's sequence) when this loop asks for it through the request
 * callback, and it writes the output handed to the write callback.
 *
 * Bad input never makes this code read outside the ring bytes it was
 * given: a record that fails the checks of tracefmt/dump.py stops the run
 * with FC_BAD_RECORD and Python re-reads that ring to raise the same
 * one-line DumpError.
 */
#define _DEFAULT_SOURCE	/* madvise */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <neuron/trace_record.h>

#define FC_API __attribute__((visibility("default")))

/* fc_run() results. */
enum { FC_OK = 0, FC_CALLBACK_FAILED = 1, FC_BAD_RECORD = 2, FC_BAD_SWITCH = 3, FC_NO_MEMORY = 4 };

/* Requests to Python; the numbers are shared with fastpath.py. */
enum {
	REQ_REMOTE = 1, REQ_UNCHECKED = 2, REQ_VIOLATION = 3, REQ_RUNQ = 4, REQ_STEAL_BEGIN = 5,
	REQ_STEAL_END = 6, REQ_SEND = 7, REQ_RECV = 8, REQ_HANDLED = 9, REQ_IDLE = 10,
	REQ_MARK = 11, REQ_COMM = 12, REQ_START = 13, REQ_INTERNED = 14, REQ_GENERIC = 15,
};

/* The most pieces a template has (a generic record's: the event and three argument heads). */
#define FC_PIECES 4

/* type_flags(): set for every known record type, beside its TF_ flags. */
#define FC_KNOWN 0x100u

/* Perfetto enum values (schema.py) and the converter's constants (convert.py). */
enum { SLICE_END = 2, COUNTER = 4 };
enum { ST_RUNNABLE = 2, ST_RUNNING = 3, ST_SLEEPING = 4, ST_DEAD = 7, ST_DESTROYED = 8 };
#define TID_OFFSET 1000
#define FIRST_HART_SEQUENCE 2
#define RUNQ_TRACK 0x2000
#define DROPS_TRACK 0x3000
#define IDLE_TRACK 0x4000
#define IDLE_TASK ((1u << 24) - 1)
#define IPI_FLOW_WINDOW (1 << 16)
#define FLUSH_AT 4096
#define MAX_PENDING_IPIS (1 << 16)

#define TIME_BITS TRACE_TIME_BITS
#define TIME_MASK TRACE_TIME_MASK
#define VAR_NONE 0xFFFF
#define SITE_NONE 0xFFFFF
#define MAX_HARTS 256	/* records name harts in 8 bits: dump.py refuses a larger max_harts */
#define FC_COUNT(name, number, meaning) + 1
#define SWITCH_STATES (0 TRACE_TASK_STATE_LIST(FC_COUNT))
#define TIME_WRAP_LIMIT (UINT64_C(1) << (TIME_BITS - 1))
#define TASK_SLOTS ((1u << 24) + TID_OFFSET)

/*
 * The C ABI (fastpath.py declares the same with ctypes). Both callbacks
 * return 0, or non-zero to stop the run with FC_CALLBACK_FAILED.
 * request: build template `request` for hart and arguments a, b, c and
 * hand its pieces over with fc_reply (at most FC_PIECES).
 */
typedef int (*fc_request_fn)(int64_t request, int64_t hart, int64_t a, int64_t b, int64_t c);
typedef int (*fc_write_fn)(const uint8_t *data, uint64_t len);
struct fc;
FC_API struct fc *fc_new(int nrings, uint64_t hz, uint64_t multiplier_ns, int keep_ticks,
			 int have_tables, uint64_t nvars, uint64_t nsites, uint64_t initial_chunks,
			 unsigned max_harts, fc_request_fn request, fc_write_fn write);
FC_API int fc_ring(struct fc *c, int i, int hart, const uint8_t *base, uint64_t kept,
		   int64_t produced, int64_t expected);
FC_API int fc_run(struct fc *c);
FC_API int fc_reply(struct fc *c, const uint8_t *data, uint64_t len);
FC_API void fc_info(const struct fc *c, int64_t out[5]);
FC_API void fc_free(struct fc *c);
FC_API void fc_drop_read_pages(struct fc *c, int drop);

struct buf {
	uint8_t *data;
	size_t len, cap;
};

struct ring {
	const uint8_t *base;	/* kept * 16 bytes of records */
	uint64_t kept, next;	/* next: index of the record to read */
	int64_t produced, expected;
	int hart;
	int have_prev;
	uint64_t dropped_upto;	/* bytes from base already given back */
	int64_t prev_seq;
	uint64_t prev_time40, time_high;
	/* The record read last. */
	int64_t seq;
	unsigned type, b, h, w;
	uint64_t time;
};

/* A template: up to FC_PIECES pieces, as Python replied. */
struct tmpl {
	uint64_t key;
	int used;
	unsigned npieces;
	uint32_t off[FC_PIECES + 1];
	uint8_t *data;
};
#define TMPL_SLOTS (1 << 14)	/* direct mapped: a miss only costs a request */

/* An IPI send packet whose flow is decided later (convert.py _HeldSend). */
struct held {
	uint64_t abs_index;	/* of its chunk */
	size_t byte_pos;	/* where it goes in the pending output */
	int flow;		/* -1 undecided, 0 no, 1 yes */
	unsigned sender, ipi_id;
	uint64_t flow_id;
	uint8_t *prefix;	/* 0x40 delta, sequence header, interned */
	size_t prefix_len;
	uint8_t event[48];
	size_t event_len;
	uint8_t *event_big;	/* when the event does not fit in event[] */
};

/* pending_ipis: an insertion-ordered map (sender, ipi id) -> send. */
struct pending {
	uint64_t key;
	uint64_t serial;	/* of the held send */
	uint64_t time;
	int flow;		/* copy, valid once the send left the queue */
	int32_t bucket_next, prev, next;
	int used;
};
#define PENDING_BUCKETS (1 << 17)

struct fc {
	fc_request_fn request;
	fc_write_fn write;
	int nrings;
	struct ring rings[MAX_HARTS];
	int heap[MAX_HARTS], heap_len;
	uint64_t hz, multiplier_ns;
	int keep_ticks, have_tables;
	int drop_read_pages;
	uintptr_t page_size;
	uint64_t nvars, nsites;
	unsigned max_harts;	/* the dump's: a hart field at or beyond it is refused */
	uint8_t has_section[MAX_HARTS];	/* a steal victim must be one of the dump's harts */

	/* Reply of the current request. */
	struct buf reply;
	uint32_t reply_off[FC_PIECES + 1];
	unsigned reply_pieces;

	/* Per hart (indexed by hart number). */
	uint8_t header[MAX_HARTS][4];
	size_t header_len[MAX_HARTS];
	uint64_t last[MAX_HARTS];
	int started[MAX_HARTS], need_interned[MAX_HARTS];
	int64_t last_seq[MAX_HARTS], dropped_seen[MAX_HARTS];
	uint64_t last_time_of[MAX_HARTS];
	int runq_value[MAX_HARTS];
	int steal_open[MAX_HARTS];
	unsigned steal_victim[MAX_HARTS], steal_id[MAX_HARTS];
	int idle_open[MAX_HARTS];
	int64_t produced_of[MAX_HARTS];
	uint64_t last_time;

	uint8_t *task_state;	/* tid -> state + 1, 0 = never seen */
	struct tmpl *tmpl;
	size_t tmpl_count;

	/* Output: chunks not yet written, held sends among them. */
	struct buf out;
	uint64_t n_chunks, chunk_base, flush_at;
	struct held *held;
	size_t held_cap, held_head, held_tail;	/* ring of serials [head, tail) */

	struct pending *pend;
	int32_t *buckets;
	int32_t pend_first, pend_last, pend_free;
	size_t pend_count;

	uint8_t scratch[512];
	struct buf big;		/* scratch for packets with long interned data */
	uint64_t records, packets;
	int64_t err_hart, err_index, err_value;
	int failed;
};

/* --- bytes ------------------------------------------------------------- */

static int buf_reserve(struct buf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 1 << 16;
	while (cap < b->len + more)
		cap *= 2;
	uint8_t *data = realloc(b->data, cap);
	if (!data)
		return -1;
	b->data = data;
	b->cap = cap;
	return 0;
}

/* Appends n bytes at p (p may be NULL when n is 0). */
static int buf_append(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (buf_reserve(b, n))
		return -1;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

/* Precondition: p has room for 10 bytes. */
static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static size_t put_uint(uint8_t *p, unsigned field, uint64_t v)
{
	size_t n = put_varint(p, (uint64_t)field << 3);
	return n + put_varint(p + n, v);
}

/* --- calls into Python ------------------------------------------------- */

FC_API int fc_reply(struct fc *c, const uint8_t *data, uint64_t len)
{
	if (c->reply_pieces >= FC_PIECES || buf_append(&c->reply, data, len))
		return -1;
	c->reply_off[++c->reply_pieces] = (uint32_t)c->reply.len;
	return 0;
}

static int ask(struct fc *c, int request, unsigned hart, int64_t a, int64_t b, int64_t d)
{
	c->reply.len = 0;
	c->reply_pieces = 0;
	c->reply_off[0] = 0;
	if (c->request(request, hart, a, b, d) != 0) {
		c->failed = FC_CALLBACK_FAILED;
		return -1;
	}
	if (request != REQ_COMM && request != REQ_START && request != REQ_INTERNED)
		c->need_interned[hart] = 1;
	return 0;
}

static uint64_t tmpl_key(int request, unsigned hart, unsigned a, unsigned b, unsigned w)
{
	return (uint64_t)request << 56 | (uint64_t)hart << 48 | (uint64_t)(a & 0xFF) << 40 |
	       (uint64_t)(b & 0xFFFF) << 24 | (w & 0xFFFFFF);
}

/* The cached template for a key, asking Python on a miss; NULL on failure. */
static struct tmpl *tmpl_get(struct fc *c, int request, unsigned hart, unsigned a, unsigned b, unsigned w)
{
	uint64_t key = tmpl_key(request, hart, a, b, w);
	uint64_t mix = (key ^ (key >> 31)) * UINT64_C(0x9E3779B97F4A7C15);
	struct tmpl *t = &c->tmpl[(mix ^ (mix >> 29)) >> (64 - 14)];
	if (t->used && t->key == key)
		return t;
	if (ask(c, request, hart, a, b, w))
		return NULL;
	uint8_t *data = malloc(c->reply.len ? c->reply.len : 1);
	if (!data) {
		c->failed = FC_NO_MEMORY;
		return NULL;
	}
	free(t->data);
	memcpy(data, c->reply.data, c->reply.len);
	t->data = data;
	t->key = key;
	t->used = 1;
	t->npieces = c->reply_pieces;
	memcpy(t->off, c->reply_off, sizeof t->off);
	return t;
}

static const uint8_t *piece(const struct tmpl *t, unsigned i, size_t *len)
{
	if (i >= t->npieces) {
		*len = 0;
		return t->data;
	}
	*len = t->off[i + 1] - t->off[i];
	return t->data + t->off[i];
}

/* --- output ------------------------------------------------------------ */

static struct held *held_at(struct fc *c, uint64_t serial)
{
	return &c->held[serial % c->held_cap];
}

static struct pending *pending_find(struct fc *c, uint64_t key)
{
	for (int32_t i = c->buckets[key % PENDING_BUCKETS]; i >= 0; i = c->pend[i].bucket_next)
		if (c->pend[i].key == key)
			return &c->pend[i];
	return NULL;
}

static void pending_remove(struct fc *c, struct pending *p)
{
	int32_t i = (int32_t)(p - c->pend);
	int32_t *link = &c->buckets[p->key % PENDING_BUCKETS];
	while (*link != i)
		link = &c->pend[*link].bucket_next;
	*link = p->bucket_next;
	if (p->prev >= 0)
		c->pend[p->prev].next = p->next;
	else
		c->pend_first = p->next;
	if (p->next >= 0)
		c->pend[p->next].prev = p->prev;
	else
		c->pend_last = p->prev;
	p->used = 0;
	p->bucket_next = c->pend_free;
	c->pend_free = i;
	c->pend_count--;
}

/* Precondition: key is not in the map and fewer than MAX_PENDING_IPIS entries. */
static void pending_add(struct fc *c, uint64_t key, uint64_t serial, uint64_t time)
{
	int32_t i = c->pend_free;
	struct pending *p = &c->pend[i];
	c->pend_free = p->bucket_next;
	p->key = key;
	p->serial = serial;
	p->time = time;
	p->flow = -1;
	p->used = 1;
	p->bucket_next = c->buckets[key % PENDING_BUCKETS];
	c->buckets[key % PENDING_BUCKETS] = i;
	p->prev = c->pend_last;
	p->next = -1;
	if (c->pend_last >= 0)
		c->pend[c->pend_last].next = i;
	else
		c->pend_first = i;
	c->pend_last = i;
	c->pend_count++;
}

/* The flow decision of a pending send, wherever it lives now. */
static int *pending_flow(struct fc *c, struct pending *p)
{
	if (p->serial >= c->held_head)
		return &held_at(c, p->serial)->flow;
	return &p->flow;
}

static int render_held(struct fc *c, struct buf *to, struct held *s)
{
	const uint8_t *event = s->event_big ? s->event_big : s->event;
	size_t event_len = s->event_len;
	uint8_t flow[16];
	size_t flow_len = s->flow == 1 ? put_uint(flow, 36, s->flow_id) : 0;
	size_t te = event_len + flow_len;
	size_t body = s->prefix_len + 1 + varint_len(te) + te;
	if (buf_reserve(to, body + 12))
		return -1;
	uint8_t *p = to->data + to->len;
	*p++ = 0x0a;
	p += put_varint(p, body);
	memcpy(p, s->prefix, s->prefix_len);
	p += s->prefix_len;
	*p++ = 0x5a;
	p += put_varint(p, te);
	memcpy(p, event, event_len);
	p += event_len;
	memcpy(p, flow, flow_len);
	p += flow_len;
	to->len = (size_t)(p - to->data);
	free(s->prefix);
	free(s->event_big);
	s->prefix = s->event_big = NULL;
	(void)c;
	return 0;
}

/* convert.py Converter._flush: write every chunk before the oldest undecided send. */
static int flush(struct fc *c, int final)
{
	uint64_t newest = c->chunk_base + c->n_chunks;
	uint64_t stop = c->held_head;
	while (stop < c->held_tail) {
		struct held *s = held_at(c, stop);
		if (!(final || s->flow != -1 || newest - s->abs_index > IPI_FLOW_WINDOW))
			break;
		if (s->flow == -1) {
			s->flow = 0;
			struct pending *p = pending_find(c, (uint64_t)s->sender << 32 | s->ipi_id);
			if (p && p->serial == stop)
				pending_remove(c, p);
		}
		struct pending *p = pending_find(c, (uint64_t)s->sender << 32 | s->ipi_id);
		if (p && p->serial == stop)
			p->flow = s->flow;
		stop++;
	}
	size_t limit = c->out.len;
	uint64_t upto = c->n_chunks;
	if (stop < c->held_tail) {
		limit = held_at(c, stop)->byte_pos;
		upto = held_at(c, stop)->abs_index - c->chunk_base;
	}
	/* The decided sends among the chunks to write are rendered in place. */
	struct buf staged = { 0 };
	size_t from = 0;
	int status = 0;
	for (uint64_t i = c->held_head; i < stop && status == 0; i++) {
		struct held *s = held_at(c, i);
		status = buf_append(&staged, c->out.data + from, s->byte_pos - from);
		from = s->byte_pos;
		if (status == 0)
			status = render_held(c, &staged, s);
	}
	c->held_head = stop;
	if (status == 0 && staged.len)
		status = buf_append(&staged, c->out.data + from, limit - from);
	if (status != 0) {
		free(staged.data);
		c->failed = FC_NO_MEMORY;
		return -1;
	}
	if (staged.len)
		status = c->write(staged.data, staged.len);
	else if (limit)
		status = c->write(c->out.data, limit);
	free(staged.data);
	if (status != 0) {
		c->failed = FC_CALLBACK_FAILED;
		return -1;
	}
	if (c->out.len > limit)
		memmove(c->out.data, c->out.data + limit, c->out.len - limit);
	c->out.len -= limit;
	for (uint64_t i = c->held_head; i < c->held_tail; i++)
		held_at(c, i)->byte_pos -= limit;
	c->n_chunks -= upto;
	c->chunk_base += upto;
	c->flush_at = c->n_chunks + FLUSH_AT;
	return 0;
}

static int chunk_done(struct fc *c)
{
	c->n_chunks++;
	if (c->n_chunks >= c->flush_at)
		return flush(c, 0);
	return 0;
}

/*
 * One packet on hart's sequence: time delta, sequence id, any names
 * interned since its last packet, then the payload (already a field).
 */
static int packet(struct fc *c, unsigned hart, uint64_t time, const uint8_t *payload, size_t len)
{
	uint64_t delta = time - c->last[hart];
	c->last[hart] = time;
	const uint8_t *interned = NULL;
	size_t interned_len = 0;
	if (c->need_interned[hart]) {
		c->need_interned[hart] = 0;
		if (ask(c, REQ_INTERNED, hart, 0, 0, 0))
			return -1;
		interned = c->reply.data;
		interned_len = c->reply.len;
	}
	size_t body = 1 + varint_len(delta) + c->header_len[hart] + interned_len + len;
	if (buf_reserve(&c->out, body + 12)) {
		c->failed = FC_NO_MEMORY;
		return -1;
	}
	uint8_t *p = c->out.data + c->out.len;
	*p++ = 0x0a;
	p += put_varint(p, body);
	*p++ = 0x40;
	p += put_varint(p, delta);
	memcpy(p, c->header[hart], c->header_len[hart]);
	p += c->header_len[hart];
	if (interned_len)
		memcpy(p, interned, interned_len);
	p += interned_len;
	memcpy(p, payload, len);
	p += len;
	c->out.len = (size_t)(p - c->out.data);
	c->packets++;
	return chunk_done(c);
}

/* TrackEvent (TracePacket field 11) around te_len bytes already at buf + 4. */
static int track_event_packet(struct fc *c, unsigned hart, uint64_t time, uint8_t *buf, size_t te_len)
{
	uint8_t head[8];
	size_t n = 1 + put_varint(head + 1, te_len);
	head[0] = 0x5a;
	uint8_t *start = buf + 4 - n;
	memcpy(start, head, n);
	return packet(c, hart, time, start, n + te_len);
}

/* --- records ----------------------------------------------------------- */

/*
 * Peak memory stays flat on big dumps: the pages of records already read
 * are given back (MADV_DONTNEED; the mapping is private and unmodified,
 * so a page touched again would be read from the file again).
 */
#define DROP_EVERY (1u << 20)

static void drop_read_pages(struct fc *c, struct ring *r)
{
	uint64_t done = r->next * 16;
	if (!c->drop_read_pages || done - r->dropped_upto < DROP_EVERY)
		return;
	uintptr_t start = (uintptr_t)r->base + r->dropped_upto;
	uintptr_t end = (uintptr_t)r->base + done;
	start = (start + c->page_size - 1) & ~(c->page_size - 1);
	end &= ~(c->page_size - 1);
	if (end > start)
		madvise((void *)start, end - start, MADV_DONTNEED);
	r->dropped_upto = done;
}

/* The flags of each record type, 0 for a number no type has. */
static unsigned type_flags(unsigned t)
{
	switch (t) {
#define FC_TYPE_FLAGS(name, number, flags, carries) case number: return (flags) | FC_KNOWN;
	TRACE_TYPE_LIST(FC_TYPE_FLAGS)
#undef FC_TYPE_FLAGS
	default: return 0;
	}
}

static int valid_type(unsigned t)
{
	return type_flags(t) != 0;
}

/* b is a hart of the dump (a violation's owner is not checked). */
static int b_is_hart(unsigned t)
{
	return (type_flags(t) & TF_HART_B) != 0;
}

/*
 * Reads ring r's next record into r's fields, with the checks of
 * dump.py _iter_records. Returns 1, 0 at the end, -1 on a bad record.
 */
static int ring_next(struct fc *c, struct ring *r)
{
	if (r->next >= r->kept)
		return 0;
	const uint8_t *p = r->base + r->next * 16;
	uint32_t seq32;
	uint16_t h;
	uint64_t tw;
	memcpy(&seq32, p, 4);
	memcpy(&h, p + 6, 2);
	memcpy(&tw, p + 8, 8);
	unsigned type = p[4], b = p[5];
	unsigned w = (unsigned)(tw >> TIME_BITS);
	int bad = !valid_type(type);
	if (!bad && b_is_hart(type) && b >= c->max_harts)
		bad = 1;
	if (!bad && (type_flags(type) & TF_VICTIM) && !c->has_section[b])
		bad = 1;
	if (!bad && type == TRACE_SWITCH && b >= SWITCH_STATES)
		bad = 1;
	if (!bad && c->have_tables && (type_flags(type) & TF_PERCPU)) {
		unsigned site = type == TRACE_VIOLATION ? (w & 0xFFFFF) : w;
		bad = (h != VAR_NONE && h >= c->nvars) || (site != SITE_NONE && site >= c->nsites);
	}
	int64_t seq = 0;
	if (!bad) {
		if (!r->have_prev) {
			seq = (int64_t)(((uint64_t)r->expected & ~UINT64_C(0xFFFFFFFF)) | seq32);
			if (seq - r->expected > (INT64_C(1) << 31))
				seq -= INT64_C(1) << 32;
			else if (r->expected - seq > (INT64_C(1) << 31))
				seq += INT64_C(1) << 32;
		} else {
			uint32_t step = seq32 - (uint32_t)r->prev_seq;
			bad = step == 0 || step >= (UINT32_C(1) << 31);
			seq = r->prev_seq + step;
		}
		if (!bad && (seq < 0 || seq >= r->produced))
			bad = 1;
	}
	uint64_t time40 = tw & TIME_MASK;
	/* Forward by less than half the 40-bit range, or it went backwards. */
	if (!bad && r->have_prev && ((time40 - r->prev_time40) & TIME_MASK) >= TIME_WRAP_LIMIT)
		bad = 1;
	if (bad) {
		c->err_hart = r->hart;
		c->err_index = (int64_t)r->next;
		c->failed = FC_BAD_RECORD;
		return -1;
	}
	if (r->have_prev && time40 < r->prev_time40)
		r->time_high += UINT64_C(1) << TIME_BITS;
	r->prev_time40 = time40;
	r->prev_seq = seq;
	r->have_prev = 1;
	r->next++;
	drop_read_pages(c, r);
	r->seq = seq;
	r->type = type;
	r->b = b;
	r->h = h;
	r->w = w;
	r->time = r->time_high | time40;
	return 1;
}

static int heap_less(struct fc *c, int x, int y)
{
	const struct ring *a = &c->rings[x], *b = &c->rings[y];
	return a->time < b->time || (a->time == b->time && a->hart < b->hart);
}

static void heap_down(struct fc *c, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < c->heap_len && heap_less(c, c->heap[l], c->heap[m]))
			m = l;
		if (r < c->heap_len && heap_less(c, c->heap[r], c->heap[m]))
			m = r;
		if (m == i)
			return;
		int t = c->heap[i];
		c->heap[i] = c->heap[m];
		c->heap[m] = t;
		i = m;
	}
}

/* --- scheduling -------------------------------------------------------- */

static int task_state_packet(struct fc *c, unsigned hart, uint64_t time, unsigned cpu, uint64_t tid,
			     unsigned state, const uint8_t *comm, size_t comm_len)
{
	uint8_t *s = c->scratch + 8;
	size_t n = 0;
	s[n++] = 0x08;
	n += put_varint(s + n, cpu);
	s[n++] = 0x18;
	n += put_varint(s + n, tid);
	s[n++] = 0x20;
	n += put_varint(s + n, state);
	size_t comm_field = comm ? 1 + varint_len(comm_len) + comm_len : 0;
	uint8_t head[16];
	size_t h = put_varint(head, (117u << 3) | 2);
	h += put_varint(head + h, n + comm_field);
	struct buf *big = &c->big;
	big->len = 0;
	if (buf_reserve(big, h + n + comm_field)) {
		c->failed = FC_NO_MEMORY;
		return -1;
	}
	memcpy(big->data, head, h);
	memcpy(big->data + h, s, n);
	size_t len = h + n;
	if (comm) {
		big->data[len++] = 0x12;
		len += put_varint(big->data + len, comm_len);
		memcpy(big->data + len, comm, comm_len);
		len += comm_len;
	}
	return packet(c, hart, time, big->data, len);
}

/* convert.py Converter._set_state. */
static int set_state(struct fc *c, unsigned hart, uint64_t time, unsigned task, unsigned state, unsigned cpu)
{
	uint64_t tid = (uint64_t)task + TID_OFFSET;
	unsigned previous = c->task_state[tid];	/* state + 1, 0 none */
	if (previous == ST_DEAD + 1) {
		if (state == ST_DEAD)
			return 0;
		if (task_state_packet(c, hart, time, cpu, tid, ST_DESTROYED, NULL, 0))
			return -1;
		previous = 0;
	}
	if (state == ST_RUNNING && previous == ST_RUNNING + 1) {
		if (task_state_packet(c, hart, time, cpu, tid, ST_RUNNABLE, NULL, 0))
			return -1;
	} else if (previous == state + 1 && state != ST_RUNNING) {
		return 0;
	}
	c->task_state[tid] = (uint8_t)(state + 1);
	if (previous == 0) {
		if (ask(c, REQ_COMM, hart, task, 0, 0))
			return -1;
		uint8_t comm[256];
		size_t len = c->reply.len;
		uint8_t *copy = len <= sizeof comm ? comm : malloc(len);
		if (!copy) {
			c->failed = FC_NO_MEMORY;
			return -1;
		}
		memcpy(copy, c->reply.data, len);
		int status = task_state_packet(c, hart, time, cpu, tid, state, copy, len);
		if (copy != comm)
			free(copy);
		return status;
	}
	return task_state_packet(c, hart, time, cpu, tid, state, NULL, 0);
}

static int do_switch(struct fc *c, struct ring *r, uint64_t time)
{
	unsigned hart = (unsigned)r->hart;
	if (r->b != 3) {
		static const int left[3] = { ST_RUNNABLE, ST_SLEEPING, ST_DEAD };
		if (r->b > 2) {
			c->err_hart = r->hart;
			c->err_value = r->b;
			c->failed = FC_BAD_SWITCH;
			return -1;
		}
		unsigned state = (unsigned)left[r->b];
		if (c->task_state[r->h + TID_OFFSET] == ST_RUNNING + 1 || state == ST_DEAD)
			if (set_state(c, hart, time, r->h, state, hart))
				return -1;
	}
	if (r->w != IDLE_TASK)
		return set_state(c, hart, time, r->w, ST_RUNNING, hart);
	return 0;
}

/* --- the hart tracks --------------------------------------------------- */

static int cached_packet(struct fc *c, int request, unsigned hart, uint64_t time, unsigned a,
			 unsigned b, unsigned w)
{
	struct tmpl *t = tmpl_get(c, request, hart, a, b, w);
	if (!t)
		return -1;
	size_t len;
	const uint8_t *p = piece(t, 0, &len);
	return packet(c, hart, time, p, len);
}

/* DebugAnnotation {name_iid, uint_value} as TrackEvent field 4. */
static size_t put_uint_arg(uint8_t *p, const uint8_t *head, size_t head_len, uint64_t value)
{
	size_t body = head_len + 1 + varint_len(value);
	size_t n = 0;
	p[n++] = 0x22;
	n += put_varint(p + n, body);
	memcpy(p + n, head, head_len);
	n += head_len;
	p[n++] = 0x18;
	return n + put_varint(p + n, value);
}

static int steal_close(struct fc *c, unsigned hart, uint64_t time, int taken)
{
	c->steal_open[hart] = 0;
	return cached_packet(c, REQ_STEAL_END, hart, time, taken < 0, taken < 0 ? 0 : (unsigned)taken, 0);
}

static int steal_begin(struct fc *c, struct ring *r, uint64_t time)
{
	unsigned hart = (unsigned)r->hart;
	if (c->steal_open[hart] && steal_close(c, hart, time, -1))
		return -1;
	struct tmpl *t = tmpl_get(c, REQ_STEAL_BEGIN, hart, r->b, 0, 0);
	if (!t)
		return -1;
	size_t vlen, tlen, hlen;
	const uint8_t *victim = piece(t, 0, &vlen), *thief = piece(t, 1, &tlen), *head = piece(t, 2, &hlen);
	uint64_t flow = ((uint64_t)r->seq << 9) | (uint64_t)hart << 1;
	uint8_t arg[64];
	size_t alen = put_uint_arg(arg, head, hlen, r->w);
	uint8_t *s = c->scratch;
	for (int end = 0; end < 2; end++) {
		const uint8_t *prefix = end ? thief : victim;
		size_t plen = end ? tlen : vlen;
		if (4 + plen + alen + 12 > sizeof c->scratch)
			return -1;
		size_t n = 4;
		memcpy(s + n, prefix, plen);
		n += plen;
		memcpy(s + n, arg, alen);
		n += alen;
		n += put_uint(s + n, end ? 42 : 36, flow);
		if (track_event_packet(c, hart, time, s, n - 4))
			return -1;
	}
	c->steal_open[hart] = 1;
	c->steal_victim[hart] = r->b;
	c->steal_id[hart] = r->w;
	return 0;
}

static uint64_t ipi_flow_id(unsigned sender, unsigned ipi_id)
{
	return (((uint64_t)ipi_id << 8 | sender) << 1) | 1;
}

static int ipi_send(struct fc *c, struct ring *r, uint64_t time)
{
	unsigned hart = (unsigned)r->hart;
	struct tmpl *t = tmpl_get(c, REQ_SEND, hart, r->b, r->h, 0);
	if (!t)
		return -1;
	size_t event_len;
	const uint8_t *event = piece(t, 0, &event_len);
	uint64_t delta = time - c->last[hart];
	c->last[hart] = time;
	size_t interned_len = 0;
	if (c->need_interned[hart]) {
		c->need_interned[hart] = 0;
		if (ask(c, REQ_INTERNED, hart, 0, 0, 0))
			return -1;
		interned_len = c->reply.len;
	}
	if (c->held_tail - c->held_head == c->held_cap) {
		/* Grow the ring of held sends, keeping serial % cap positions. */
		size_t cap = c->held_cap * 2;
		struct held *grown = calloc(cap, sizeof *grown);
		if (!grown) {
			c->failed = FC_NO_MEMORY;
			return -1;
		}
		for (uint64_t i = c->held_head; i < c->held_tail; i++)
			grown[i % cap] = *held_at(c, i);
		free(c->held);
		c->held = grown;
		c->held_cap = cap;
	}
	uint64_t serial = c->held_tail;
	struct held *s = held_at(c, serial);
	memset(s, 0, sizeof *s);
	s->prefix = malloc(12 + c->header_len[hart] + interned_len);
	if (!s->prefix) {
		c->failed = FC_NO_MEMORY;
		return -1;
	}
	size_t n = 0;
	s->prefix[n++] = 0x40;
	n += put_varint(s->prefix + n, delta);
	memcpy(s->prefix + n, c->header[hart], c->header_len[hart]);
	n += c->header_len[hart];
	if (interned_len)
		memcpy(s->prefix + n, c->reply.data, interned_len);
	s->prefix_len = n + interned_len;
	if (event_len > sizeof s->event) {
		s->event_big = malloc(event_len);
		if (!s->event_big) {
			c->failed = FC_NO_MEMORY;
			return -1;
		}
		memcpy(s->event_big, event, event_len);
	} else {
		memcpy(s->event, event, event_len);
	}
	s->event_len = event_len;
	s->flow = -1;
	s->sender = hart;
	s->ipi_id = r->w;
	s->flow_id = ipi_flow_id(hart, r->w);
	s->abs_index = c->chunk_base + c->n_chunks;
	s->byte_pos = c->out.len;
	c->held_tail++;

	uint64_t key = (uint64_t)hart << 32 | r->w;
	struct pending *stale = pending_find(c, key);
	if (stale) {
		int *flow = pending_flow(c, stale);
		if (*flow == -1)
			*flow = 0;
		pending_remove(c, stale);
	}
	if (c->pend_count >= MAX_PENDING_IPIS)
		pending_remove(c, &c->pend[c->pend_first]);
	pending_add(c, key, serial, time);
	c->packets++;
	return chunk_done(c);
}

static int ipi_recv(struct fc *c, struct ring *r, uint64_t time, int handled)
{
	unsigned hart = (unsigned)r->hart;
	uint64_t key = (uint64_t)r->b << 32 | r->w;
	struct pending *p = pending_find(c, key);
	int have_send = p != NULL, flow = 0;
	uint64_t send_time = 0;
	if (p) {
		int *f = pending_flow(c, p);
		if (*f == -1)
			*f = 1;
		flow = *f;
		send_time = p->time;
		if (handled)
			pending_remove(c, p);
	}
	struct tmpl *t = tmpl_get(c, handled ? REQ_HANDLED : REQ_RECV, hart, r->b, r->h, 0);
	if (!t)
		return -1;
	size_t elen, hlen;
	const uint8_t *event = piece(t, 0, &elen), *head = piece(t, 1, &hlen);
	uint8_t *s = c->scratch;
	if (4 + elen + hlen + 40 > sizeof c->scratch)
		return -1;
	size_t n = 4;
	memcpy(s + n, event, elen);
	n += elen;
	if (have_send) {
		n += put_uint_arg(s + n, head, hlen, (time - send_time) * c->multiplier_ns);
		if (flow == 1)
			n += put_uint(s + n, handled ? 42 : 36, ipi_flow_id(r->b, r->w));
	}
	return track_event_packet(c, hart, time, s, n - 4);
}

static int idle_end(struct fc *c, unsigned hart, uint64_t time)
{
	uint8_t s[16];
	size_t n = 2;
	n += put_uint(s + n, 9, SLICE_END);
	n += put_uint(s + n, 11, IDLE_TRACK + hart);
	s[0] = 0x5a;
	s[1] = (uint8_t)(n - 2);
	c->idle_open[hart] = 0;
	return packet(c, hart, time, s, n);
}

static int do_idle(struct fc *c, unsigned hart, uint64_t time, int enter)
{
	if (enter && c->idle_open[hart] && idle_end(c, hart, time))
		return -1;
	if (enter) {
		if (cached_packet(c, REQ_IDLE, hart, time, 0, 0, 0))
			return -1;
		c->idle_open[hart] = 1;
		return 0;
	}
	if (c->idle_open[hart])
		return idle_end(c, hart, time);
	return 0;
}

static int drops(struct fc *c, unsigned hart, uint64_t time, int64_t value)
{
	uint8_t s[32];
	size_t n = 2;
	n += put_uint(s + n, 9, COUNTER);
	n += put_uint(s + n, 11, DROPS_TRACK + hart);
	n += put_uint(s + n, 30, (uint64_t)value);
	s[0] = 0x5a;
	s[1] = (uint8_t)(n - 2);
	return packet(c, hart, time, s, n);
}

/* convert.py Converter._generic: an instant named after the type on the
 * hart's track, b, h and w its arguments. */
static int generic(struct fc *c, struct ring *r, uint64_t time)
{
	unsigned hart = (unsigned)r->hart;
	struct tmpl *t = tmpl_get(c, REQ_GENERIC, hart, r->type, 0, 0);
	if (!t)
		return -1;
	const unsigned values[3] = { r->b, r->h, r->w };
	size_t len;
	const uint8_t *event = piece(t, 0, &len);
	uint8_t *s = c->scratch;
	size_t n = 4;
	if (n + len > sizeof c->scratch)
		return -1;
	memcpy(s + n, event, len);
	n += len;
	for (unsigned i = 0; i < 3; i++) {
		const uint8_t *head = piece(t, 1 + i, &len);
		if (n + len + 24 > sizeof c->scratch)	/* an argument is its head and at most 24 bytes more */
			return -1;
		n += put_uint_arg(s + n, head, len, values[i]);
	}
	return track_event_packet(c, hart, time, s, n - 4);
}

static int record(struct fc *c, struct ring *r, uint64_t time)
{
	unsigned hart = (unsigned)r->hart;
	/*
	 * The cases are the types drawn their own way, convert.py's _HANDLERS;
	 * every other contract type takes default, the generic drawing, as in
	 * convert.py, so a type added to the contract needs no line here.
	 * That default costs -Wswitch's "type left unhandled", on purpose:
	 * unhandled is now a valid state. What the compiler still catches
	 * (the switch is on the enum): a case that is no contract type, a
	 * type given two cases. What it cannot, a type drawn its own way in
	 * one loop and generically in the other, tests/tools/test_contract.py
	 * catches by comparing these cases with _HANDLERS, and the
	 * identical-bytes test by converting every contract type in both.
	 */
	switch ((enum trace_type)r->type) {
	case TRACE_NONE:	/* never here: ring_next refuses it */
		break;
	case TRACE_REMOTE:
		return cached_packet(c, REQ_REMOTE, hart, time, r->b, r->h, r->w);
	case TRACE_UNCHECKED:
		return cached_packet(c, REQ_UNCHECKED, hart, time, r->b, r->h, r->w);
	case TRACE_VIOLATION:
		return cached_packet(c, REQ_VIOLATION, hart, time, r->b, r->h, r->w);
	case TRACE_RUNQ_LEN:
		if (c->runq_value[hart] == (int)r->h)
			return 0;
		c->runq_value[hart] = (int)r->h;
		return cached_packet(c, REQ_RUNQ, hart, time, 0, r->h, 0);
	case TRACE_SWITCH:
		return do_switch(c, r, time);
	case TRACE_WAKEUP:
		if (c->task_state[r->w + TID_OFFSET] == ST_RUNNING + 1)
			return 0;
		return set_state(c, hart, time, r->w, ST_RUNNABLE, r->b);
	case TRACE_TASK_NEW:
		return set_state(c, hart, time, r->w, ST_RUNNABLE, r->b);
	case TRACE_IPI_SEND:
		return ipi_send(c, r, time);
	case TRACE_IPI_RECV:
		return ipi_recv(c, r, time, 0);
	case TRACE_IPI_HANDLED:
		return ipi_recv(c, r, time, 1);
	case TRACE_STEAL_BEGIN:
		return steal_begin(c, r, time);
	case TRACE_STEAL_END:
		if (c->steal_open[hart] && c->steal_victim[hart] == r->b && c->steal_id[hart] == r->w)
			return steal_close(c, hart, time, (int)r->h);
		return 0;
	case TRACE_IDLE_ENTER:
	case TRACE_IDLE_EXIT:
		return do_idle(c, hart, time, r->type == TRACE_IDLE_ENTER);
	case TRACE_MARK:
		if (ask(c, REQ_MARK, hart, r->h, r->w, 0))
			return -1;
		{
			/* Copied: the packet may ask for interned names, reusing the reply. */
			struct buf copy = { 0 };
			if (buf_reserve(&copy, c->reply.len + 1)) {
				c->failed = FC_NO_MEMORY;
				return -1;
			}
			memcpy(copy.data, c->reply.data, c->reply.len);
			int status = packet(c, hart, time, copy.data, c->reply.len);
			free(copy.data);
			return status;
		}
	default:
		return generic(c, r, time);
	}
	return 0;
}

static uint64_t to_clock(const struct fc *c, uint64_t ticks)
{
	if (c->keep_ticks)
		return ticks;
	return (uint64_t)((unsigned __int128)ticks * 1000000000u / c->hz);
}

static int start_sequence(struct fc *c, unsigned hart, uint64_t time)
{
	if (ask(c, REQ_START, hart, (int64_t)time, 0, 0))
		return -1;
	if (buf_reserve(&c->out, c->reply.len)) {
		c->failed = FC_NO_MEMORY;
		return -1;
	}
	memcpy(c->out.data + c->out.len, c->reply.data, c->reply.len);
	c->out.len += c->reply.len;
	c->packets++;
	c->last[hart] = time;
	c->started[hart] = 1;
	return chunk_done(c);
}

/* convert.py Converter.run's loop body for the record at the heap's top. */
static int step(struct fc *c, struct ring *r)
{
	unsigned hart = (unsigned)r->hart;
	uint64_t time = to_clock(c, r->time);
	c->records++;
	if (!c->started[hart]) {
		if (start_sequence(c, hart, time))
			return -1;
		c->last_seq[hart] = r->seq;
		c->dropped_seen[hart] = r->seq;
		if (drops(c, hart, time, r->seq))
			return -1;
	} else {
		/* Time never goes backwards here: ring_next unwraps it. */
		int64_t gap = r->seq - c->last_seq[hart] - 1;
		if (gap > 0) {
			c->dropped_seen[hart] += gap;
			if (drops(c, hart, time, c->dropped_seen[hart]))
				return -1;
		}
		c->last_seq[hart] = r->seq;
	}
	c->last_time_of[hart] = time;
	c->last_time = time;
	return record(c, r, time);
}

static int finish(struct fc *c)
{
	uint64_t end = c->last_time;
	for (unsigned hart = 0; hart < MAX_HARTS; hart++) {
		if (!c->started[hart])
			continue;
		if (c->steal_open[hart] && steal_close(c, hart, end, -1))
			return -1;
		if (c->idle_open[hart] && idle_end(c, hart, end))
			return -1;
		int64_t trailing = c->produced_of[hart] - c->last_seq[hart] - 1;
		if (trailing > 0) {
			c->dropped_seen[hart] += trailing;
			if (drops(c, hart, end, c->dropped_seen[hart]))
				return -1;
		}
	}
	return flush(c, 1);
}

/* --- the C ABI (fastpath.py) ------------------------------------------- */

/*
 * A conversion of nrings rings. initial_chunks: packets the caller
 * already wrote (the track descriptors), which count for the flush
 * points as in convert.py.
 */
FC_API struct fc *fc_new(int nrings, uint64_t hz, uint64_t multiplier_ns, int keep_ticks,
			 int have_tables, uint64_t nvars, uint64_t nsites, uint64_t initial_chunks,
			 unsigned max_harts, fc_request_fn request, fc_write_fn write)
{
	if (nrings < 0 || nrings > MAX_HARTS || hz == 0 || max_harts > MAX_HARTS)
		return NULL;
	struct fc *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->nrings = nrings;
	c->hz = hz;
	c->multiplier_ns = multiplier_ns;
	c->keep_ticks = keep_ticks;
	c->have_tables = have_tables;
	c->nvars = nvars;
	c->nsites = nsites;
	c->max_harts = max_harts;
	c->request = request;
	c->write = write;
	c->n_chunks = initial_chunks;
	c->flush_at = FLUSH_AT;
	c->held_cap = 1024;
	c->task_state = calloc(TASK_SLOTS, 1);
	c->tmpl = calloc(TMPL_SLOTS, sizeof *c->tmpl);
	c->held = calloc(c->held_cap, sizeof *c->held);
	c->pend = calloc(MAX_PENDING_IPIS + 1, sizeof *c->pend);
	c->buckets = malloc(PENDING_BUCKETS * sizeof *c->buckets);
	/* Never NULL, so that copies of empty replies are plain memcpys. */
	int buffers = buf_reserve(&c->reply, 256) | buf_reserve(&c->out, 1 << 16);
	if (buffers || !c->task_state || !c->tmpl || !c->held || !c->pend || !c->buckets) {
		free(c->reply.data);
		free(c->out.data);
		free(c->task_state);
		free(c->tmpl);
		free(c->held);
		free(c->pend);
		free(c->buckets);
		free(c);
		return NULL;
	}
	for (int i = 0; i < PENDING_BUCKETS; i++)
		c->buckets[i] = -1;
	for (int i = 0; i <= MAX_PENDING_IPIS; i++)
		c->pend[i].bucket_next = i < MAX_PENDING_IPIS ? i + 1 : -1;
	c->pend_first = c->pend_last = -1;
	for (int h = 0; h < MAX_HARTS; h++) {
		c->runq_value[h] = -1;
		c->header_len[h] = put_uint(c->header[h], 10, (uint64_t)(FIRST_HART_SEQUENCE + h));
	}
	return c;
}

/*
 * Ring i (in the dump's order): hart, kept records at base (16 bytes
 * each, readable), produced, and the seq the first kept record is
 * nearest to (dump.py `expected`). Returns -1 on bad arguments.
 */
FC_API int fc_ring(struct fc *c, int i, int hart, const uint8_t *base, uint64_t kept,
		   int64_t produced, int64_t expected)
{
	if (i < 0 || i >= c->nrings || hart < 0 || (unsigned)hart >= c->max_harts)
		return -1;
	struct ring *r = &c->rings[i];
	memset(r, 0, sizeof *r);
	r->base = base;
	r->kept = kept;
	r->produced = produced;
	r->expected = expected;
	r->hart = hart;
	c->produced_of[hart] = produced;
	c->has_section[hart] = 1;
	return 0;
}

/* Converts every ring; FC_OK or why it stopped (fc_info has where). */
FC_API int fc_run(struct fc *c)
{
	c->heap_len = 0;
	for (int i = 0; i < c->nrings; i++) {
		int got = ring_next(c, &c->rings[i]);
		if (got < 0)
			return c->failed;
		if (got)
			c->heap[c->heap_len++] = i;
	}
	for (int i = c->heap_len / 2 - 1; i >= 0; i--)
		heap_down(c, i);
	while (c->heap_len) {
		struct ring *r = &c->rings[c->heap[0]];
		if (step(c, r))
			return c->failed ? c->failed : FC_NO_MEMORY;
		int got = ring_next(c, r);
		if (got < 0)
			return c->failed;
		if (!got)
			c->heap[0] = c->heap[--c->heap_len];
		heap_down(c, 0);
	}
	if (finish(c))
		return c->failed ? c->failed : FC_NO_MEMORY;
	return FC_OK;
}

/*
 * drop != 0: the ring bytes are a private file mapping the caller lets
 * this loop give back page by page once read (flat peak memory).
 */
FC_API void fc_drop_read_pages(struct fc *c, int drop)
{
	c->drop_read_pages = drop;
	long page = sysconf(_SC_PAGESIZE);
	c->page_size = page > 0 ? (uintptr_t)page : 4096;
}

/* records, packets, error hart, error record index (in its ring), error value. */
FC_API void fc_info(const struct fc *c, int64_t out[5])
{
	out[0] = (int64_t)c->records;
	out[1] = (int64_t)c->packets;
	out[2] = c->err_hart;
	out[3] = c->err_index;
	out[4] = c->err_value;
}

FC_API void fc_free(struct fc *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < TMPL_SLOTS; i++)
		free(c->tmpl[i].data);
	for (uint64_t i = c->held_head; i < c->held_tail; i++) {
		free(held_at(c, i)->prefix);
		free(held_at(c, i)->event_big);
	}
	free(c->tmpl);
	free(c->held);
	free(c->pend);
	free(c->buckets);
	free(c->task_state);
	free(c->reply.data);
	free(c->out.data);
	free(c->big.data);
	free(c);
}
