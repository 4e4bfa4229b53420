/* The ns16550a UART of QEMU virt, polled. OpenSBI has already set it up. */
#ifndef NEURON_ARCH_RISCV_UART_H
#define NEURON_ARCH_RISCV_UART_H

void uart_putc(char c);
/* Waits until the transmitter has sent every byte written so far. */
void uart_drain(void);

#endif
