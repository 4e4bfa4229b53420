/* expect: percpu: stats and debug only read */
#include "vars.h"
void f(void);
void f(void) { use((long)percpu_remote_fetch_add(mailboxes, 1, pending, 1, relaxed, debug)); }
