/* percpu_lint fixture: plain thread-local data. Lines ending in
 * "expect: RULE" must be reported, nothing else: a comment or a string
 * saying __thread is not a declaration. */
#include <threads.h>

__thread int hits; // expect: plain-thread
static _Thread_local long last; // expect: plain-thread
thread_local char scratch[16]; // expect: plain-thread
const char *why = "a __thread value is per hart";

/* percpu-lint: allow plain-thread: the boot marker proves the template was copied */
static __thread unsigned marker = 1;
/* percpu-lint: allow plain-thread: xx */
static __thread unsigned lazy = 1; // expect: plain-thread
