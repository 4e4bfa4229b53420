/*
 * The violation suite (boot argument violation=NAME, audit builds): each
 * case breaks one rule once, in continue mode, and must be reported.
 * One per line, read by the kernel (X-macro) and by
 * tests/violations/CMakeLists.txt (one CTest per line, label violations):
 *
 *   VIOLATION(name, accessing, owner, "variable", "what was missing", trace_what)
 *
 * accessing, owner: which hart the report must name, by role in a 2-hart
 * boot: boot (the boot hart), other (the other hart), h0/h1 (that hart).
 * "what was missing": a part of the report's "missing ..." text.
 * trace_what: the kind the trace's violation record must carry
 * (tools/neuronlib/tracefmt/records.py VIOLATIONS).
 * The line the report must name is marked in the source by a comment
 * "violation-site: NAME" on the line just before it.
 */
VIOLATION(remote_write_unlocked, boot, other, "audit_probe", "lock held by this hart: audit_probe.lock", no_lock)
VIOLATION(remote_read_unlocked, boot, other, "audit_probe", "lock held by this hart: audit_probe.lock", no_lock)
VIOLATION(wrong_lock, boot, other, "audit_probe", "the variable's own lock: pass and hold audit_probe.lock", wrong_lock)
VIOLATION(lock_other_hart, boot, other, "audit_probe", "lock held by this hart: audit_probe.lock", lock_other_hart)
VIOLATION(owner_write_unlocked, boot, boot, "audit_probe", "its own lock held by this hart for the owner's write: audit_probe.lock", no_lock)
VIOLATION(borrow_outlives_unlock, boot, other, "audit_probe.lock", "the lock held until the end of the borrow of audit_probe opened at line", no_lock)
VIOLATION(pair_borrow_outlives_unlock, boot, other, "runqueues.lock", "the lock held until the end of the borrow of runqueues opened at line", no_lock)
VIOLATION(no_guard, boot, boot, "audit_probe", "a live guard", stale_guard)
VIOLATION(guard_other_hart, boot, boot, "audit_probe", "a guard taken on this hart; guard belongs to hart", stale_guard)
VIOLATION(guard_after_release, boot, boot, "audit_probe", "a live guard (used after its block ended", stale_guard)
VIOLATION(poisoned_base, boot, boot, "audit_probe", "a base register pointing at this hart's area", bad_base)
VIOLATION(base_other_hart, boot, boot, "audit_probe", "a base register pointing at this hart's area", bad_base)
VIOLATION(unstamped, boot, other, "audit_probe", "an instance stamped for the target hart", bad_stamp)
VIOLATION(escape_hatch, boot, other, "audit_probe", "a checked accessor (escape hatch used)", unchecked_use)
VIOLATION(steal_over_k, h1, h0, "runqueues", "a steal of at most steal_k tasks", domain_rule)
VIOLATION(mailbox_bypass, other, other, "ipi_mailboxes", "messages posted through ipi_post", domain_rule)
VIOLATION(lock_order, boot, h0, "runqueues.lock", "locks of one class taken in ascending order", lock_order)
