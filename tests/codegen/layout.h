/* The per-hart structure both sides of the comparison use. */
#include <stdint.h>

struct spinlock_words { uint32_t word[4]; };

#define CODEGEN_RUNQUEUE_FIELDS		\
	uint64_t generation;		\
	long nr_ready;			\
	uint32_t weight;		\
	uint8_t flags;			\
	void *current;			\
	char pad_to_2k[2048 - 32];	\
	long far;			\
	char pad_past_4k[2048];		\
	long farther;

long read_irqs_off(void);
void write_irqs_off(long value);
long read_guarded(void);
void write_guarded(long value);
uint32_t read_u32_irqs_off(void);
uint8_t read_u8_irqs_off(void);
void write_u8_irqs_off(uint8_t value);
void *read_ptr_irqs_off(void);
void *local_address(void);
long read_far_irqs_off(void);
void write_far_irqs_off(long value);
long read_farther_irqs_off(void);
void write_farther_irqs_off(long value);
long read_twice_irqs_off(void);
void write_twice_irqs_off(long value);
void guard_only_irqs_off(void);
void guard_only(void);
long reload_around_read(const long *p);
void codegen_switch(void);
long read_across_call(void);
long plain_read_across_call(void);
long linux_read_irqs_off(void);
void *linux_local_address(void);
long order_store_then_read(long v);
long order_write_then_load(long v);
long order_load_write_load(long v);
void codegen_entry(void);
