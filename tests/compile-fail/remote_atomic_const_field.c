/* expect: percpu: atomic accessors take only fields declared _Atomic */
#include "vars.h"
void f(void);
void f(void) { use((long)percpu_remote_fetch_or(mailboxes, 1, limit, 1, relaxed, ipi_post)); }
