/*
 * Audit checks (NEURON_AUDIT=1): what the compiler cannot prove, checked
 * at every access. Each failure is one line naming the accessing hart, the
 * owner hart, the variable, the access's file:line and what was missing;
 * then a panic, or (PERCPU_AUDIT_CONTINUE) a count and carry on.
 * Freestanding: no libc, so the line is formatted by hand.
 */
#include <neuron/percpu.h>
#include <neuron/percpu_rule.h>

#if NEURON_AUDIT

extern const struct percpu_var_desc __start_percpu_vars[] __attribute__((weak));
extern const struct percpu_var_desc __stop_percpu_vars[] __attribute__((weak));

void percpu__audit_set_area(unsigned hart, uintptr_t base);
void percpu__audit_attach(unsigned hart);
void percpu__audit_smp_begin(void);

static enum percpu_audit_mode audit_mode = PERCPU_AUDIT_PANIC;
static unsigned violation_count;
static unsigned unchecked_count;
static bool smp_started;

void percpu_audit_set_mode(enum percpu_audit_mode mode)
{
	__atomic_store_n(&audit_mode, mode, __ATOMIC_RELAXED);
}

unsigned percpu_audit_violation_count(void)
{
	return __atomic_load_n(&violation_count, __ATOMIC_RELAXED);
}

unsigned percpu_audit_unchecked_count(void)
{
	return __atomic_load_n(&unchecked_count, __ATOMIC_RELAXED);
}

/* Default seam for remote-access records; the trace ring overrides it. */
__attribute__((weak)) void percpu_record_remote(const struct percpu_remote_event *event)
{
	(void)event;
}

static unsigned self_hart(void);

__attribute__((weak)) uintptr_t
percpu_record_remote_allowed(const struct percpu_var_desc *var, unsigned owner_hart,
				       const struct spinlock *lock, const struct percpu_callsite *site,
				       uintptr_t slot)
{
	struct percpu_remote_event event = {
		.accessing_hart = self_hart(), .owner_hart = owner_hart, .var = var,
		.kind = (enum percpu_access_kind)site->kind, .reason = (enum percpu_reason)site->reason,
		.lock = lock, .site = site, .allowed = true,
	};
	percpu_record_remote(&event);
	return slot;
}

/* Default seam for violation records; the trace ring overrides it. */
__attribute__((weak)) void percpu_record_violation(const struct percpu_violation *violation)
{
	(void)violation;
}

/* ---- one-line formatting without libc ---- */

struct line_buf {
	char *text;
	unsigned size, len;
};

static void put_str(struct line_buf *b, const char *s)
{
	for (; s && *s && b->len + 1 < b->size; s++)
		b->text[b->len++] = *s;
	b->text[b->len] = '\0';
}

static void put_uint(struct line_buf *b, unsigned long v)
{
	char digits[24];
	int n = 0;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n && b->len + 1 < b->size)
		b->text[b->len++] = digits[--n];
	b->text[b->len] = '\0';
}

static void put_hart(struct line_buf *b, unsigned hart)
{
	if (hart == PERCPU_NO_HART)
		put_str(b, "none");
	else
		put_uint(b, hart);
}

/* Reads this hart's id without any check (used by the checks). */
/* The accessing hart, from its identity register: correct even when tp
 * (and so the self block) is poisoned. */
static unsigned self_hart(void)
{
	return percpu_arch_identity();
}

/*
 * Report a violation. `code` is what the trace records; `what` and `detail`
 * form the "missing" text people read. The
 * accessing hart is taken from the self block as it is.
 */
static void violation(enum percpu_violation_code code, unsigned owner, const char *var_name,
		      const char *file, unsigned line, const char *what, const char *detail,
		      unsigned long number)
{
	struct percpu_violation v = {
		.code = code, .accessing_hart = self_hart(), .owner_hart = owner,
		.var_name = var_name, .file = file, .line = line,
	};
	struct line_buf missing = { v.missing, sizeof v.missing, 0 };
	put_str(&missing, what);
	if (detail) {
		put_str(&missing, " ");
		put_str(&missing, detail);
	}
	if (number != (unsigned long)-1) {
		put_str(&missing, " ");
		put_uint(&missing, number);
	}

	char text[256];
	struct line_buf b = { text, sizeof text, 0 };
	put_str(&b, "percpu: violation: hart ");
	put_hart(&b, v.accessing_hart);
	put_str(&b, " accessed ");
	put_str(&b, var_name ? var_name : "?");
	put_str(&b, " of hart ");
	put_hart(&b, owner);
	put_str(&b, " at ");
	put_str(&b, file);
	put_str(&b, ":");
	put_uint(&b, line);
	put_str(&b, ": missing ");
	put_str(&b, v.missing);

	__atomic_fetch_add(&violation_count, 1, __ATOMIC_RELAXED);
	percpu_record_violation(&v);
	percpu_platform_report(&v, text);
	if (__atomic_load_n(&audit_mode, __ATOMIC_RELAXED) == PERCPU_AUDIT_PANIC)
		percpu_platform_panic(text);
}

