/* expect: percpu: local access needs a guard */
#include "vars.h"
void f(void);
void f(void) { int not_a_guard = 0; use(percpu_read(not_a_guard, runqueues, nr_ready)); }
