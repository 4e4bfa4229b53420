/*
 * PerCpu: per-hart data with ownership rules that plain GCC enforces.
 * Normative description: docs/concurrency-model.md. Summary:
 *
 *   PERCPU_DECLARE(struct stats, stats);                 header
 *   PERCPU_DECLARE_LOCKED(struct runqueue, runqueues, lock);
 *   PERCPU_DEFINE(struct stats, stats);                  one .c file
 *   PERCPU_DEFINE_LOCKED(struct runqueue, runqueues, lock);
 *
 *   Local (this hart's instance), only under a guard:
 *     PERCPU_GUARD(g);                  interrupts off until g's block ends
 *     PERCPU_GUARD_IRQS_OFF(g);         zero cost where interrupts are off
 *     percpu_read(g, stats, ticks)      one load in release
 *     percpu_write(g, stats, ticks, v)  one store in release
 *     percpu_read_var(g, var), percpu_write_var(g, var, v)  whole scalar
 *     percpu_local(g, runqueues)        struct runqueue *, valid while g lives
 *     percpu_local_fetch_add/_exchange/_load/_store(g, var, field, [v,] order)
 *                                       only for _Atomic fields of a variable
 *                                       without a lock; read/write refuse them
 *   Remote (another hart's instance), with a sync argument and a reason:
 *     percpu_remote_locked(runqueues, hart, steal, rq) { ... }  takes and
 *                                       releases hart's lock; rq is in scope only inside
 *     percpu_remote_locked_pair(var, a, b, reason, pa, pb) { ... }  both locks
 *     percpu_remote(runqueues, hart, &lock, steal)     struct runqueue *
 *     percpu_remote_read/_write(var, hart, field, [v,] &lock, reason)
 *     percpu_remote_load/_store/_fetch_add/_exchange(var, hart, field, [v,]
 *                                       order, reason)  the atomic op itself
 *   Init phase (before secondary harts start):
 *     PERCPU_INIT_TOKEN(t); percpu_for_each_hart(t, h) percpu_init(t, var, h)
 *   Escape hatch: percpu_unchecked(var, hart, "justification")
 *
 * The audit/release difference lives inside these macros: call sites never
 * use #if. In release builds the guard is the interrupt mask and nothing
 * else; a read or write is the same instruction hand-written per-hart code
 * would use. In audit builds (NEURON_AUDIT=1) every access is checked and
 * every remote access is recorded through percpu_record_remote().
 */
#ifndef NEURON_PERCPU_H
#define NEURON_PERCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <neuron/percpu_contract.h>
#include <neuron/percpu_platform.h>
#include <neuron/spinlock.h>

#ifndef NEURON_MAX_HARTS
#error "NEURON_MAX_HARTS must be defined (the neuron-percpu target does it)"
#endif

/* Every instance's audit stamp starts with this magic; the identity word
 * (the hart's stamp: magic low, hart high) is what the arch layer keeps
 * apart from the base register, so the audit's inline check compares the
 * two in one instruction. */
#define PERCPU_STAMP_MAGIC 0x5354414du	/* "STAM" */
#define PERCPU_IDENTITY_WORD(hart) (((uint64_t)(hart) << 32) | PERCPU_STAMP_MAGIC)

#if defined(__riscv) && !defined(NEURON_PERCPU_HOST)
#include <neuron/arch/riscv.h>
#else
#include <neuron/arch/host.h>
#endif

#ifndef NEURON_PERCPU_BASELINE
#define NEURON_PERCPU_BASELINE 0
#endif
#if NEURON_PERCPU_BASELINE && (NEURON_AUDIT || !defined(__riscv) || defined(NEURON_PERCPU_HOST))
#error "percpu: NEURON_PERCPU_BASELINE is a riscv64 release measuring build only"
#endif

/* ---------------------------------------------------------------------- */
/* Descriptors: one per variable in section percpu_vars, one per audited
 * call site in section percpu_callsites. Tools map ids (their addresses)
 * to names and file:line from the ELF. Layouts are pinned below. */

struct percpu_var_desc {
	const char *name;
	const char *file;
	uint32_t line;
	uint32_t size;			/* sizeof the per-CPU type */
	int32_t lock_offset;		/* offsetof the protecting lock, -1: none */
	uint32_t value_offset;		/* offsetof the value in the slot (audit stamp first) */
	const char *lock_name;		/* "var.member" or NULL */
	uintptr_t (*area_offset)(void);	/* offset of the slot from any area base */
};
_Static_assert(sizeof(struct percpu_var_desc) == 48 || sizeof(void *) != 8,
	       "percpu: tools read percpu_vars as an array of 48-byte records");

/* A call site's kind: PERCPU_ACCESS_KIND_LIST in percpu_contract.h. */
enum percpu_access_kind {
#define PERCPU__ACCESS_KIND(NAME, name, meaning) PERCPU_ACCESS_##NAME,
	PERCPU_ACCESS_KIND_LIST(PERCPU__ACCESS_KIND)
#undef PERCPU__ACCESS_KIND
};

struct percpu_callsite {
	const char *file;
	const char *function;
	uint32_t line;
	uint16_t kind;			/* enum percpu_access_kind */
	uint16_t reason;		/* enum percpu_reason; PERCPU_REASON_NONE for local */
	const char *var_name;
	const char *note;		/* escape-hatch justification, else NULL */
};
_Static_assert(sizeof(struct percpu_callsite) == 40 || sizeof(void *) != 8,
	       "percpu: tools read percpu_callsites as an array of 40-byte records");

/* Why a hart touches another hart's instance: PERCPU_REASON_LIST in
 * percpu_contract.h (adding one is a line there and one in
 * docs/concurrency-model.md). Callers name a PUBLIC reason by its lower-case
 * name; each is a distinct incomplete struct type, so _Generic maps the
 * name to its number and an unknown name fails to compile. */
enum percpu_reason {
#define PERCPU__REASON_ENUM(NAME, name, scope, meaning) PERCPU_REASON_##NAME,
	PERCPU_REASON_LIST(PERCPU__REASON_ENUM)
#undef PERCPU__REASON_ENUM
};
/*
 * A reason is a bare name pasted into a type name, so an unknown name
 * reaches the static assertion below. A string literal cannot be pasted:
 * the preprocessor refuses it before any assertion can run, in its own
 * words ("pasting ... does not give a valid preprocessing token"); the
 * tag it names there states the rule.
 */
#define PERCPU__REASON_TAG(r) percpu_rule_a_reason_is_a_bare_name_not_a_string_##r
/* Every reason's tag, declared here: a tag first named inside a for
 * statement's declaration (the scoped forms' pointer type) would be
 * declared there, which C refuses. */
#define PERCPU__REASON_DECLARE(NAME, name, scope, meaning) struct PERCPU__REASON_TAG(name);
PERCPU_REASON_LIST(PERCPU__REASON_DECLARE)
#undef PERCPU__REASON_DECLARE
#define PERCPU__REASON_PUBLIC(NAME, name) struct PERCPU__REASON_TAG(name) *: PERCPU_REASON_##NAME,
#define PERCPU__REASON_INTERNAL(NAME, name)
#define PERCPU__REASON_CASE(NAME, name, scope, meaning) PERCPU__REASON_##scope(NAME, name)
#define PERCPU__REASON(r) _Generic((struct PERCPU__REASON_TAG(r) *)0,		\
	PERCPU_REASON_LIST(PERCPU__REASON_CASE) default: -1)
#define PERCPU__CHECK_REASON(r) _Static_assert(PERCPU__REASON(r) >= 0,	\
	"percpu: unknown remote access reason: name one of PERCPU_REASON_LIST's PUBLIC reasons "	\
	"(steal, ipi_post, wake, stats, init, debug; percpu_contract.h)")
/*
 * Reasons that only read: stats (counters for a report) and debug (a
 * dump). Their accessors hand out const pointers and every write accessor
 * refuses them, so a write cannot pass under a reason that says it only
 * looks (the trace and the audit's reports name the reason a reviewer
 * reads).
 */
#define PERCPU__REASON_READS_ONLY(r) _Generic((struct PERCPU__REASON_TAG(r) *)0,	\
	struct PERCPU__REASON_TAG(stats) *: 1, struct PERCPU__REASON_TAG(debug) *: 1, default: 0)
#define PERCPU__CHECK_REASON_WRITES(r) _Static_assert(!PERCPU__REASON_READS_ONLY(r),	\
	"percpu: stats and debug only read: a write names the reason it writes for "	\
	"(steal, ipi_post, wake, init)")
/* The instance pointer a remote accessor hands out under reason r. */
#define PERCPU__REMOTE_PTR_T(var, r) __typeof__(__builtin_choose_expr(			\
	PERCPU__REASON_READS_ONLY(r), (const PERCPU__T(var) *)0, (PERCPU__T(var) *)0))

/* Memory orders for atomic accessors, by name. */
struct percpu_order_relaxed;
struct percpu_order_acquire;
struct percpu_order_release;
struct percpu_order_acq_rel;
struct percpu_order_seq_cst;
#define PERCPU__ORDER(o) _Generic((struct percpu_order_##o *)0,		\
	struct percpu_order_relaxed *: __ATOMIC_RELAXED,		\
	struct percpu_order_acquire *: __ATOMIC_ACQUIRE,		\
	struct percpu_order_release *: __ATOMIC_RELEASE,		\
	struct percpu_order_acq_rel *: __ATOMIC_ACQ_REL,		\
	struct percpu_order_seq_cst *: __ATOMIC_SEQ_CST,		\
	default: -1)