#define NO_NUMBER ((unsigned long)-1)

/*
 * The base register must still point at this hart's area: a poisoned `tp`
 * would silently redirect every local access to someone else's data.
 * Returns false (after reporting) when it does not.
 */
static bool base_register_ok(const char *var_name, const char *file, unsigned line)
{
	/* Trust neither tp nor the self block it leads to: a tp pointing at
	 * another hart's area carries that hart's self block with it. */
	unsigned hart = percpu_arch_identity();
	if (hart == PERCPU_NO_HART || hart >= NEURON_MAX_HARTS) {
		violation(PERCPU_BAD_HART, PERCPU_NO_HART, var_name, file, line,
			  "an attached hart (percpu_hart_attach not called on this hart/thread)", NULL, NO_NUMBER);
		return false;
	}
	uintptr_t tp = percpu_arch_base_register();
	if (tp != percpu__area_bases[hart] || tp != percpu__self.base || percpu__self.hart != hart) {
		violation(PERCPU_BAD_BASE, hart, var_name, file, line,
			  "a base register pointing at this hart's area (tp poisoned or stale)", NULL, NO_NUMBER);
		return false;
	}
	return true;
}

unsigned percpu_current_hart_checked(void)
{
	/* Fast path (every spin_lock): tp xor the self block's key, written at
	 * attach as base xor identity word, is the identity word only when tp
	 * is the base this hart attached with; base_register_ok would pass. */
	uint64_t me = percpu_arch_identity_word();
	if (__builtin_expect(PERCPU_ARCH_LOAD_XOR_BASE(percpu__self,
			__builtin_offsetof(struct percpu_hart_self, key)) == me && me != 0, 1))
		return (unsigned)(me >> 32);
	if (!base_register_ok("percpu_current_hart", "?", 0))
		return PERCPU_NO_HART;
	return percpu__self.hart;
}

/* The key naming a guard in the self block and in the guard above it:
 * its address xor the area base (percpu.h); 0 xor base ends the chain. */
static uint64_t chain_key(const struct percpu_guard *guard)
{
	return (uint64_t)(uintptr_t)guard ^ percpu__self.base;
}

/* The hart a guard was taken on: its serial's top bits, or for a guard
 * whose acquisition failed (serial 0), the hart recorded then. */
static unsigned guard_hart(const struct percpu_guard *guard)
{
	return guard->serial ? (unsigned)(guard->serial >> PERCPU_SERIAL_HART_SHIFT) : guard->hart;
}

/* ---- areas, attach, phase ---- */

static void stamp_area(unsigned hart, uintptr_t base)
{
	for (const struct percpu_var_desc *d = __start_percpu_vars; d && d < __stop_percpu_vars; d++) {
		struct percpu_stamp *stamp = (struct percpu_stamp *)(base + d->area_offset());
		stamp->magic = PERCPU_STAMP_MAGIC;
		stamp->owner = hart;
	}
}

void percpu__audit_set_area(unsigned hart, uintptr_t base)
{
	if (__atomic_load_n(&smp_started, __ATOMIC_ACQUIRE))
		violation(PERCPU_INIT_PHASE_OVER, hart, "percpu area", "percpu_platform_set_area", 0,
			  "the init phase (areas are set before percpu_smp_begin)", NULL, NO_NUMBER);
	if (hart >= NEURON_MAX_HARTS || base == 0 || (base & 63) != 0) {
		violation(PERCPU_BAD_HART, hart, "percpu area", "percpu_platform_set_area", 0,
			  "a hart below NEURON_MAX_HARTS and a non-null 64-byte aligned base", NULL, NO_NUMBER);
		return;
	}
	stamp_area(hart, base);
}

void percpu__audit_attach(unsigned hart)
{
	percpu_arch_set_identity(hart);
	percpu__self.magic = PERCPU_SELF_MAGIC;
	percpu__self.base = percpu_arch_base_register();
	percpu__self.guard_depth = 0;
	percpu__self.next_serial = PERCPU_FIRST_SERIAL(hart);
	percpu__self.identity = PERCPU_IDENTITY_WORD(hart);
	percpu__self.key = percpu__self.base ^ PERCPU_IDENTITY_WORD(hart);
	percpu__self.top_key = chain_key(NULL);
	if (hart >= NEURON_MAX_HARTS || percpu__area_bases[hart] != percpu__self.base)
		violation(PERCPU_BAD_BASE, hart, "percpu area", "percpu_hart_attach", 0,
			  "an area set for this hart equal to the base register", NULL, NO_NUMBER);
}

