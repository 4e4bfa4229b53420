/* expect-rule-note: pasting "percpu_rule_a_reason_is_a_bare_name_not_a_string_" and ""steal"" */
#include "vars.h"
void f(struct spinlock *lock);
void f(struct spinlock *lock) { use(percpu_remote_read(runqueues, 1, nr_ready, lock, "steal")); }
