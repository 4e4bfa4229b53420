/* expect-type-error: incompatible pointer type.*percpu_handle__runqueues */
#include "vars.h"
void take(struct runqueue *rq);
void f(void);
void f(void) { take(&runqueues); }