void percpu__audit_smp_begin(void)
{
	__atomic_store_n(&smp_started, true, __ATOMIC_RELEASE);
}

void percpu__audit_reset_phase_for_test(void);
void percpu__audit_reset_phase_for_test(void)
{
	__atomic_store_n(&smp_started, false, __ATOMIC_RELEASE);
}

/* Test hook: the next guard taken on this hart gets `serial` (tests start
 * it near 2^32 to show serials do not wrap there). */
void percpu__audit_set_next_guard_serial_for_test(uint64_t serial);
void percpu__audit_set_next_guard_serial_for_test(uint64_t serial)
{
	percpu__self.next_serial = serial;
}

/* ---- guards ---- */

/*
 * The link that names `guard` in this hart's chain of live guards: the
 * self block's top_key, or the below_key of the guard above it; NULL when
 * it is not in the chain. With `by_serial`, a guard with the same serial
 * (a copy of a live guard) counts as found, as the serial always did.
 * The walk trusts no link: it follows only aligned addresses in the
 * PERCPU_GUARD_SPAN bytes above its own frame (the guards live in its
 * callers' frames, in any order within one frame), at most
 * PERCPU_GUARD_DEPTH links, so a chain left holding a dead frame by a
 * misuse (a guard released on another hart) ends the walk instead of
 * leading into memory that is not a guard. A walk that reaches the end
 * of the chain records its length in guard_depth.
 */
static __attribute__((noinline)) uint64_t *chain_find(const struct percpu_guard *guard, bool by_serial)
{
	const uintptr_t low = (uintptr_t)__builtin_frame_address(0);
	const uintptr_t high = low + PERCPU_GUARD_SPAN;
	uint64_t *link = &percpu__self.top_key;
	uint32_t depth = 0;
	for (;;) {
		uintptr_t p = (uintptr_t)(*link ^ percpu__self.base);
		if (p == 0) {
			percpu__self.guard_depth = depth;
			return NULL;
		}
		if (depth == PERCPU_GUARD_DEPTH || p < low || p >= high ||
		    p % _Alignof(struct percpu_guard) != 0)
			return NULL;
		struct percpu_guard *live = (struct percpu_guard *)p;
		if (live == guard || (by_serial && guard->serial != 0 && live->serial == guard->serial))
			return link;
		depth++;
		link = &live->below_key;
	}
}

void percpu__audit_guard_acquire(struct percpu_guard *guard, const struct percpu_guard_site *site)
{
	const char *file = site->file;
	unsigned line = site->line;
	guard->hart = self_hart();
	guard->serial = 0;
	if (site->irqs_were_off && percpu_arch_irqs_enabled())
		violation(PERCPU_IRQS_ON, guard->hart, "guard", file, line,
			  "interrupts off (PERCPU_GUARD_IRQS_OFF with interrupts enabled)", NULL, NO_NUMBER);
	if (!base_register_ok("guard", file, line))
		return;
	guard->serial = percpu__self.next_serial++;
	guard->below_key = percpu__self.top_key;
	percpu__self.top_key = chain_key(guard);
}

/* Guards end in reverse order of acquisition (the cleanup attribute does
 * that); anything else means a guard was copied or smuggled. A guard
 * released out of order is unlinked from the chain after the report: its
 * frame ends with its block. */
void percpu__audit_guard_release(struct percpu_guard *guard, const struct percpu_guard_site *site)
{
	unsigned hart = self_hart();
	if (guard->serial == 0)
		return;	/* acquisition already reported */
	if (guard_hart(guard) != hart) {
		violation(PERCPU_STALE_GUARD, guard_hart(guard), "guard", site->file,
			  site->line, "release on the hart that took the guard", NULL, NO_NUMBER);
		return;
	}
	uint64_t *link = chain_find(guard, false);
	if (link != &percpu__self.top_key) {
		violation(PERCPU_STALE_GUARD, hart, "guard", site->file, site->line,
			  "release in reverse order of acquisition; guard serial", NULL, guard->serial);
		if (link)
			*link = guard->below_key;
		return;
	}
	percpu__self.top_key = guard->below_key;
}

