// SPDX-License-Identifier: GPL-2.0
/*
 * Why tools/vm/run hides CMPXCHG16B from TCG guests: QEMU 7.2's TCG (Debian
 * 12) computes the flags of CMPXCHG16B from a stale condition-code op. An
 * earlier CMPXCHG16B that ended a translation block leaves CC_OP_EFLAGS
 * behind; the next one then takes whatever CC_SRC holds as EFLAGS, here an
 * ADD's operand, with TF and reserved bits set. In a guest kernel an
 * interrupt inside that window pushes these flags and its IRET turns on
 * single-stepping: exc_debug_kernel() WARNs. On hardware the flags after a
 * successful CMPXCHG16B differ from the ones before only in ZF.
 *
 *   gcc -O1 -o /tmp/tcg-cx16 tools/vm/tcg-cmpxchg16b.c
 *   /tmp/tcg-cx16                         # hardware: exits 0
 *   qemu-x86_64 -cpu max /tmp/tcg-cx16    # Debian 12's QEMU: exits 1
 *   (qemu-x86_64 is in the qemu-user package)
 */
#include <stdio.h>

static unsigned char buf[16] __attribute__((aligned(16)));

int main(void)
{
	unsigned long flags, junk = 0x0680b300;
	int i, bad = 0;

	for (i = 0; i < 1000; i++) {
		asm volatile("xor %%eax, %%eax\n\t"
			     "xor %%edx, %%edx\n\t"
			     "xor %%ebx, %%ebx\n\t"
			     "xor %%ecx, %%ecx\n\t"
			     "cmpxchg16b (%[p])\n\t"
			     "jmp 1f\n"		/* ends the translation block */
			     "1:\tmov $1, %%r9\n\t"
			     "add %[j], %%r9\n\t"
			     "cmpxchg16b (%[p])\n\t"
			     "pushf\n\t"
			     "andq $~0x100, (%%rsp)\n\t"	/* no TF for us */
			     "pop %[f]\n\t"
			     : [f] "=r" (flags)
			     : [p] "r" (buf), [j] "r" (junk)
			     : "rax", "rbx", "rcx", "rdx", "r9", "cc", "memory");
		/* IF, bit 1, arithmetic flags; ZF (0x40) set: it matched */
		if (((flags & ~0x8d5UL) != 0x202 || !(flags & 0x40)) && !bad++)
			printf("EFLAGS %#lx after a matching cmpxchg16b\n", flags);
	}
	printf("%d of 1000 with flags cmpxchg16b cannot produce\n", bad);
	return !!bad;
}
