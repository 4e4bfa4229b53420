/* expect: percpu: atomic accessors take only fields declared _Atomic */
#include "vars.h"
void f(void);
void f(void) { use((long)percpu_remote_load(mailboxes, 1, flags, acquire, stats)); }
