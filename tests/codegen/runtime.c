/* What the audit flavour needs from a platform, for linking only. */
#include <neuron/percpu.h>

void *memset(void *dst, int c, unsigned long n);
void *memset(void *dst, int c, unsigned long n)
{
	unsigned char *p = dst;
	while (n--)
		*p++ = (unsigned char)c;
	return dst;
}

void percpu_platform_report(const struct percpu_violation *violation, const char *line)
{
	(void)violation;
	(void)line;
}

void percpu_platform_panic(const char *line)
{
	(void)line;
	for (;;)
		;
}

void percpu_platform_lock_wait(const struct spinlock *lock, const char *file, unsigned line)
{
	(void)lock;
	(void)file;
	(void)line;
}
