/* expect: percpu: init access needs an init-phase token */
#include "vars.h"
void f(void);
void f(void) { PERCPU_GUARD(g); percpu_init(g, runqueues, 1)->nr_ready = 0; }
