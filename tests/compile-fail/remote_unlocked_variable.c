/* expect: percpu: variable has no protecting lock */
#include "vars.h"
void f(struct spinlock *lock);
void f(struct spinlock *lock) { use((long)percpu_remote_read(mailboxes, 1, pending, lock, stats)); }
