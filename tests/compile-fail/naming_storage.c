/* expect: percpu: per-CPU storage is reached only through the percpu_. accessors */
#include "vars.h"
void f(void);
void f(void) { percpu_storage__runqueues.value.nr_ready = 1; }
