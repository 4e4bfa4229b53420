/* expect: percpu: percpu_remote_locked_pair needs a variable with its own lock */
#include "vars.h"
void f(void);
void f(void)
{
	percpu_remote_locked_pair(mailboxes, 0, 1, steal, a, b)
		use((long)(a->pending + b->pending));
}