#define PERCPU__CHECK_ORDER(o) _Static_assert(PERCPU__ORDER(o) >= 0,	\
	"percpu: atomic access needs a memory order (relaxed, acquire, release, acq_rel, seq_cst)")

/* One remote access, allowed or not (audit builds). */
struct percpu_remote_event {
	unsigned accessing_hart;
	unsigned owner_hart;
	const struct percpu_var_desc *var;	/* variable id */
	enum percpu_access_kind kind;
	enum percpu_reason reason;
	const struct spinlock *lock;		/* lock id, NULL for atomic/init/unchecked */
	const struct percpu_callsite *site;	/* callsite id */
	bool allowed;
};

/*
 * The one seam every remote access goes through in audit builds. The
 * default (weak) implementation only counts; the trace ring overrides it.
 */
void percpu_record_remote(const struct percpu_remote_event *event);

/*
 * The remote check's fast path records an allowed access through this
 * seam instead, with the ids as arguments and no event built: the kind
 * and reason are the call site's (site->kind, site->reason), the access
 * allowed, the accessing hart the one the identity word names (the check
 * found it valid). Returns `slot` (so the check can end in a tail call). The weak
 * default builds the event and calls percpu_record_remote; the trace ring
 * overrides both.
 */
uintptr_t percpu_record_remote_allowed(const struct percpu_var_desc *var, unsigned owner_hart,
				       const struct spinlock *lock, const struct percpu_callsite *site,
				       uintptr_t slot);

/* The same for every audit violation, before it is reported (weak default: nothing). */
void percpu_record_violation(const struct percpu_violation *violation);

/* ---------------------------------------------------------------------- */
/* Guards and tokens. */

/*
 * Proof that this hart will not switch tasks or take an interrupt while
 * the guard lives. Obtained only through PERCPU_GUARD / PERCPU_GUARD_IRQS_OFF;
 * released by the cleanup attribute at the end of the declaring block, in
 * reverse order of acquisition. Never copy one: audit builds catch a copy
 * used after the original is released, or on another hart.
 */
#if NEURON_AUDIT
/* Where a guard was taken (audit builds): one constant per PERCPU_GUARD. */
struct percpu_guard_site {
	const char *file;
	uint32_t line;
	uint32_t irqs_were_off;		/* PERCPU_GUARD_IRQS_OFF */
};
#endif

struct percpu_guard {
	unsigned long saved_irq;	/* interrupt-enable state to restore (release builds) */
#if NEURON_AUDIT
	uint64_t serial;		/* handed out when taken; 0: the acquisition failed */
	/* The guard taken before it on this hart (its address xor the area
	 * base, as the self block's top_key holds it): the live guards are a
	 * chain through their own frames, walked only out of line. */
	uint64_t below_key;
	/* The hart is the serial's top bits; this field is written (and
	 * read) only for a guard whose acquisition failed (serial 0). */
	uint32_t hart;
#endif
};

/* Proof that the system is in its single-hart init phase. */
struct percpu_init_token {
#if NEURON_AUDIT
	uint32_t serial;
#else
	char unused;
#endif
};

/* Per-hart self block: the wrapper's own per-hart state, first in the area. */
/* The out-of-line walk of the live-guard chain follows at most this many
 * links, each to a frame above the walker's and above the one before. */
#define PERCPU_GUARD_DEPTH 64
#define PERCPU_GUARD_SPAN (64 * 1024)	/* bytes from the walker's frame */
#define PERCPU_SELF_MAGIC 0x50435055u	/* "PCPU" */
/* Guard serials carry their hart in the top bits, so equal serials mean
 * the same hart's guard: each hart hands out 2^59 serials before it would
 * reach the next hart's range (18 years at one guard per nanosecond). */
#define PERCPU_SERIAL_HART_SHIFT 59
#define PERCPU_FIRST_SERIAL(hart) (((uint64_t)(hart) << PERCPU_SERIAL_HART_SHIFT) + 1)
_Static_assert(NEURON_MAX_HARTS <= (1 << (64 - PERCPU_SERIAL_HART_SHIFT)),
	       "percpu: guard serials keep the hart in their top 5 bits");
/* Open scoped borrows a hart tracks by name (lock, variable, call site);
 * one nested deeper is counted only, and opens and ends out of line. */
#define PERCPU_BORROWS_TRACKED 4
struct percpu_hart_self {
	uint32_t hart;
#if NEURON_AUDIT
	uint32_t magic;
	uintptr_t base;			/* the area this block lives in */
	/* Live guards on this hart, as the last out-of-line walk of the
	 * chain found them (the inline push and pop do not count). */
	uint32_t guard_depth;
	/* Scoped borrows (percpu_remote_locked) open on this hart: while
	 * one is, spin_unlock takes the out-of-line check, which reports an
	 * unlock of a borrowed lock. */
	uint32_t borrows_open;
	/* Bit i: the lock of tracked borrow i was unlocked inside its block
	 * (reported there; the borrow's end then leaves the lock alone). */
	uint32_t borrow_released;
	/* 64 bits, the hart in the top 5 (PERCPU_FIRST_SERIAL): at one
	 * guard per nanosecond a hart needs 18 years to leave its range,
	 * so a serial is never reused and 0 never handed out. */
	uint64_t next_serial;
	/* The innermost live guard's address xor this area's base (0 xor
	 * base: none): the inline check's one load, right only when tp is
	 * the base the guard was taken with. The guard holds the key of the
	 * one below it (below_key). */
	uint64_t top_key;
	uint64_t identity;		/* PERCPU_IDENTITY_WORD(hart), set at attach */
	uint64_t key;			/* base xor identity: tp checked in two instructions */
	/* The open borrows, innermost last: the first PERCPU_BORROWS_TRACKED
	 * of borrows_open (a borrow nested deeper is counted, not tracked).
	 * Only this hart reads or writes them, with interrupts off (a borrow
	 * keeps them off from its open to its end). */
	const struct spinlock *borrow_lock[PERCPU_BORROWS_TRACKED];
	const struct percpu_var_desc *borrow_var[PERCPU_BORROWS_TRACKED];
	const struct percpu_callsite *borrow_site[PERCPU_BORROWS_TRACKED];
#endif
} __attribute__((aligned(64)));
extern __thread struct percpu_hart_self percpu__self __attribute__((tls_model("local-exec")));

/* Read as one 64-bit word by the inline check: PERCPU_IDENTITY_WORD(owner). */
struct percpu_stamp {
	uint32_t magic;
	uint32_t owner;
} __attribute__((aligned(8)));

#if NEURON_AUDIT
void percpu__audit_guard_acquire(struct percpu_guard *guard, const struct percpu_guard_site *site);
void percpu__audit_guard_release(struct percpu_guard *guard, const struct percpu_guard_site *site);
void percpu__audit_local(const struct percpu_guard *guard, const struct percpu_var_desc *var,
			 const struct percpu_stamp *stamp, const struct percpu_callsite *site);
void percpu__audit_local_ptr(const struct percpu_guard *guard, const struct percpu_var_desc *var,
			     const void *instance, const struct percpu_callsite *site);
/* lock_delta: the variable's own lock from the start of its slot, for
 * a locked access (a constant at the call site); PERCPU__LOCK_NOT_CHECKED
 * for an atomic one, PERCPU__LOCK_NONE for a locked access to a variable
 * without a lock. The reason is the site's (site->reason). */
#define PERCPU__LOCK_NOT_CHECKED (-1L)
#define PERCPU__LOCK_NONE (-2L)
uintptr_t percpu__audit_remote(const struct percpu_var_desc *var, unsigned hart,
			       const struct spinlock *held, const struct percpu_callsite *site,
			       uintptr_t area_offset, long lock_delta);
uintptr_t percpu__audit_init(const struct percpu_init_token *token,
			     const struct percpu_var_desc *var, unsigned hart,
			     const struct percpu_callsite *site);
uintptr_t percpu__audit_unchecked(const struct percpu_var_desc *var, unsigned hart,
				  const struct percpu_callsite *site);
void percpu__audit_init_token(struct percpu_init_token *token, const char *file, unsigned line);
unsigned percpu__audit_current_hart(const struct percpu_guard *guard, const char *file,
				   unsigned line);
unsigned percpu_audit_violation_count(void);
unsigned percpu_audit_unchecked_count(void);
#endif

extern uintptr_t percpu__area_bases[NEURON_MAX_HARTS];

/* ---------------------------------------------------------------------- */
/* Internal helpers. */

#define PERCPU__CAT2(a, b) a##b
#define PERCPU__CAT(a, b) PERCPU__CAT2(a, b)
#define PERCPU__ID(name, id) PERCPU__CAT(percpu__##name##_, id)

#define PERCPU__STORAGE_BEGIN \
	_Pragma("GCC diagnostic push") \
	_Pragma("GCC diagnostic ignored \"-Wdeprecated-declarations\"")