static bool guard_live(const struct percpu_guard *guard)
{
	if (guard_hart(guard) != self_hart() || guard->serial == 0)
		return false;
	return chain_find(guard, true) != NULL;
}

/* ---- local access ---- */

static void check_guard_at(const struct percpu_guard *guard, const char *var_name,
			   unsigned owner, const char *file, unsigned line)
{
	/* Serial 0 is no guard's: a forged or uninitialised one, whatever
	 * hart its other bytes seem to name. */
	if (guard->serial == 0)
		violation(PERCPU_STALE_GUARD, owner, var_name, file, line,
			  "a live guard (this one was never taken); guard serial", NULL, 0);
	else if (guard_hart(guard) != self_hart())
		violation(PERCPU_STALE_GUARD, owner, var_name, file, line,
			  "a guard taken on this hart; guard belongs to hart", NULL, guard_hart(guard));
	else if (!guard_live(guard))
		violation(PERCPU_STALE_GUARD, owner, var_name, file, line,
			  "a live guard (used after its block ended, or a copy); guard serial", NULL,
			  guard->serial);
	else if (percpu_arch_irqs_enabled())
		violation(PERCPU_IRQS_ON, owner, var_name, file, line,
			  "interrupts off under the guard (re-enabled inside it)", NULL, NO_NUMBER);
}

static void check_guard(const struct percpu_guard *guard, const struct percpu_var_desc *var,
			unsigned owner, const struct percpu_callsite *site)
{
	check_guard_at(guard, var->name, owner, site->file, site->line);
}

/* percpu_assert_no_guard found a live guard on this hart (or tp is not
 * this hart's area: then that is the report). The guard is left live:
 * its own release, where its block ends, stays in order. */
void percpu__audit_guard_live(const char *what, const char *file, unsigned line)
{
	if (!base_register_ok("guard", file, line))
		return;
	violation(PERCPU_STALE_GUARD, self_hart(), "guard", file, line, what, NULL, NO_NUMBER);
}

/* percpu_current_hart(&g): the answer is only as good as the guard. */
unsigned percpu__audit_current_hart(const struct percpu_guard *guard, const char *file,
				   unsigned line)
{
	if (!base_register_ok("percpu_current_hart", file, line))
		return PERCPU_NO_HART;
	unsigned hart = percpu__self.hart;
	check_guard_at(guard, "percpu_current_hart", hart, file, line);
	return hart;
}

void percpu__audit_local(const struct percpu_guard *guard, const struct percpu_var_desc *var,
			 const struct percpu_stamp *stamp, const struct percpu_callsite *site)
{
	if (!base_register_ok(var->name, site->file, site->line))
		return;
	unsigned hart = percpu__self.hart;
	if (stamp->magic != PERCPU_STAMP_MAGIC || stamp->owner != hart) {
		bool stamped = stamp->magic == PERCPU_STAMP_MAGIC;
		violation(stamped ? PERCPU_WRONG_OWNER : PERCPU_BAD_STAMP,
			  stamped ? stamp->owner : PERCPU_NO_HART, var->name, site->file, site->line,
			  "an instance stamped for this hart (area not set, or overwritten)", NULL, NO_NUMBER);
		return;
	}
	check_guard(guard, var, hart, site);
}

void percpu__audit_local_ptr(const struct percpu_guard *guard, const struct percpu_var_desc *var,
			     const void *instance, const struct percpu_callsite *site)
{
	const struct percpu_stamp *stamp =
		(const struct percpu_stamp *)((uintptr_t)instance - var->value_offset);
	unsigned owner = stamp->magic == PERCPU_STAMP_MAGIC ? stamp->owner : PERCPU_NO_HART;
	if (!base_register_ok(var->name, site->file, site->line))
		return;
	if (owner != percpu__self.hart) {
		violation(PERCPU_WRONG_OWNER, owner, var->name, site->file, site->line,
			  "a pointer to this hart's instance (kept past its guard, or migrated)", NULL,
			  NO_NUMBER);
		return;
	}
	check_guard(guard, var, owner, site);
}

/* percpu_write by the owner of a locked variable without its lock. */
void percpu__audit_owner_unlocked(const struct percpu_var_desc *var,
				  const struct percpu_callsite *site)
{
	violation(PERCPU_NO_LOCK, self_hart(), var->name, site->file, site->line,
		  "its own lock held by this hart for the owner's write:", var->lock_name, NO_NUMBER);
}

/* ---- remote access ---- */

