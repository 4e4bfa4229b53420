/*
 * The catalog of deliberate rule breaks: each case breaks one rule once,
 * in continue mode, and must be reported. It is run in two ways: one case
 * per boot (boot argument violation=NAME, the violation suite, audit
 * builds), and every case marked `both` in turn by the audit self-test
 * percpu_audit_fires, which checks each report in the kernel. One per
 * line, read by the kernel (X-macro) and by tests/violations/CMakeLists.txt
 * (one CTest per line, label violations):
 *
 *   VIOLATION(name, accessing, owner, "variable", "what was missing", trace_what, runs)
 *
 * accessing, owner: which hart the report must name, by role in a 2-hart
 * boot: boot (the hart running the case), other (the other hart), h0/h1
 * (that hart), none (the report names no owner).
 * "what was missing": a part of the report's "missing ..." text.
 * trace_what: the kind the trace's violation record must carry
 * (tools/neuronlib/tracefmt/records.py VIOLATIONS).
 * The line the report must name is marked in the source by a comment
 * "violation-site: NAME" on the line just before it.
 * runs: both (the suite and the self-test), or suite (the suite only: the
 * case runs the scheduler, forges a mailbox sequence number or leaves a
 * lock dropped inside a borrow, which would disturb the self-tests after it).
 */
VIOLATION(remote_write_unlocked, boot, other, "audit_probe", "lock held by this hart: audit_probe.lock", no_lock, both)
VIOLATION(remote_read_unlocked, boot, other, "audit_probe", "lock held by this hart: audit_probe.lock", no_lock, both)
VIOLATION(wrong_lock, boot, other, "audit_probe", "the variable's own lock: pass and hold audit_probe.lock", wrong_lock, both)
VIOLATION(lock_other_hart, boot, other, "audit_probe", "lock held by this hart: audit_probe.lock", lock_other_hart, both)
VIOLATION(owner_write_unlocked, boot, boot, "audit_probe", "its own lock held by this hart for the owner's write: audit_probe.lock", no_lock, both)
VIOLATION(borrow_outlives_unlock, boot, other, "audit_probe.lock", "the lock held until the end of the borrow of audit_probe opened at line", no_lock, suite)
VIOLATION(pair_borrow_outlives_unlock, boot, other, "runqueues.lock", "the lock held until the end of the borrow of runqueues opened at line", no_lock, suite)
VIOLATION(no_guard, boot, boot, "audit_probe", "a live guard", stale_guard, both)
VIOLATION(guard_other_hart, boot, boot, "audit_probe", "a guard taken on this hart; guard belongs to hart", stale_guard, both)
VIOLATION(guard_after_release, boot, boot, "audit_probe", "a live guard (used after its block ended", stale_guard, both)
VIOLATION(poisoned_base, boot, boot, "audit_probe", "a base register pointing at this hart's area", bad_base, both)
VIOLATION(base_other_hart, boot, boot, "audit_probe", "a base register pointing at this hart's area", bad_base, both)
VIOLATION(corrupted_stamp, boot, none, "audit_probe", "an instance stamped for this hart", bad_stamp, both)
VIOLATION(unstamped, boot, other, "audit_probe", "an instance stamped for the target hart", bad_stamp, both)
VIOLATION(init_token_after_smp, boot, boot, "init token", "the init phase (PERCPU_INIT_TOKEN after percpu_smp_begin)", init_phase_over, both)
VIOLATION(init_token_used_late, boot, boot, "audit_probe", "the init phase (init token used after percpu_smp_begin)", init_phase_over, both)
VIOLATION(escape_hatch, boot, other, "audit_probe", "a checked accessor (escape hatch used)", unchecked_use, both)
VIOLATION(steal_over_k, h1, h0, "runqueues", "a steal of at most steal_k tasks", domain_rule, suite)
VIOLATION(mailbox_bypass, other, other, "ipi_mailboxes", "messages posted through ipi_post", domain_rule, suite)
VIOLATION(lock_order, boot, h0, "runqueues.lock", "locks of one class taken in ascending order", lock_order, suite)
VIOLATION(guard_across_switch, boot, boot, "guard", "no live guard across a task switch", stale_guard, suite)