#define PERCPU__STORAGE_END _Pragma("GCC diagnostic pop")

#define PERCPU__STORAGE_ATTRS \
	__attribute__((deprecated("percpu: per-CPU storage is reached only through the percpu_* accessors"), \
		       tls_model("local-exec")))

#define PERCPU__CHECK_VAR(var) _Static_assert(					\
	_Generic(&(var), const struct percpu_handle__##var *: 1, default: 0),	\
	"percpu: not a per-CPU variable (declare it with PERCPU_DECLARE)")
#define PERCPU__CHECK_GUARD(g) _Static_assert(					\
	_Generic(&(g), struct percpu_guard *: 1, default: 0),			\
	"percpu: local access needs a guard (PERCPU_GUARD or PERCPU_GUARD_IRQS_OFF)")
#define PERCPU__CHECK_LOCK(var, lock)						\
	_Static_assert(!_Generic((lock), struct percpu_guard: 1,		\
		struct percpu_guard *: 1, default: 0),				\
		"percpu: a guard is not a sync object; remote access needs the lock that protects the variable"); \
	_Static_assert(_Generic((lock), struct spinlock *: 1, default: 0),	\
		"percpu: remote access needs a sync argument: the struct spinlock * that protects the variable"); \
	_Static_assert(_Generic(percpu_lock_of__##var(0), struct spinlock *: 1, default: 0), \
		"percpu: variable has no protecting lock (PERCPU_DECLARE_LOCKED); use the atomic accessors")
#define PERCPU__CHECK_TOKEN(t) _Static_assert(					\
	_Generic(&(t), struct percpu_init_token *: 1, default: 0),		\
	"percpu: init access needs an init-phase token (PERCPU_INIT_TOKEN)")
#define PERCPU__CHECK_SCALAR(T) _Static_assert(					\
	(sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8) && \
	_Generic((T *)0, float *: 0, double *: 0, long double *: 0,		\
		 _Complex float *: 0, _Complex double *: 0, _Complex long double *: 0, default: 1), \
	"percpu: read/write take integer or pointer fields; use percpu_local for aggregates")

#define PERCPU__T(var) percpu_type__##var
#define PERCPU__FIELD_T(var, field) __typeof__(((PERCPU__T(var) *)0)->field)
/* The field (or, with the _var forms, the whole value) as an unevaluated lvalue. */
#define PERCPU__FIELD_X(var, field) (((PERCPU__T(var) *)0)->field)
#define PERCPU__VAR_X(var) (*(PERCPU__T(var) *)0)

/*
 * Whether lvalue x is declared _Atomic, at compile time. A plain read of x
 * (lvalue conversion, here through __auto_type) drops its qualifiers,
 * _Atomic included, and decays an array: &x points at that type, at a
 * const/volatile version of it, or (x is _Atomic) at neither. An array is
 * never _Atomic (C11 6.7.3p3): its read type is a pointer, not compatible.
 */
#define PERCPU__READ_T(x) __typeof__(({ __auto_type percpu__x_ = (x); percpu__x_; }))
#define PERCPU__IS_ATOMIC(x) _Generic(&(x),							PERCPU__READ_T(x) *: 0, const PERCPU__READ_T(x) *: 0,					volatile PERCPU__READ_T(x) *: 0, const volatile PERCPU__READ_T(x) *: 0,		default: __builtin_types_compatible_p(__typeof__(x), PERCPU__READ_T(x)))

/* Atomic accessors: for a lock-free variable's _Atomic fields only. A
 * locked variable's fields are reached under its lock; a field some hart
 * touches atomically is touched atomically by all (section 3). */
#define PERCPU__CHECK_ATOMIC_FIELD(var, field)							_Static_assert(_Generic(percpu_lock_of__##var(0), struct percpu_no_lock *: 1, default: 0), 		"percpu: atomic accessors are refused on a PERCPU_DECLARE_LOCKED variable: its fields are reached under its lock"); 	_Static_assert(PERCPU__IS_ATOMIC(PERCPU__FIELD_X(var, field)),					"percpu: atomic accessors take only fields declared _Atomic")
/* Plain read/write: never of an array (a read would yield a pointer into
 * the accessor's own temporary), never a write to a const field or
 * variable, never of an _Atomic field (its every access names an order). */
#define PERCPU__IS_ARRAY(x) (!__builtin_types_compatible_p(__typeof__(x), PERCPU__READ_T(x)))
#define PERCPU__CHECK_NOT_ARRAY(x) _Static_assert(!PERCPU__IS_ARRAY(x),		\
	"percpu: read/write take integer or pointer fields, not arrays; name an element (slots[2]) or use percpu_local")
#define PERCPU__CHECK_WRITABLE(x) _Static_assert(_Generic(&(x),			\
	const PERCPU__READ_T(x) *: 0, const volatile PERCPU__READ_T(x) *: 0, default: 1), \
	"percpu: write to a const field or variable")
/* The riscv64 access encodes the offset in the instruction, so a variable
 * index cannot compile there (GCC words it as an asm constraint); the
 * host would take it. And GCC checks no array bound in an offsetof, so a
 * constant index past the end would reach the next variable in the area
 * unseen: offsets are refused unless constant and inside the variable. */
/* 1 if x is an integer constant expression, else 0, itself always one: a
 * null pointer constant (x * 0, if constant) makes the conditional's type
 * int *, anything else void *. */