static uintptr_t slot_of(const struct percpu_var_desc *var, unsigned hart,
			 const struct percpu_callsite *site, bool *ok)
{
	*ok = false;
	uintptr_t own = percpu__area_bases[self_hart() < NEURON_MAX_HARTS ? self_hart() : 0];
	if (hart >= NEURON_MAX_HARTS || percpu__area_bases[hart] == 0) {
		violation(PERCPU_BAD_HART, hart, var->name, site->file, site->line,
			  "a target hart that has an area; hart", NULL, hart);
		/* Carry on (continue mode) against our own instance, never wild memory. */
		return own + var->area_offset();
	}
	uintptr_t slot = percpu__area_bases[hart] + var->area_offset();
	const struct percpu_stamp *stamp = (const struct percpu_stamp *)slot;
	if (stamp->magic != PERCPU_STAMP_MAGIC || stamp->owner != hart) {
		violation(stamp->magic == PERCPU_STAMP_MAGIC ? PERCPU_WRONG_OWNER : PERCPU_BAD_STAMP,
			  hart, var->name, site->file, site->line,
			  "an instance stamped for the target hart", NULL, NO_NUMBER);
		return slot;
	}
	*ok = true;
	return slot;
}

/* Every remote check the fast path below does not pass: finds and reports
 * what is wrong, then records the access. */
static __attribute__((noinline)) uintptr_t
remote_slow(const struct percpu_var_desc *var, unsigned hart, const struct spinlock *held,
	    const struct percpu_callsite *site)
{
	enum percpu_reason reason = (enum percpu_reason)site->reason;
	bool ok;
	uintptr_t slot = slot_of(var, hart, site, &ok);
	if (ok && site->kind != PERCPU_ACCESS_ATOMIC) {
		const struct spinlock *expected =
			(const struct spinlock *)(slot + var->value_offset + (uintptr_t)var->lock_offset);
		if (var->lock_offset < 0) {
			violation(PERCPU_NO_LOCK, hart, var->name, site->file, site->line,
				  "a protecting lock declared for the variable", NULL, NO_NUMBER);
			ok = false;
		} else if (held != expected) {
			violation(PERCPU_WRONG_LOCK, hart, var->name, site->file, site->line,
				  "the variable's own lock: pass and hold", var->lock_name, NO_NUMBER);
			ok = false;
		} else if (!spin_held_by_current_hart(expected)) {
			/* Not held at all is a missing lock; held by someone else, the
			 * right lock on the wrong hart. */
			bool locked = atomic_load_explicit(&expected->locked, memory_order_relaxed);
			violation(locked ? PERCPU_LOCK_OTHER_HART : PERCPU_NO_LOCK, hart, var->name,
				  site->file, site->line, "lock held by this hart:", var->lock_name,
				  NO_NUMBER);
			ok = false;
		}
	}
	struct percpu_remote_event event = {
		.accessing_hart = self_hart(), .owner_hart = hart, .var = var,
		.kind = (enum percpu_access_kind)site->kind, .reason = reason,
		.lock = held, .site = site, .allowed = ok,
	};
	percpu_record_remote(&event);
	return slot;
}

/*
 * The remote check's fast path: this hart attached (identity word valid),
 * a target hart with an area, its instance stamped for it (magic and
 * owner in one 64-bit compare, as the local check does), and for a locked
 * access the variable's own lock passed and held by this hart. Then the
 * access is recorded, allowed, with no further check. Anything else goes
 * to remote_slow, which reports exactly as before.
 */
uintptr_t percpu__audit_remote(const struct percpu_var_desc *var, unsigned hart,
			       const struct spinlock *held, const struct percpu_callsite *site,
			       uintptr_t offset, long lock_delta)
{
	uint64_t me = percpu_arch_identity_word();
	if (__builtin_expect(hart >= NEURON_MAX_HARTS || (uint32_t)me != PERCPU_STAMP_MAGIC, 0))
		return remote_slow(var, hart, held, site);
	uintptr_t base = percpu__area_bases[hart];
	if (__builtin_expect(base == 0, 0))
		return remote_slow(var, hart, held, site);
	uintptr_t slot = base + offset;
	unsigned self = (unsigned)(me >> 32);
	if (__builtin_expect(*(const uint64_t *)slot != PERCPU_IDENTITY_WORD(hart), 0))
		return remote_slow(var, hart, held, site);
	/* A locked access: the variable's own lock (lock_delta is its
	 * offset, so a variable without a lock fails here too), passed and
	 * held by this hart. */
	if (lock_delta != PERCPU__LOCK_NOT_CHECKED &&
	    __builtin_expect(held != (const struct spinlock *)(slot + (uintptr_t)lock_delta) ||
			     lock_delta < 0 ||
			     !atomic_load_explicit(&held->locked, memory_order_relaxed) ||
			     atomic_load_explicit(&held->holder, memory_order_relaxed) != self, 0))
		return remote_slow(var, hart, held, site);
	return percpu_record_remote_allowed(var, hart, held, site, slot);
}

