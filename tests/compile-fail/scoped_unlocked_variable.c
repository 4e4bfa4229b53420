/* expect: percpu: percpu_remote_locked needs a variable with its own lock */
#include "vars.h"
void f(void);
void f(void)
{
	percpu_remote_locked(mailboxes, 1, stats, mb)
		use((long)mb->pending);
}
