/* expect: percpu: atomic access needs a memory order */
#include "vars.h"
void f(void);
void f(void) { percpu_remote_fetch_add(mailboxes, 1, pending, 1, whatever, ipi_post); }