uintptr_t percpu__audit_init(const struct percpu_init_token *token,
			     const struct percpu_var_desc *var, unsigned hart,
			     const struct percpu_callsite *site)
{
	bool ok;
	uintptr_t slot = slot_of(var, hart, site, &ok);
	if (token->serial == 0 || __atomic_load_n(&smp_started, __ATOMIC_ACQUIRE)) {
		violation(PERCPU_INIT_PHASE_OVER, hart, var->name, site->file, site->line,
			  "the init phase (init token used after percpu_smp_begin)", NULL, NO_NUMBER);
		ok = false;
	}
	struct percpu_remote_event event = {
		.accessing_hart = self_hart(), .owner_hart = hart, .var = var,
		.kind = PERCPU_ACCESS_INIT, .reason = PERCPU_REASON_INIT,
		.lock = NULL, .site = site, .allowed = ok,
	};
	percpu_record_remote(&event);
	return slot;
}

void percpu__audit_init_token(struct percpu_init_token *token, const char *file, unsigned line)
{
	token->serial = 1;
	if (__atomic_load_n(&smp_started, __ATOMIC_ACQUIRE)) {
		token->serial = 0;
		violation(PERCPU_INIT_PHASE_OVER, self_hart(), "init token", file, line,
			  "the init phase (PERCPU_INIT_TOKEN after percpu_smp_begin)", NULL, NO_NUMBER);
	}
}

/* Strict: an escape-hatch use is also a violation (the violation suite's
 * escape_hatch case); otherwise it is only counted. */
static bool unchecked_strict;

void percpu_audit_set_unchecked_strict(bool strict)
{
	__atomic_store_n(&unchecked_strict, strict, __ATOMIC_RELAXED);
}

/* percpu_rule.h: a domain rule broken, reported like any audit check. */
void percpu__audit_rule(enum percpu_violation_code code, unsigned owner,
			const struct percpu_var_desc *var, const struct percpu_callsite *site,
			const char *missing, unsigned long number)
{
	violation(code, owner, var->name, site->file, site->line, missing, NULL, number);
}

uintptr_t percpu__audit_unchecked(const struct percpu_var_desc *var, unsigned hart,
				  const struct percpu_callsite *site)
{
	bool ok;
	uintptr_t slot = slot_of(var, hart, site, &ok);
	__atomic_fetch_add(&unchecked_count, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&unchecked_strict, __ATOMIC_RELAXED))
		violation(PERCPU_UNCHECKED_USE, hart, var->name, site->file, site->line,
			  "a checked accessor (escape hatch used)", site->note, NO_NUMBER);
	struct percpu_remote_event event = {
		.accessing_hart = self_hart(), .owner_hart = hart, .var = var,
		.kind = PERCPU_ACCESS_UNCHECKED, .reason = PERCPU_REASON_UNCHECKED,
		.lock = NULL, .site = site, .allowed = ok,
	};
	percpu_record_remote(&event);
	return slot;
}

/* ---- scoped remote borrows (percpu_remote_locked) ---- */

/*
 * Each hart's open borrows live in its self block, innermost last (the
 * lock each holds, its variable and where it was opened): a borrow opens
 * and ends on one hart with interrupts off in between (spin_lock's
 * precondition), so they are the hart's own. The inline open and end in
 * percpu.h push and pop them; this is everything else.
 * spinlock__audit_release looks a released lock up among them: found, the
 * borrow's pointer is still in scope without its lock.
 */
static void borrow_push(struct spinlock *lock, const struct percpu_var_desc *var,
			const struct percpu_callsite *site)
{
	uint32_t open = percpu__self.borrows_open;
	if (open < PERCPU_BORROWS_TRACKED)
		percpu__borrow_track(&percpu__self, open, lock, var, site);
	else
		percpu__self.borrows_open = open + 1;	/* past the tracked ones: counted only */
}

struct percpu_borrow percpu__audit_borrow(const struct percpu_var_desc *var, unsigned hart,
					  const struct percpu_callsite *site,
					  enum percpu_reason reason)
{
	bool ok;
	uintptr_t slot = slot_of(var, hart, site, &ok);
	uintptr_t value = slot + var->value_offset;
	struct spinlock *lock = (struct spinlock *)(value + (uintptr_t)var->lock_offset);
	spin__lock(lock, site->file, site->line);