#define PERCPU__IS_ICE(x) (sizeof(int) == sizeof(*(8 ? ((void *)((long)(x) * 0l)) : (int *)8)))
#define PERCPU__CHECK_OFFSET(var, T, off)						\
	_Static_assert(PERCPU__IS_ICE(off),						\
		"percpu: read/write need a constant field offset; for a variable index use percpu_local"); \
	_Static_assert(__builtin_choose_expr(PERCPU__IS_ICE(off),			\
		(off) + sizeof(T) <= sizeof(struct percpu_slot__##var), 1),		\
		"percpu: read/write field lies outside the variable (an index out of bounds)")
#define PERCPU__CHECK_NOT_ATOMIC(x) _Static_assert(!PERCPU__IS_ATOMIC(x),			"percpu: read/write refuse an _Atomic field: use percpu_local_load/_store with a memory order")
#define PERCPU__FIELD_OFF(var, field) \
	(__builtin_offsetof(struct percpu_slot__##var, value) + __builtin_offsetof(PERCPU__T(var), field))
#define PERCPU__VALUE_OFF(var) __builtin_offsetof(struct percpu_slot__##var, value)
/* The variable's offset in every area: tp-relative, a link-time constant
 * the call site forms (two instructions on riscv64). */
#define PERCPU__AREA_OFFSET(var) ({							\
	PERCPU__STORAGE_BEGIN								\
	uintptr_t percpu__area_off = PERCPU_ARCH_AREA_OFFSET_IMM(percpu_storage__##var); \
	PERCPU__STORAGE_END								\
	percpu__area_off; })

#if NEURON_AUDIT
#define PERCPU__SITE(id, kind_, reason_, var, note_)					\
	static const struct percpu_callsite PERCPU__ID(site, id)			\
	__attribute__((section("percpu_callsites"), used, aligned(8))) =		\
		{ __FILE__, __func__, __LINE__, kind_, reason_, #var, note_ }
#define PERCPU__STAMP_MEMBER struct percpu_stamp stamp;
#define PERCPU__RELEASE_LAYOUT(name)
#else
#define PERCPU__STAMP_MEMBER
/* Release: the slot IS the hand-written layout, nothing added. */
#define PERCPU__RELEASE_LAYOUT(name)							\
	_Static_assert(sizeof(struct percpu_slot__##name) == sizeof(percpu_type__##name) && \
		       __builtin_offsetof(struct percpu_slot__##name, value) == 0,	\
		       "percpu: release storage must equal the hand-written layout");
#endif

/* ---------------------------------------------------------------------- */
/* Declaration and definition. */

#define PERCPU__DECLARE_COMMON(type, name, lock_off)					\
	typedef __typeof__(type) percpu_type__##name;					\
	struct percpu_slot__##name { PERCPU__STAMP_MEMBER percpu_type__##name value; };	\
	extern __thread struct percpu_slot__##name percpu_storage__##name PERCPU__STORAGE_ATTRS; \
	struct percpu_handle__##name { struct percpu_var_desc desc; };			\
	extern const struct percpu_handle__##name name;					\
	enum { percpu_lock_offset__##name = (lock_off) }

/* A per-CPU variable of any type; remote access only through atomics. */
#define PERCPU_DECLARE(type, name)							\
	PERCPU__DECLARE_COMMON(type, name, -1);						\
	struct percpu_no_lock;								\
	static inline struct percpu_no_lock *percpu_lock_of__##name(percpu_type__##name *p) \
	{ (void)p; return 0; }								\
	struct percpu_no_lock

/* A per-CPU variable whose member `lock` protects it for remote access. */
#define PERCPU_DECLARE_LOCKED(type, name, lock)						\
	PERCPU__DECLARE_COMMON(type, name, __builtin_offsetof(__typeof__(type), lock));	\
	_Static_assert(_Generic(&((__typeof__(type) *)0)->lock, struct spinlock *: 1, default: 0), \
		       "percpu: the lock named in PERCPU_DECLARE_LOCKED must be a struct spinlock member"); \
	static inline struct spinlock *percpu_lock_of__##name(percpu_type__##name *p)	\
	{ return &p->lock; }								\
	struct percpu_no_lock

#define PERCPU__DEFINE(type, var, lock_name_)						\
	_Static_assert(__builtin_types_compatible_p(__typeof__(type), percpu_type__##var), \
		       "percpu: PERCPU_DEFINE names another type than PERCPU_DECLARE");	\
	PERCPU__RELEASE_LAYOUT(var)							\
	__thread struct percpu_slot__##var percpu_storage__##var			\
		__attribute__((used, tls_model("local-exec")));				\
	static uintptr_t percpu_area_offset__##var(void)				\
	{										\
		PERCPU__STORAGE_BEGIN							\
		uintptr_t offset = PERCPU_ARCH_AREA_OFFSET(percpu_storage__##var);	\
		PERCPU__STORAGE_END							\
		return offset;								\
	}										\
	const struct percpu_handle__##var var						\
	__attribute__((section("percpu_vars"), used, aligned(8))) = { {		\
		.name = #var, .file = __FILE__, .line = __LINE__,			\
		.size = sizeof(percpu_type__##var),					\
		.lock_offset = percpu_lock_offset__##var,				\
		.value_offset = PERCPU__VALUE_OFF(var),				\
		.lock_name = lock_name_,						\
		.area_offset = percpu_area_offset__##var } }

#define PERCPU_DEFINE(type, name) PERCPU__DEFINE(type, name, NULL)
#define PERCPU_DEFINE_LOCKED(type, name, lock)						\
	_Static_assert(__builtin_offsetof(__typeof__(type), lock) == percpu_lock_offset__##name, \
		       "percpu: PERCPU_DEFINE_LOCKED names another lock than PERCPU_DECLARE_LOCKED"); \
	PERCPU__DEFINE(type, name, #name "." #lock)

/* ---------------------------------------------------------------------- */
/* Guards. */

/*
 * Every guard's first declaration: a variably modified type named after
 * the rule, so that GCC itself refuses a goto that jumps over a guard into
 * its scope ("jump into scope of identifier with variably modified type",
 * noting "'percpu_rule_...' declared here"), a misuse C gives no other
 * hook for. A type, not an object: nothing is allocated, and its size
 * (from an inline function, so no constant to the front end) folds away.
 */
static inline unsigned percpu__vla_one(void)
{
	return 1;
}
#define PERCPU__GUARD_RULE(id)								\
	typedef char PERCPU__CAT(percpu_rule_a_guard_is_a_local_that_no_goto_skips_, id)	\
		[percpu__vla_one()] __attribute__((unused))

#if NEURON_AUDIT
/*
 * Inline fast paths of the guard's audit. The live guards of a hart are a
 * chain through their own frames: the self block (reached from tp) holds
 * the innermost guard's address xor the area base, each guard the same
 * key of the guard below it. Taking a guard checks what the out-of-line
 * acquire checks (tp is the base this hart attached with, for the hart
 * the identity word names; interrupts off for PERCPU_GUARD_IRQS_OFF),
 * hands out the next serial and links the guard in; releasing one checks
 * it is the innermost guard at this tp and unlinks it. Anything else goes
 * to the out-of-line code, which walks the chain and reports exactly as
 * before.
 */
static inline __attribute__((always_inline)) void
percpu__audit_guard_enter(struct percpu_guard *guard, const struct percpu_guard_site *site)
{
	uint64_t me = percpu_arch_identity_word();
	uint64_t key = PERCPU_ARCH_LOAD_XOR_BASE(percpu__self, __builtin_offsetof(struct percpu_hart_self, key));
	if (__builtin_expect(key == me, 1) &&
	    __builtin_expect(!site->irqs_were_off || !percpu_arch_irqs_enabled(), 1)) {
		uint64_t serial = PERCPU_ARCH_LOAD_RAW(percpu__self, 8,
				__builtin_offsetof(struct percpu_hart_self, next_serial));
		PERCPU_ARCH_STORE_RAW(percpu__self, 8, __builtin_offsetof(struct percpu_hart_self, next_serial),
				      serial + 1);
		guard->serial = serial;
		guard->below_key = PERCPU_ARCH_LOAD_RAW(percpu__self, 8,
				__builtin_offsetof(struct percpu_hart_self, top_key));
		PERCPU_ARCH_STORE_XOR_BASE(percpu__self, __builtin_offsetof(struct percpu_hart_self, top_key),
					   (uintptr_t)guard);
		return;
	}
	percpu__audit_guard_acquire(guard, site);
}

static inline __attribute__((always_inline)) void
percpu__audit_guard_leave(struct percpu_guard *guard, const struct percpu_guard_site *site)
{
	uint64_t top = PERCPU_ARCH_LOAD_XOR_BASE(percpu__self, __builtin_offsetof(struct percpu_hart_self, top_key));
	if (__builtin_expect(top == (uintptr_t)guard, 1)) {
		PERCPU_ARCH_STORE_RAW(percpu__self, 8, __builtin_offsetof(struct percpu_hart_self, top_key),
				      guard->below_key);
		return;
	}
	percpu__audit_guard_release(guard, site);
}

/* A guard's scope: the cleanup variable beside the guard. Only the
 * inline release sees its address, so the compiler keeps it in registers
 * and constants: the site and the saved interrupt state are never stored
 * in the guard. */
struct percpu__guard_scope {
	struct percpu_guard *guard;
	const struct percpu_guard_site *site;
	unsigned long saved_irq;
};

static inline __attribute__((always_inline)) void percpu__guard_scope_end(struct percpu__guard_scope *scope)
{
	percpu__audit_guard_leave(scope->guard, scope->site);
	percpu_arch_irq_restore(scope->saved_irq);
}

static inline __attribute__((always_inline)) void
percpu__guard_scope_end_irqs_off(struct percpu__guard_scope *scope)
{
	percpu__audit_guard_leave(scope->guard, scope->site);
}

/* The guard's fields are written by its acquisition, none zeroed first. */
#define PERCPU__GUARD(g, cleanup_, save, irqs_off, id)					\
	PERCPU__GUARD_RULE(id);								\
	static const struct percpu_guard_site PERCPU__ID(gsite, id) =			\
		{ __FILE__, __LINE__, irqs_off };					\
	struct percpu_guard g;								\
	struct percpu__guard_scope PERCPU__ID(gscope, id) __attribute__((cleanup(cleanup_))) = \
		{ &(g), &PERCPU__ID(gsite, id), (save) };				\
	percpu__audit_guard_enter(&(g), &PERCPU__ID(gsite, id))
#define PERCPU_GUARD(g) PERCPU__GUARD(g, percpu__guard_scope_end, percpu_arch_irq_save(), 0, __COUNTER__)
#define PERCPU_GUARD_IRQS_OFF(g) PERCPU__GUARD(g, percpu__guard_scope_end_irqs_off, 0, 1, __COUNTER__)
#else
static inline void percpu__guard_release(struct percpu_guard *guard)
{
	percpu_arch_irq_restore(guard->saved_irq);
}

static inline void percpu__guard_release_irqs_off(struct percpu_guard *guard)
{
	(void)guard;
}

/* Disables interrupts on this hart until the end of the enclosing block. */
#define PERCPU_GUARD(g) PERCPU__GUARD(g, __COUNTER__)
#define PERCPU__GUARD(g, id)								\
	PERCPU__GUARD_RULE(id);								\
	struct percpu_guard g __attribute__((cleanup(percpu__guard_release))) =	\
		{ .saved_irq = percpu_arch_irq_save() }

/* Precondition: interrupts already off (trap handler, scheduler core).
 * Zero instructions in release; audit checks the precondition. */
#define PERCPU_GUARD_IRQS_OFF(g) PERCPU__GUARD_IRQS_OFF(g, __COUNTER__)
#define PERCPU__GUARD_IRQS_OFF(g, id)							\
	PERCPU__GUARD_RULE(id);								\
	struct percpu_guard g __attribute__((cleanup(percpu__guard_release_irqs_off))) = \
		{ .saved_irq = 0 }
#endif

/* ---------------------------------------------------------------------- */
/* Local access. */

#if NEURON_AUDIT
/*
 * The inline fast path of every guarded check: true when this hart's
 * identity word equals the instance's stamp (magic and owner), the guard
 * is the innermost live guard on this hart (this object, not a copy, is
 * the head of this hart's chain, and tp is the base it was taken with)
 * and interrupts are off. Anything else goes to the out-of-line checker,
 * which finds and reports what is wrong exactly as before (a copy of a
 * live guard, whose serial is live, passes there as it always did).
 */
static inline __attribute__((always_inline)) bool
percpu__audit_guard_fast(const struct percpu_guard *guard, uint64_t stamp)
{
	uint64_t me = percpu_arch_identity_word();
	uint64_t top = PERCPU_ARCH_LOAD_XOR_BASE(percpu__self, __builtin_offsetof(struct percpu_hart_self, top_key));
	return __builtin_expect(stamp == me, 1) && __builtin_expect(top == (uintptr_t)guard, 1) &&
	       __builtin_expect(!percpu_arch_irqs_enabled(), 1);
}

#define PERCPU__AUDIT_LOCAL(id, g, var, kind)						\
	PERCPU__SITE(id, kind, PERCPU_REASON_NONE, var, NULL);				\
	if (__builtin_expect(!percpu__audit_guard_fast(&(g),				\
			PERCPU_ARCH_LOAD_RAW(percpu_storage__##var, 8, 0)), 0))		\
		percpu__audit_local(&(g), &(var).desc,					\
			(const struct percpu_stamp *)PERCPU_ARCH_ADDR(percpu_storage__##var, 0), \
			&PERCPU__ID(site, id))
/*
 * A write by the owner to a PERCPU_DECLARE_LOCKED variable: remote harts
 * access it under its lock, so the owner's write needs the lock too
 * (docs/concurrency-model.md section 3). Inline: the lock word and its
 * holder against the identity word; the lock's offset is a constant, and
 * a variable without a lock compiles to nothing here.
 */
static inline __attribute__((always_inline)) bool
percpu__audit_owner_holds(const struct spinlock *lock)
{
	return __builtin_expect(atomic_load_explicit(&lock->locked, memory_order_relaxed) &&
				atomic_load_explicit(&lock->holder, memory_order_relaxed) ==
				(unsigned)(percpu_arch_identity_word() >> 32), 1);
}
void percpu__audit_owner_unlocked(const struct percpu_var_desc *var,
				  const struct percpu_callsite *site);
#define PERCPU__AUDIT_OWNER_LOCK(id, var)						\
	if (percpu_lock_offset__##var >= 0 &&						\
	    !percpu__audit_owner_holds(PERCPU_ARCH_ADDR(percpu_storage__##var,		\
			PERCPU__VALUE_OFF(var) +					\
			(percpu_lock_offset__##var >= 0 ? percpu_lock_offset__##var : 0)))) \
		percpu__audit_owner_unlocked(&(var).desc, &PERCPU__ID(site, id))
#else
#define PERCPU__AUDIT_LOCAL(id, g, var, kind) ((void)(g))
#define PERCPU__AUDIT_OWNER_LOCK(id, var) ((void)0)
#endif

/* The access itself: u is declared, its .value the field's value. The
 * measuring baseline (arch/riscv.h, NEURON_PERCPU_BASELINE) reads and
 * writes the field as plain typed C, as unwrapped code would. */
#if NEURON_PERCPU_BASELINE
#define PERCPU__LOCAL_LOAD(u, var, T, off, path)					\
	union { unsigned long raw; T value; } u = { .value = percpu_storage__##var path }
#define PERCPU__LOCAL_STORE(var, T, off, path, v) ((void)(percpu_storage__##var path = (v)))
#else
#define PERCPU__LOCAL_LOAD(u, var, T, off, path)					\
	union { unsigned long raw; T value; } u;					\
	u.raw = PERCPU_ARCH_LOAD_RAW(percpu_storage__##var, sizeof(T), off)
#define PERCPU__LOCAL_STORE(var, T, off, path, v)					\
	PERCPU_ARCH_STORE_RAW(percpu_storage__##var, sizeof(T), off, v)
#endif

/* Local read/write of a field (member designator: nr, slots[2], a.b) or,
 * with the _var forms, of a whole scalar variable. */
#define percpu_read(g, var, field)							\
	PERCPU__READ_AT(g, var, PERCPU__FIELD_X(var, field), PERCPU__FIELD_T(var, field),	\
			PERCPU__FIELD_OFF(var, field), .value.field, __COUNTER__)
#define percpu_read_var(g, var)								\
	PERCPU__READ_AT(g, var, PERCPU__VAR_X(var), PERCPU__T(var), PERCPU__VALUE_OFF(var), .value, \
			__COUNTER__)
#define percpu_write(g, var, field, value_)						\
	PERCPU__WRITE_AT(g, var, PERCPU__FIELD_X(var, field), PERCPU__FIELD_T(var, field),	\
			 PERCPU__FIELD_OFF(var, field), .value.field, value_, __COUNTER__)
#define percpu_write_var(g, var, value_)						\
	PERCPU__WRITE_AT(g, var, PERCPU__VAR_X(var), PERCPU__T(var), PERCPU__VALUE_OFF(var), .value, \
			 value_, __COUNTER__)

/* path: the access as a C member path from the storage (.value.field),
 * for the measuring baseline; the wrapper uses the byte offset off. */
#define PERCPU__READ_AT(g, var, x, T, off, path, id) ({					\
	PERCPU__CHECK_GUARD(g);								\
	PERCPU__CHECK_VAR(var);								\
	PERCPU__CHECK_NOT_ARRAY(x);							\
	PERCPU__CHECK_SCALAR(T);							\
	PERCPU__CHECK_OFFSET(var, T, off);						\
	PERCPU__CHECK_NOT_ATOMIC(x);							\
	PERCPU__STORAGE_BEGIN								\
	PERCPU__AUDIT_LOCAL(id, g, var, PERCPU_ACCESS_LOCAL);				\
	PERCPU__LOCAL_LOAD(PERCPU__ID(v, id), var, T, off, path);			\
	PERCPU__STORAGE_END								\
	PERCPU__ID(v, id).value; })

#define PERCPU__WRITE_AT(g, var, x, T, off, path, value_, id) ({			\
	PERCPU__CHECK_GUARD(g);								\
	PERCPU__CHECK_VAR(var);								\
	PERCPU__CHECK_NOT_ARRAY(x);							\
	PERCPU__CHECK_SCALAR(T);							\
	PERCPU__CHECK_OFFSET(var, T, off);						\
	PERCPU__CHECK_WRITABLE(x);							\
	PERCPU__CHECK_NOT_ATOMIC(x);							\
	T PERCPU__ID(v, id) = (value_);							\
	PERCPU__STORAGE_BEGIN								\
	PERCPU__AUDIT_LOCAL(id, g, var, PERCPU_ACCESS_LOCAL);				\
	PERCPU__AUDIT_OWNER_LOCK(id, var);						\
	PERCPU__LOCAL_STORE(var, T, off, path, PERCPU__ID(v, id));			\
	PERCPU__STORAGE_END								\
	(void)0; })

/* This hart's instance. The pointer is valid only while g lives: pass it
 * down, never store it (PERCPU_ASSERT_LOCAL checks it in audit builds). */
#define percpu_local(g, var) PERCPU__LOCAL(g, var, __COUNTER__)
#define PERCPU__LOCAL(g, var, id) ({							\
	PERCPU__CHECK_GUARD(g);								\
	PERCPU__CHECK_VAR(var);								\
	PERCPU__STORAGE_BEGIN								\
	PERCPU__AUDIT_LOCAL(id, g, var, PERCPU_ACCESS_LOCAL);				\
	PERCPU__T(var) *PERCPU__ID(p, id) =						\
		PERCPU_ARCH_ADDR(percpu_storage__##var, PERCPU__VALUE_OFF(var));	\
	PERCPU__STORAGE_END								\
	PERCPU__ID(p, id); })

/* Checkpoint for a pointer from percpu_local that was passed down: audit
 * builds check g is live on this hart and ptr is this hart's instance. */
#if NEURON_AUDIT
#define PERCPU_ASSERT_LOCAL(g, var, ptr) PERCPU__ASSERT_LOCAL(g, var, ptr, __COUNTER__)
#define PERCPU__ASSERT_LOCAL(g, var, ptr, id) ({					\
	PERCPU__CHECK_GUARD(g);								\
	PERCPU__CHECK_VAR(var);								\
	const PERCPU__T(var) *PERCPU__ID(p, id) = (ptr);				\
	PERCPU__SITE(id, PERCPU_ACCESS_LOCAL, PERCPU_REASON_NONE, var, NULL);				\
	percpu__audit_local_ptr(&(g), &(var).desc, PERCPU__ID(p, id), &PERCPU__ID(site, id)); \
	(void)0; })
#else
#define PERCPU_ASSERT_LOCAL(g, var, ptr) ({						\
	PERCPU__CHECK_GUARD(g);								\
	PERCPU__CHECK_VAR(var);								\
	const PERCPU__T(var) *percpu__unused_p __attribute__((unused)) = (ptr);	\
	(void)0; })
#endif

/* Local atomic operations, for the _Atomic fields of a variable without a
 * lock (the fields remote harts touch with the atomic accessors). */
#define PERCPU__LOCAL_ATOMIC_PTR(g, var, field) ({					\
	PERCPU__CHECK_GUARD(g);								\
	PERCPU__CHECK_VAR(var);								\
	PERCPU__CHECK_ATOMIC_FIELD(var, field);						\
	&percpu_local(g, var)->field; })
#define percpu_local_fetch_add(g, var, field, value_, order)				\
	__atomic_fetch_add(PERCPU__LOCAL_ATOMIC_PTR(g, var, field), (value_), PERCPU__ORDER_CHECKED(order))
#define percpu_local_exchange(g, var, field, value_, order)				\
	__atomic_exchange_n(PERCPU__LOCAL_ATOMIC_PTR(g, var, field), (value_), PERCPU__ORDER_CHECKED(order))
#define percpu_local_load(g, var, field, order)						\
	__atomic_load_n(PERCPU__LOCAL_ATOMIC_PTR(g, var, field), PERCPU__ORDER_CHECKED(order))
#define percpu_local_store(g, var, field, value_, order)				\
	__atomic_store_n(PERCPU__LOCAL_ATOMIC_PTR(g, var, field), (value_), PERCPU__ORDER_CHECKED(order))
#define PERCPU__ORDER_CHECKED(o) ({ PERCPU__CHECK_ORDER(o); PERCPU__ORDER(o); })

/* The hart running this code, under guard (&g): percpu_current_hart(&g).
 * One load from the per-hart area in release. Meaningful only under a
 * guard: without one the task may migrate. Audit builds check, like every
 * guarded accessor, that the guard is live and was taken on this hart. */
#define percpu_current_hart(guard_ptr) ({						\
	_Static_assert(_Generic((guard_ptr), struct percpu_guard *: 1,		\
				const struct percpu_guard *: 1, default: 0),		\
		"percpu: percpu_current_hart needs a guard: pass &g of PERCPU_GUARD(g) or PERCPU_GUARD_IRQS_OFF(g)"); \
	percpu__current_hart((guard_ptr), __FILE__, __LINE__); })

static inline unsigned percpu__current_hart(const struct percpu_guard *guard,
					    const char *file, unsigned line)
{
#if NEURON_AUDIT
	/* Fast path: the guard is this hart's innermost (see
	 * percpu__audit_guard_fast), the area at tp was attached for the hart
	 * the identity word names, and interrupts are off. */
	uint64_t me = percpu_arch_identity_word();
	uint64_t top = PERCPU_ARCH_LOAD_XOR_BASE(percpu__self, __builtin_offsetof(struct percpu_hart_self, top_key));
	uint64_t owner = PERCPU_ARCH_LOAD_RAW(percpu__self, 8, __builtin_offsetof(struct percpu_hart_self, identity));
	if (__builtin_expect(top == (uintptr_t)guard, 1) && __builtin_expect(owner == me, 1) &&
	    __builtin_expect(!percpu_arch_irqs_enabled(), 1))
		return (unsigned)(me >> 32);
	return percpu__audit_current_hart(guard, file, line);
#else
	(void)guard;
	(void)file;
	(void)line;
	return (unsigned)PERCPU_ARCH_LOAD_RAW(percpu__self, 4, __builtin_offsetof(struct percpu_hart_self, hart));
#endif
}

/*
 * A point no guard may be live across: percpu_assert_no_guard("across a
 * task switch"). A guard proves this hart will not switch tasks while it
 * lives; a task that blocks or yields under one keeps a frame of its
 * stack at the head of this hart's live guards while other tasks run on
 * the hart (and, migrated, releases it on another), so its pointers and
 * tokens outlive what they prove. Like Linux's "scheduling while atomic".
 * Audit builds check that this hart has no live guard (one load and a
 * compare on the inline path) and report the place; release builds
 * compile it to nothing. `what` ends the report's "missing no live guard
 * ..." (a string literal).
 */
#if NEURON_AUDIT
void percpu__audit_guard_live(const char *what, const char *file, unsigned line);
#define percpu_assert_no_guard(what) percpu__assert_no_guard("no live guard " what, __FILE__, __LINE__)
static inline __attribute__((always_inline)) void
percpu__assert_no_guard(const char *what, const char *file, unsigned line)
{
	uint64_t top = PERCPU_ARCH_LOAD_XOR_BASE(percpu__self, __builtin_offsetof(struct percpu_hart_self, top_key));
	if (__builtin_expect(top != 0, 0))
		percpu__audit_guard_live(what, file, line);
}
#else
#define percpu_assert_no_guard(what) ((void)sizeof("" what))
#endif

/* ---------------------------------------------------------------------- */
/* Remote access. */

#if NEURON_AUDIT
#define PERCPU__REMOTE_SLOT(id, var, hart, held, kind, reason)				\
	({ PERCPU__SITE(id, kind, (uint16_t)PERCPU__REASON(reason), var, NULL);						\
	   percpu__audit_remote(&(var).desc, (hart), (held), &PERCPU__ID(site, id),	\
				PERCPU__AREA_OFFSET(var),					\
				(kind) == PERCPU_ACCESS_ATOMIC ? PERCPU__LOCK_NOT_CHECKED :	\
				percpu_lock_offset__##var < 0 ? PERCPU__LOCK_NONE :		\
				(long)PERCPU__VALUE_OFF(var) + percpu_lock_offset__##var); })
#else
#define PERCPU__REMOTE_SLOT(id, var, hart, held, kind, reason)				\
	(__atomic_load_n(&percpu__area_bases[(hart)], __ATOMIC_RELAXED) +		\
	 PERCPU_ARCH_AREA_OFFSET(percpu_storage__##var))
#endif

/* hart's instance, while the caller holds lock (the variable's own lock). */
#define percpu_remote(var, hart, lock, reason) PERCPU__REMOTE(var, hart, lock, reason, __COUNTER__, PERCPU_ACCESS_LOCKED)
#define PERCPU__REMOTE(var, hart, lock, reason, id, kind) ({				\
	PERCPU__CHECK_VAR(var);								\
	PERCPU__CHECK_REASON(reason);							\
	PERCPU__CHECK_LOCK(var, lock);							\
	const struct spinlock *PERCPU__ID(l, id) = (lock);				\
	unsigned PERCPU__ID(h, id) = (hart);						\
	PERCPU__STORAGE_BEGIN								\
	uintptr_t PERCPU__ID(s, id) = PERCPU__REMOTE_SLOT(id, var, PERCPU__ID(h, id),	\
		PERCPU__ID(l, id), kind, reason);					\
	PERCPU__STORAGE_END								\
	(void)PERCPU__ID(l, id);							\
	(PERCPU__REMOTE_PTR_T(var, reason))(PERCPU__ID(s, id) + PERCPU__VALUE_OFF(var)); })

#define percpu_remote_read(var, hart, field, lock, reason)				\
	(PERCPU__REMOTE(var, hart, lock, reason, __COUNTER__, PERCPU_ACCESS_READ)->field)
#define percpu_remote_write(var, hart, field, value_, lock, reason) ({			\
	PERCPU__CHECK_REASON_WRITES(reason);						\
	PERCPU__REMOTE(var, hart, lock, reason, __COUNTER__, PERCPU_ACCESS_WRITE)->field = (value_); \
	(void)0; })

/* Atomic remote accessors: the operation itself is the synchronisation. */
#define PERCPU__REMOTE_ATOMIC_PTR(var, hart, field, reason, id) ({			\
	PERCPU__CHECK_VAR(var);								\
	PERCPU__CHECK_REASON(reason);							\
	PERCPU__CHECK_ATOMIC_FIELD(var, field);						\
	unsigned PERCPU__ID(h, id) = (hart);						\
	PERCPU__STORAGE_BEGIN								\
	uintptr_t PERCPU__ID(s, id) = PERCPU__REMOTE_SLOT(id, var, PERCPU__ID(h, id),	\
		NULL, PERCPU_ACCESS_ATOMIC, reason);					\
	PERCPU__STORAGE_END								\
	&((PERCPU__T(var) *)(PERCPU__ID(s, id) + PERCPU__VALUE_OFF(var)))->field; })
#define percpu_remote_load(var, hart, field, order, reason)				\
	__atomic_load_n(PERCPU__REMOTE_ATOMIC_PTR(var, hart, field, reason, __COUNTER__), \
			PERCPU__ORDER_CHECKED(order))
/* A remote atomic write: builtin is the __atomic_* operation. */
#define PERCPU__REMOTE_ATOMIC_WRITE(builtin, var, hart, field, value_, order, reason) ({	\
	PERCPU__CHECK_REASON_WRITES(reason);						\
	builtin(PERCPU__REMOTE_ATOMIC_PTR(var, hart, field, reason, __COUNTER__),	\
		(value_), PERCPU__ORDER_CHECKED(order)); })
#define percpu_remote_store(var, hart, field, value_, order, reason)			\
	PERCPU__REMOTE_ATOMIC_WRITE(__atomic_store_n, var, hart, field, value_, order, reason)
#define percpu_remote_fetch_add(var, hart, field, value_, order, reason)		\
	PERCPU__REMOTE_ATOMIC_WRITE(__atomic_fetch_add, var, hart, field, value_, order, reason)
#define percpu_remote_fetch_or(var, hart, field, value_, order, reason)		\
	PERCPU__REMOTE_ATOMIC_WRITE(__atomic_fetch_or, var, hart, field, value_, order, reason)
#define percpu_remote_exchange(var, hart, field, value_, order, reason)		\
	PERCPU__REMOTE_ATOMIC_WRITE(__atomic_exchange_n, var, hart, field, value_, order, reason)

/* ---------------------------------------------------------------------- */
/* Scoped remote access: lock and pointer in one lexical scope. */

/*
 *   percpu_remote_locked(runqueues, hart, steal, rq) {
 *           rq_push(rq, t);
 *   }
 *
 * Takes the lock of hart's instance of a PERCPU_DECLARE_LOCKED variable
 * (the member its declaration names), runs the block with `p` (a
 * PERCPU__T(var) *) pointing at that instance, and releases the lock when
 * the block is left by its end, break, return or goto (a cleanup
 * attribute). `p` is declared by the construct, so it does not exist
 * after it: the usual remote access cannot outlive its lock. Audit builds
 * record the access as percpu_remote does and report a spin_unlock of the
 * lock while the block is still open (the pointer would outlive it).
 *
 * The block is the body of a loop run once: `break` and `continue` in it
 * leave the block (releasing the lock), not a loop around it.
 *
 * Interrupts are off for the block (saved before the lock, restored after
 * it). Precondition: this hart does not hold hart's lock. Copy the pointer
 * out of the block and the audit cannot follow it: reviewers grep for
 * assignments from `p`.
 */
struct percpu_borrow {
	struct spinlock *lock;		/* the instance's own lock, held */
	uintptr_t value;		/* the instance */
	bool open;			/* the for-once loop's condition */
#if NEURON_AUDIT
	const struct percpu_callsite *site;
#endif
};

#if NEURON_AUDIT
struct percpu_borrow percpu__audit_borrow(const struct percpu_var_desc *var, unsigned hart,
					  const struct percpu_callsite *site,
					  enum percpu_reason reason);
void percpu__audit_borrow_end(struct percpu_borrow *borrow);
struct spinlock *percpu__audit_remote_lock(const struct percpu_var_desc *var, unsigned hart,
					   const char *file, unsigned line);

/*
 * Records an opened borrow as entry `open` of self's tracked borrows
 * (open < PERCPU_BORROWS_TRACKED). Its released bit is already clear:
 * a set bit belongs to an open borrow, and its end clears it.
 */
static inline __attribute__((always_inline)) void
percpu__borrow_track(struct percpu_hart_self *self, uint32_t open, const struct spinlock *lock,
		     const struct percpu_var_desc *var, const struct percpu_callsite *site)
{
	self->borrow_lock[open] = lock;
	self->borrow_var[open] = var;
	self->borrow_site[open] = site;
	self->borrows_open = open + 1;
}

/*
 * The borrow's inline fast path: what the out-of-line open establishes
 * when nothing is wrong (this hart attached, a target hart with an area,
 * its instance stamped for it, a free entry among the tracked borrows),
 * then the lock (spin__lock's own audit fast path), the entry and the
 * record. Anything else goes to percpu__audit_borrow, which reports as
 * before. Interrupts are off (the scope around the borrow), so the self
 * block stays this hart's from the first load to the last store.
 */
static inline __attribute__((always_inline)) struct percpu_borrow
percpu__audit_borrow_open(const struct percpu_var_desc *var, unsigned hart,
			  const struct percpu_callsite *site, enum percpu_reason reason,
			  uintptr_t area_offset, uintptr_t value_offset, uintptr_t lock_in_value)
{
	uint64_t me = percpu_arch_identity_word();
	uint32_t open = (uint32_t)PERCPU_ARCH_LOAD_RAW(percpu__self, 4,
			__builtin_offsetof(struct percpu_hart_self, borrows_open));
	if (__builtin_expect(hart < NEURON_MAX_HARTS && (uint32_t)me == PERCPU_STAMP_MAGIC &&
			     open < PERCPU_BORROWS_TRACKED, 1)) {
		uintptr_t base = __atomic_load_n(&percpu__area_bases[hart], __ATOMIC_RELAXED);
		uintptr_t slot = base + area_offset;
		if (__builtin_expect(base != 0 &&
				     *(const uint64_t *)slot == PERCPU_IDENTITY_WORD(hart), 1)) {
			uintptr_t value = slot + value_offset;
			struct spinlock *lock = (struct spinlock *)(value + lock_in_value);
			spin__lock_as(lock, site->file, site->line, me);
			percpu__borrow_track(PERCPU_ARCH_ADDR(percpu__self, 0), open, lock, var, site);
			percpu_record_remote_allowed(var, hart, lock, site, value);
			return (struct percpu_borrow){ .lock = lock, .value = value, .open = true,
						       .site = site };
		}
	}
	return percpu__audit_borrow(var, hart, site, reason);
}

/* The end's fast path: this borrow is the innermost tracked one and no
 * tracked lock was unlocked inside its block. */
static inline __attribute__((always_inline)) void percpu__borrow_end(struct percpu_borrow *borrow)
{
	uint32_t open = (uint32_t)PERCPU_ARCH_LOAD_RAW(percpu__self, 4,
			__builtin_offsetof(struct percpu_hart_self, borrows_open));
	struct percpu_hart_self *self = PERCPU_ARCH_ADDR(percpu__self, 0);
	/* open == 0 wraps to a large number: out of line. */
	if (__builtin_expect(open - 1 < PERCPU_BORROWS_TRACKED &&
			     self->borrow_lock[open - 1] == borrow->lock &&
			     self->borrow_released == 0, 1)) {
		self->borrows_open = open - 1;
		spin__unlock_as(borrow->lock, borrow->site->file, borrow->site->line, true);
		return;
	}
	percpu__audit_borrow_end(borrow);
}
#define PERCPU__BORROW(id, var, hart, reason)						\
	({ PERCPU__SITE(id, PERCPU_ACCESS_LOCKED, (uint16_t)PERCPU__REASON(reason), var, NULL); \
	   percpu__audit_borrow_open(&(var).desc, (hart), &PERCPU__ID(site, id),	\
				     (enum percpu_reason)PERCPU__REASON(reason),	\
				     PERCPU__AREA_OFFSET(var),				\
				     PERCPU__VALUE_OFF(var), (uintptr_t)percpu_lock_offset__##var); })
#define PERCPU__REMOTE_LOCK(var, hart)							\
	percpu__audit_remote_lock(&(var).desc, (hart), __FILE__, __LINE__)
#else
static inline __attribute__((always_inline)) struct percpu_borrow
percpu__borrow_at(uintptr_t value, struct spinlock *lock, const char *file, unsigned line)
{
	spin__lock(lock, file, line);
	return (struct percpu_borrow){ .lock = lock, .value = value, .open = true };
}
static inline __attribute__((always_inline)) void percpu__borrow_end(struct percpu_borrow *borrow)
{
	spin__unlock(borrow->lock, NULL, 0);
}
#define PERCPU__BORROW(id, var, hart, reason) ({					\
	uintptr_t PERCPU__ID(bv, id) = PERCPU__REMOTE_SLOT(id, var, (hart), NULL, 0, reason) + \
		PERCPU__VALUE_OFF(var);							\
	percpu__borrow_at(PERCPU__ID(bv, id),						\
		percpu_lock_of__##var((PERCPU__T(var) *)PERCPU__ID(bv, id)), __FILE__, __LINE__); })
#define PERCPU__REMOTE_LOCK(var, hart)							\
	percpu_lock_of__##var((PERCPU__T(var) *)(PERCPU__REMOTE_SLOT(0, var, (hart), NULL, 0, none) + \
						  PERCPU__VALUE_OFF(var)))
#endif

#define PERCPU__CHECK_LOCKED(var, what) _Static_assert(				\
	_Generic(percpu_lock_of__##var(0), struct spinlock *: 1, default: 0),		\
	"percpu: " what " needs a variable with its own lock (PERCPU_DECLARE_LOCKED); use the atomic accessors")

/*
 * The scoped forms keep interrupts off for their block: the state is saved
 * before the lock is taken and restored after it is released (cleanups run
 * in reverse order of declaration), on every way out of the block. An
 * interrupt handler that took the same lock on this hart would otherwise
 * deadlock on it.
 */
struct percpu__irq_scope {
	unsigned long saved;
	bool open;
};

static inline __attribute__((always_inline)) void percpu__irq_scope_end(struct percpu__irq_scope *scope)
{
	percpu_arch_irq_restore(scope->saved);
}

#define PERCPU__IRQS_OFF_SCOPE(id)							\
	for (struct percpu__irq_scope PERCPU__ID(irq, id)				\
		__attribute__((cleanup(percpu__irq_scope_end))) = { percpu_arch_irq_save(), true }; \
	     PERCPU__ID(irq, id).open; PERCPU__ID(irq, id).open = false)

#define percpu_remote_locked(var, hart, reason, p)					\
	PERCPU__REMOTE_LOCKED(var, hart, reason, p, __COUNTER__)
#define PERCPU__REMOTE_LOCKED(var, hart, reason, p, id)				\
	PERCPU__IRQS_OFF_SCOPE(id)							\
	for (struct percpu_borrow PERCPU__ID(b, id)					\
		__attribute__((cleanup(percpu__borrow_end))) = ({			\
			PERCPU__CHECK_VAR(var);						\
			PERCPU__CHECK_REASON(reason);					\
			PERCPU__CHECK_LOCKED(var, "percpu_remote_locked");		\
			PERCPU__STORAGE_BEGIN						\
			struct percpu_borrow PERCPU__ID(bb, id) = PERCPU__BORROW(id, var, hart, reason); \
			PERCPU__STORAGE_END						\
			PERCPU__ID(bb, id); });						\
	     PERCPU__ID(b, id).open; PERCPU__ID(b, id).open = false)			\
		for (PERCPU__REMOTE_PTR_T(var, reason) p =				\
			(PERCPU__REMOTE_PTR_T(var, reason))PERCPU__ID(b, id).value;		\
		     PERCPU__ID(b, id).open; PERCPU__ID(b, id).open = false)

/*
 * Two instances of one locked variable, both locks held (stealing moves
 * tasks between two runqueues): the locks are taken in ascending hart
 * order, the rule for ranked lock classes, and released in reverse.
 * Interrupts are off for the block, as for percpu_remote_locked.
 * Precondition: hart_a != hart_b, neither lock held.
 */
struct percpu_borrow_pair {
	struct percpu_borrow a, b;
	bool a_first;			/* hart_a < hart_b: a's lock taken first */
	bool open;
};

static inline void percpu__borrow_pair_end(struct percpu_borrow_pair *pair)
{
	if (pair->a_first) {
		percpu__borrow_end(&pair->b);
		percpu__borrow_end(&pair->a);
	} else {
		percpu__borrow_end(&pair->a);
		percpu__borrow_end(&pair->b);
	}
}

#define percpu_remote_locked_pair(var, hart_a, hart_b, reason, pa, pb)			\
	PERCPU__REMOTE_LOCKED_PAIR(var, hart_a, hart_b, reason, pa, pb, __COUNTER__)
#define PERCPU__REMOTE_LOCKED_PAIR(var, hart_a, hart_b, reason, pa, pb, id)		\
	PERCPU__IRQS_OFF_SCOPE(id)							\
	for (struct percpu_borrow_pair PERCPU__ID(b, id)				\
		__attribute__((cleanup(percpu__borrow_pair_end))) = ({			\
			PERCPU__CHECK_VAR(var);						\
			PERCPU__CHECK_REASON(reason);					\
			PERCPU__CHECK_LOCKED(var, "percpu_remote_locked_pair");	\
			unsigned PERCPU__ID(ha, id) = (hart_a), PERCPU__ID(hb, id) = (hart_b); \
			struct percpu_borrow_pair PERCPU__ID(bb, id);			\
			PERCPU__ID(bb, id).a_first = PERCPU__ID(ha, id) < PERCPU__ID(hb, id); \
			PERCPU__ID(bb, id).open = true;					\
			PERCPU__STORAGE_BEGIN						\
			if (PERCPU__ID(bb, id).a_first) {				\
				PERCPU__ID(bb, id).a = PERCPU__BORROW(id, var, PERCPU__ID(ha, id), reason); \
				PERCPU__ID(bb, id).b = PERCPU__BORROW(id, var, PERCPU__ID(hb, id), reason); \
			} else {							\
				PERCPU__ID(bb, id).b = PERCPU__BORROW(id, var, PERCPU__ID(hb, id), reason); \
				PERCPU__ID(bb, id).a = PERCPU__BORROW(id, var, PERCPU__ID(ha, id), reason); \
			}								\
			PERCPU__STORAGE_END						\
			PERCPU__ID(bb, id); });						\
	     PERCPU__ID(b, id).open; PERCPU__ID(b, id).open = false)			\
		for (PERCPU__REMOTE_PTR_T(var, reason)					\
			pa = (PERCPU__REMOTE_PTR_T(var, reason))PERCPU__ID(b, id).a.value,	\
			pb = (PERCPU__REMOTE_PTR_T(var, reason))PERCPU__ID(b, id).b.value;	\
		     PERCPU__ID(b, id).open; PERCPU__ID(b, id).open = false)

/*
 * The lock of hart's instance, not the instance: for code that takes or
 * orders locks without touching the data (lock-order tests, the violation
 * suite's provocations). Data under it is reached with percpu_remote or
 * percpu_remote_locked, which check and record the access.
 */
#define percpu_remote_lock(var, hart) ({						\
	PERCPU__CHECK_VAR(var);								\
	PERCPU__CHECK_LOCKED(var, "percpu_remote_lock");				\
	PERCPU__STORAGE_BEGIN								\
	struct spinlock *percpu__lock_ = PERCPU__REMOTE_LOCK(var, hart);		\
	PERCPU__STORAGE_END								\
	percpu__lock_; })

/* ---------------------------------------------------------------------- */
/* Init phase: single hart, secondaries not started. */

#if NEURON_AUDIT
#define PERCPU_INIT_TOKEN(t)								\
	struct percpu_init_token t;							\
	percpu__audit_init_token(&(t), __FILE__, __LINE__)
#define PERCPU__INIT_SLOT(id, t, var, hart)						\
	({ PERCPU__SITE(id, PERCPU_ACCESS_INIT, PERCPU_REASON_INIT, var, NULL);				\
	   percpu__audit_init(&(t), &(var).desc, (hart), &PERCPU__ID(site, id)); })
#else
#define PERCPU_INIT_TOKEN(t) struct percpu_init_token t __attribute__((unused)) = { 0 }
#define PERCPU__INIT_SLOT(id, t, var, hart)						\
	(percpu__area_bases[(hart)] + PERCPU_ARCH_AREA_OFFSET(percpu_storage__##var))
#endif

/* hart's instance during the init phase. */
#define percpu_init(t, var, hart) PERCPU__INIT(t, var, hart, __COUNTER__)
#define PERCPU__INIT(t, var, hart, id) ({						\
	PERCPU__CHECK_TOKEN(t);								\
	PERCPU__CHECK_VAR(var);								\
	unsigned PERCPU__ID(h, id) = (hart);						\
	PERCPU__STORAGE_BEGIN								\
	uintptr_t PERCPU__ID(s, id) = PERCPU__INIT_SLOT(id, t, var, PERCPU__ID(h, id));	\
	PERCPU__STORAGE_END								\
	(PERCPU__T(var) *)(PERCPU__ID(s, id) + PERCPU__VALUE_OFF(var)); })

/* Next hart with an area, starting at `from`; NEURON_MAX_HARTS if none. */
static inline unsigned percpu__next_hart(unsigned from)
{
	while (from < NEURON_MAX_HARTS &&
	       __atomic_load_n(&percpu__area_bases[from], __ATOMIC_RELAXED) == 0)
		from++;
	return from;
}

/* Every hart that has an area, in ascending order, under init token t. */
#define percpu_for_each_hart(t, hart)							\
	for (unsigned hart = ({ PERCPU__CHECK_TOKEN(t); percpu__next_hart(0); });	\
	     hart < NEURON_MAX_HARTS; hart = percpu__next_hart(hart + 1))

/* ---------------------------------------------------------------------- */
/* Offsets and stamps, for code that inspects areas rather than using them. */

/*
 * The offset of var's value from any hart's area base, for the tools that
 * read areas from outside (the trace reader, gdb scripts). An offset, not
 * an access: added to an area base it reaches an instance unchecked and
 * unrecorded, which is what reviewers grep this name for.
 */
#define percpu_area_value_offset(var) ({						\
	PERCPU__CHECK_VAR(var);								\
	(var).desc.area_offset() + (uintptr_t)(var).desc.value_offset; })

#if NEURON_AUDIT
/*
 * The audit stamp of hart's instance (audit builds only: release has no
 * stamp), for the violation suite, which overwrites it to provoke the
 * stamp check. Reports a hart without an area and returns NULL.
 */
struct percpu_stamp *percpu__audit_stamp_of(const struct percpu_var_desc *var, unsigned hart,
					    const char *file, unsigned line);
#define percpu_audit_stamp(var, hart) ({						\
	PERCPU__CHECK_VAR(var);								\
	percpu__audit_stamp_of(&(var).desc, (hart), __FILE__, __LINE__); })
#endif

/* ---------------------------------------------------------------------- */
/* The one escape hatch: reviewed by grepping for its name. */

#if NEURON_AUDIT
#define PERCPU__UNCHECKED_SLOT(id, var, hart, why)					\
	({ PERCPU__SITE(id, PERCPU_ACCESS_UNCHECKED, PERCPU_REASON_UNCHECKED, var, why);				\
	   percpu__audit_unchecked(&(var).desc, (hart), &PERCPU__ID(site, id)); })
#else
#define PERCPU__UNCHECKED_SLOT(id, var, hart, why)					\
	(percpu__area_bases[(hart)] + PERCPU_ARCH_AREA_OFFSET(percpu_storage__##var))
#endif

#define percpu_unchecked(var, hart, justification) PERCPU__UNCHECKED(var, hart, "" justification "", __COUNTER__)
#define PERCPU__UNCHECKED(var, hart, why, id) ({					\
	PERCPU__CHECK_VAR(var);								\
	_Static_assert(sizeof(why) > 12, "percpu: percpu_unchecked needs a real justification"); \
	unsigned PERCPU__ID(h, id) = (hart);						\
	PERCPU__STORAGE_BEGIN								\
	uintptr_t PERCPU__ID(s, id) = PERCPU__UNCHECKED_SLOT(id, var, PERCPU__ID(h, id), why); \
	PERCPU__STORAGE_END								\
	(PERCPU__T(var) *)(PERCPU__ID(s, id) + PERCPU__VALUE_OFF(var)); })

/* The spinlock audit's inline fast paths (they need the arch layer above). */
#include <neuron/spinlock_audit.h>

#endif
