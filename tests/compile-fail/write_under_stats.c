/* expect: percpu: stats and debug only read */
#include "vars.h"
void f(struct spinlock *lock);
void f(struct spinlock *lock) { percpu_remote_write(runqueues, 1, nr_ready, 0, lock, stats); }