	unsigned me = self_hart();
	if (me < NEURON_MAX_HARTS)
		borrow_push(lock, var, site);
	if (__builtin_expect(ok, 1)) {
		/* The site's kind is PERCPU_ACCESS_LOCKED and its reason `reason`. */
		percpu_record_remote_allowed(var, hart, lock, site, value);
	} else {
		struct percpu_remote_event event = {
			.accessing_hart = me, .owner_hart = hart, .var = var,
			.kind = PERCPU_ACCESS_LOCKED, .reason = reason,
			.lock = lock, .site = site, .allowed = ok,
		};
		percpu_record_remote(&event);
	}
	return (struct percpu_borrow){ .lock = lock, .value = value, .open = true, .site = site };
}

void percpu__audit_borrow_end(struct percpu_borrow *borrow)
{
	bool released = false;
	if (self_hart() < NEURON_MAX_HARTS && percpu__self.borrows_open > 0) {
		uint32_t depth = --percpu__self.borrows_open;
		if (depth < PERCPU_BORROWS_TRACKED) {
			released = percpu__self.borrow_released >> depth & 1;
			percpu__self.borrow_released &= ~(1u << depth);
			percpu__self.borrow_lock[depth] = NULL;
		}
	}
	/* Released inside the block: reported there; a second unlock would
	 * only report the same mistake again. */
	if (!released)
		spin__unlock(borrow->lock, borrow->site->file, borrow->site->line);
}

struct spinlock *percpu__audit_remote_lock(const struct percpu_var_desc *var, unsigned hart,
					   const char *file, unsigned line)
{
	uintptr_t own = percpu__area_bases[self_hart() < NEURON_MAX_HARTS ? self_hart() : 0];
	uintptr_t base = hart < NEURON_MAX_HARTS ? percpu__area_bases[hart] : 0;
	if (base == 0) {
		violation(PERCPU_BAD_HART, hart, var->name, file, line,
			  "a target hart that has an area; hart", NULL, hart);
		base = own;
	}
	return (struct spinlock *)(base + var->area_offset() + var->value_offset +
				   (uintptr_t)var->lock_offset);
}

struct percpu_stamp *percpu__audit_stamp_of(const struct percpu_var_desc *var, unsigned hart,
					    const char *file, unsigned line)
{
	if (hart >= NEURON_MAX_HARTS || percpu__area_bases[hart] == 0) {
		violation(PERCPU_BAD_HART, hart, var->name, file, line,
			  "a target hart that has an area; hart", NULL, hart);
		return NULL;
	}
	return (struct percpu_stamp *)(percpu__area_bases[hart] + var->area_offset());
}

/* The hart whose instance of var holds lock (PERCPU_NO_HART if none). */
static unsigned owner_of_lock(const struct percpu_var_desc *var, const struct spinlock *lock)
{
	uintptr_t in_area = var->area_offset() + var->value_offset + (uintptr_t)var->lock_offset;
	for (unsigned h = 0; h < NEURON_MAX_HARTS; h++)
		if (percpu__area_bases[h] && percpu__area_bases[h] + in_area == (uintptr_t)lock)
			return h;
	return PERCPU_NO_HART;
}

/* spin_unlock of `lock` by this hart: a borrow of it still open is a
 * pointer in scope without its lock. Reported, like every lock rule, for
 * the lock at the spin_unlock; the text names the borrowed variable and
 * the line that opened the borrow. */
static void check_open_borrows(const struct spinlock *lock, const char *file, unsigned line)
{
	uint32_t open = percpu__self.borrows_open;
	unsigned depth = open < PERCPU_BORROWS_TRACKED ? open : PERCPU_BORROWS_TRACKED;
	for (unsigned i = 0; i < depth; i++) {
		if (percpu__self.borrow_lock[i] != lock || (percpu__self.borrow_released >> i & 1))
			continue;
		percpu__self.borrow_released |= 1u << i;
		const struct percpu_var_desc *var = percpu__self.borrow_var[i];
		char what[96];
		struct line_buf w = { what, sizeof what, 0 };
		put_str(&w, "the lock held until the end of the borrow of ");
		put_str(&w, var->name);
		put_str(&w, " opened at line ");
		put_uint(&w, percpu__self.borrow_site[i]->line);
		violation(PERCPU_NO_LOCK, owner_of_lock(var, lock), var->lock_name, file, line, what,
			  NULL, NO_NUMBER);
		return;
	}
}

/* ---- spinlocks ---- */

bool spin_held_by_current_hart(const struct spinlock *lock)
{
	unsigned hart = self_hart();
	return hart != PERCPU_NO_HART &&
	       atomic_load_explicit(&lock->locked, memory_order_relaxed) &&
	       atomic_load_explicit(&lock->holder, memory_order_relaxed) == hart;
}

