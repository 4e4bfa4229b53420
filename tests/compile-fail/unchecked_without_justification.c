/* expect: percpu: percpu_unchecked needs a real justification */
#include "vars.h"
void f(void);
void f(void) { use(percpu_unchecked(runqueues, 1, "")->nr_ready); }
