/* expect: percpu: percpu_current_hart needs a guard */
#include "vars.h"
void f(void);
void f(void) { struct spinlock *l = 0; use((long)percpu_current_hart(l)); }
