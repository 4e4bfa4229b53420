#include <stdbool.h>
#include <stdint.h>

#include "lib/format.h"

struct out {
	char *buf;
	size_t cap; /* bytes available for characters, excluding the NUL */
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len < o->cap)
		o->buf[o->len++] = c;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

static void put_string(struct out *o, const char *s, int width, int precision, bool left)
{
	int n = 0;
	if (!s)
		s = "(null)";
	while (s[n] && (precision < 0 || n < precision))
		n++;
	if (!left)
		pad(o, ' ', width - n);
	for (int i = 0; i < n; i++)
		put(o, s[i]);
	if (left)
		pad(o, ' ', width - n);
}

static void put_number(struct out *o, uint64_t v, bool negative, unsigned base, bool upper,
		       int width, bool zero_pad, bool left, const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;
	int prefix_len = 0;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	while (prefix && prefix[prefix_len])
		prefix_len++;
	int total = n + (negative ? 1 : 0) + prefix_len;

	if (!left && !zero_pad)
		pad(o, ' ', width - total);
	if (negative)
		put(o, '-');
	for (int i = 0; i < prefix_len; i++)
		put(o, prefix[i]);
	if (!left && zero_pad)
		pad(o, '0', width - total);
	while (n)
		put(o, tmp[--n]);
	if (left)
		pad(o, ' ', width - total);
}

size_t kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { .buf = buf, .cap = size ? size - 1 : 0, .len = 0 };

	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			put(&o, *p);
			continue;
		}
		p++;
		bool left = false, zero_pad = false;
		for (;; p++) {
			if (*p == '-')
				left = true;
			else if (*p == '0')
				zero_pad = true;
			else
				break;
		}
		int width = 0;
		if (*p == '*') {
			width = va_arg(ap, int);
			p++;
		} else {
			while (*p >= '0' && *p <= '9')
				width = width * 10 + (*p++ - '0');
		}
		int precision = -1;
		if (*p == '.') {
			p++;
			precision = 0;
			if (*p == '*') {
				precision = va_arg(ap, int);
				p++;
			} else {
				while (*p >= '0' && *p <= '9')
					precision = precision * 10 + (*p++ - '0');
			}
		}
		int longs = 0;
		bool size_t_arg = false;
		while (*p == 'l') {
			longs++;
			p++;
		}
		if (*p == 'z') {
			size_t_arg = true;
			p++;
		}

		switch (*p) {
		case 'd':
		case 'i': {
			int64_t v = size_t_arg ? (int64_t)va_arg(ap, long)
				  : longs ? (longs == 1 ? va_arg(ap, long) : va_arg(ap, long long))
					  : va_arg(ap, int);
			uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
			put_number(&o, mag, v < 0, 10, false, width, zero_pad, left, NULL);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v = size_t_arg ? va_arg(ap, size_t)
				   : longs ? (longs == 1 ? va_arg(ap, unsigned long)
							 : va_arg(ap, unsigned long long))
					   : va_arg(ap, unsigned int);
			put_number(&o, v, false, *p == 'u' ? 10 : 16, *p == 'X', width, zero_pad,
				   left, NULL);
			break;
		}
		case 'p':
			put_number(&o, (uintptr_t)va_arg(ap, void *), false, 16, false, width,
				   zero_pad, left, "0x");
			break;
		case 's':
			put_string(&o, va_arg(ap, const char *), width, precision, left);
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case '%':
			put(&o, '%');
			break;
		case '\0':
			p--; /* a lone '%' at the end: stop cleanly */
			break;
		default:
			put(&o, '%');
			put(&o, *p);
			break;
		}
	}
	if (size)
		buf[o.len] = '\0';
	return o.len;
}

size_t ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
