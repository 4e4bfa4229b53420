/* expect: percpu: atomic accessors are refused on a PERCPU_DECLARE_LOCKED variable */
#include "vars.h"
void f(void);
/* Storing into another hart's lock word: the audit would blame the victim. */
void f(void) { percpu_remote_store(runqueues, 1, lock.locked, 0, release, steal); }
