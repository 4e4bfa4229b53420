/* expect: percpu: remote access needs a sync argument */
#include "vars.h"
void f(void);
void f(void) { use(percpu_remote(runqueues, 1, (void *)0, steal)->nr_ready); }