/*
 * Ranked locks (spin_init_ranked): each hart's ranked locks now held, so
 * taking one of a class while holding one of the same class (same name)
 * with an equal or higher rank is caught before the spin, not as a hang.
 */
#define RANKED_HELD_MAX SPINLOCK_RANKED_HELD_MAX
#define ranked_held spinlock__ranked_held
const struct spinlock *spinlock__ranked_held[NEURON_MAX_HARTS][SPINLOCK_RANKED_HELD_MAX];
uint32_t spinlock__ranked_count[NEURON_MAX_HARTS];

/* The inline fast paths' copy: how many of hart's entries are in use. */
static void ranked_recount(unsigned hart)
{
	uint32_t n = 0;
	for (unsigned i = 0; i < RANKED_HELD_MAX; i++)
		n += ranked_held[hart][i] != NULL;
	spinlock__ranked_count[hart] = n;
}

static void ranked_acquire(struct spinlock *lock, unsigned hart, const char *file, unsigned line)
{
	const struct spinlock **held = ranked_held[hart];
	for (unsigned i = 0; i < RANKED_HELD_MAX; i++) {
		if (held[i] && held[i]->name == lock->name && held[i]->rank >= lock->rank) {
			/* Name the other side of an ABBA too: the hart that holds
			 * the lock this one is about to spin on, if any. */
			char what[96];
			struct line_buf b = { what, sizeof what, 0 };
			put_str(&b, "locks of one class taken in ascending order; holds the one of hart ");
			put_uint(&b, held[i]->rank - 1);
			unsigned holder = atomic_load_explicit(&lock->holder, memory_order_relaxed);
			if (holder != SPINLOCK_NO_HOLDER && holder != hart) {
				put_str(&b, ", this one held by hart ");
				put_hart(&b, holder);
			}
			violation(PERCPU_LOCK_ORDER, lock->rank - 1, lock->name, file, line, what,
				  NULL, NO_NUMBER);
			break;
		}
	}
	for (unsigned i = 0; i < RANKED_HELD_MAX; i++) {
		if (!held[i]) {
			held[i] = lock;
			break;
		}
	}
	ranked_recount(hart);
}

static void ranked_release(const struct spinlock *lock, unsigned hart)
{
	for (unsigned i = 0; i < RANKED_HELD_MAX; i++)
		if (ranked_held[hart][i] == lock)
			ranked_held[hart][i] = NULL;
	ranked_recount(hart);
}

void spinlock__audit_acquire(struct spinlock *lock, const char *file, unsigned line)
{
	unsigned hart = self_hart();
	if (lock->rank && hart < NEURON_MAX_HARTS)
		ranked_acquire(lock, hart, file, line);
	if (percpu_arch_irqs_enabled())
		violation(PERCPU_IRQS_ON, self_hart(), lock->name, file, line,
			  "interrupts off before taking a spinlock", NULL, NO_NUMBER);
	if (spin_held_by_current_hart(lock))
		violation(PERCPU_SELF_DEADLOCK, self_hart(), lock->name, file, line,
			  "a lock not already held by this hart (self-deadlock)", NULL, NO_NUMBER);
}

void spinlock__audit_release(struct spinlock *lock, const char *file, unsigned line)
{
	unsigned me = self_hart();
	if (me < NEURON_MAX_HARTS) {
		if (lock->rank)
			ranked_release(lock, me);
		if (percpu__self.borrows_open)
			check_open_borrows(lock, file, line);
	}
	if (!spin_held_by_current_hart(lock))
		violation(PERCPU_NO_LOCK, atomic_load_explicit(&lock->holder, memory_order_relaxed),
			  lock->name, file, line,
			  "the lock held by this hart before spin_unlock", NULL, NO_NUMBER);
	else if (percpu_arch_irqs_enabled())
		/* Interrupts came back while the lock was held (a guard ended,
		 * e.g. in a helper that took the lock and returned): a handler
		 * taking it on this hart would have deadlocked. */
		violation(PERCPU_IRQS_ON, self_hart(), lock->name, file, line,
			  "interrupts off until spin_unlock", NULL, NO_NUMBER);
}

#else /* release: only the mode switches exist, as no-ops */

void percpu_audit_set_mode(enum percpu_audit_mode mode)
{
	(void)mode;
}

void percpu_audit_set_unchecked_strict(bool strict)
{
	(void)strict;
}

void percpu__audit_reset_phase_for_test(void);
void percpu__audit_reset_phase_for_test(void)
{
}

#endif
