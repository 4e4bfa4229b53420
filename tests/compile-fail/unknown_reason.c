/* expect: percpu: unknown remote access reason */
#include "vars.h"
void f(struct spinlock *lock);
void f(struct spinlock *lock) { use(percpu_remote_read(runqueues, 1, nr_ready, lock, because_i_can)); }
