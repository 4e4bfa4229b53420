#include <stdint.h>

#include "arch/riscv/layout.h"
#include "arch/riscv/uart.h"

#define UART_THR 0 /* transmit holding register */
#define UART_LSR 5 /* line status register */
#define LSR_THR_EMPTY 0x20
#define LSR_TX_IDLE 0x40

/* QEMU's UART is always ready; a real one is bounded by this. */
#define UART_MAX_POLLS 100000

static volatile uint8_t *const uart = (volatile uint8_t *)UART0_BASE;

static void wait_for(uint8_t lsr_bits)
{
	for (int i = 0; i < UART_MAX_POLLS; i++) {
		if ((uart[UART_LSR] & lsr_bits) == lsr_bits)
			return;
	}
}

void uart_putc(char c)
{
	wait_for(LSR_THR_EMPTY);
	uart[UART_THR] = (uint8_t)c;
}

void uart_drain(void)
{
	wait_for(LSR_THR_EMPTY | LSR_TX_IDLE);
}
