/* expect: percpu: percpu_remote_lock needs a variable with its own lock */
#include "vars.h"
void f(void);
void f(void) { spin_lock(percpu_remote_lock(mailboxes, 1)); }
