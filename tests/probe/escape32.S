# escape32: a genuine 32-bit x86 static program (no libc) that tries dangerous system calls through
# both 32-bit entry points a real i386 binary uses: `int $0x80`, and the vDSO's __kernel_vsyscall
# (sysenter/syscall, found in the AT_SYSINFO auxv entry). Prints "<entry> <call> <result>" lines,
# result as the kernel's negative errno (-1 = EPERM, -38 = ENOSYS), and exits with the number of
# results other than expected (EPERM; clone3: ENOSYS). No multilib needed to build it:
#
#   as --32 -o build/escape32.o tests/probe/escape32.S
#   ld -m elf_i386 -static -o build/escape32 build/escape32.o
#
# Arguments are harmless even when nothing stops the call (invalid pointers, bad flags or magic);
# unshare(CLONE_NEWUSER) comes last because it would change the process if it succeeded.

	.set SYS_exit, 1
	.set SYS_write, 4

	.section .rodata
# One entry: number, expected result, five arguments, name (pointer, length).
	.macro ATTACK nr, expect, a0, a1, a2, a3, a4, name
	.long \nr, \expect, \a0, \a1, \a2, \a3, \a4, 1f, 2f - 1f
	.section .rodata.names
1:	.ascii "\name"
2:
	.section .rodata
	.endm
table:
	ATTACK 283, -1, 0, 0, 0, 0xffffffff, 0, "kexec_load"
	ATTACK  88, -1, 0, 0, 0, 0, 0, "reboot"
	ATTACK 128, -1, 1, 0, 1, 0, 0, "init_module"
	ATTACK 350, -1, -1, 1, 0, 0, 0, "finit_module"
	ATTACK 129, -1, 1, 0, 0, 0, 0, "delete_module"
	ATTACK  21, -1, 1, 1, 1, 0, 0, "mount"
	ATTACK  52, -1, 1, 0, 0, 0, 0, "umount2"
	ATTACK 217, -1, 1, 1, 0, 0, 0, "pivot_root"
	ATTACK 430, -1, 1, 0, 0, 0, 0, "fsopen"
	ATTACK  87, -1, 1, 0, 0, 0, 0, "swapon"
	ATTACK  51, -1, 1, 0, 0, 0, 0, "acct"
	ATTACK 288, -1, 0xffffffff, 0, 0, 0, 0, "keyctl"
	ATTACK 286, -1, 1, 1, 0, 0, 0, "add_key"
	ATTACK 357, -1, 0xffffffff, 0, 0, 0, 0, "bpf"
	ATTACK 374, -1, 0xffffffff, 0, 0, 0, 0, "userfaultfd"
	ATTACK 336, -1, 1, 0, -1, -1, 0, "perf_event_open"
	ATTACK 425, -1, 0, 0, 0, 0, 0, "io_uring_setup"
	ATTACK 264, -1, 0, 1, 0, 0, 0, "clock_settime"
	ATTACK 404, -1, 0, 1, 0, 0, 0, "clock_settime64"
	ATTACK  79, -1, 1, 0, 0, 0, 0, "settimeofday"
	ATTACK  25, -1, 1, 0, 0, 0, 0, "stime"
	ATTACK 124, -1, 1, 0, 0, 0, 0, "adjtimex"
	ATTACK 342, -1, -1, 1, 0, 0, 0, "open_by_handle_at"
	ATTACK 346, -1, -1, 0, 0, 0, 0, "setns"
	ATTACK  74, -1, 1, 65, 0, 0, 0, "sethostname"
	ATTACK 110, -1, 4, 0, 0, 0, 0, "iopl"
	ATTACK 113, -1, 1, 0, 0, 0, 0, "vm86old"
	ATTACK 136, -1, 0x40000, 0, 0, 0, 0, "personality(ADDR_NO_RANDOMIZE)"
	ATTACK 435, -38, 0, 0, 0, 0, 0, "clone3"
	ATTACK 310, -1, 0x10000000, 0, 0, 0, 0, "unshare(CLONE_NEWUSER)"
table_end:
	.set ENTRY, 36

int80_label:	.ascii "int80 "
vdso_label:	.ascii "vdso "

	.bss
	.align 4
sysinfo:	.long 0
bad:		.long 0
linebuf:	.space 128

	.text
	.globl _start
_start:
	# Find AT_SYSINFO (32) in the auxiliary vector: argc, argv..., 0, envp..., 0, auxv.
	mov (%esp), %eax
	lea 8(%esp,%eax,4), %esi        # envp
1:	mov (%esi), %eax
	add $4, %esi
	test %eax, %eax
	jnz 1b
2:	mov (%esi), %eax               # auxv pairs
	test %eax, %eax
	jz 3f
	cmp $32, %eax
	jne 4f
	mov 4(%esi), %eax
	mov %eax, sysinfo
4:	add $8, %esi
	jmp 2b
3:
	mov $table, %ebp
next:
	cmp $table_end, %ebp
	jae done
	# int $0x80
	mov 0(%ebp), %eax
	mov 8(%ebp), %ebx
	mov 12(%ebp), %ecx
	mov 16(%ebp), %edx
	mov 20(%ebp), %esi
	mov 24(%ebp), %edi
	push %ebp
	int $0x80
	pop %ebp
	mov $int80_label, %ecx
	mov $6, %edx
	call report
	# __kernel_vsyscall, when the kernel gave us one
	mov sysinfo, %eax
	test %eax, %eax
	jz 5f
	mov 0(%ebp), %eax
	mov 8(%ebp), %ebx
	mov 12(%ebp), %ecx
	mov 16(%ebp), %edx
	mov 20(%ebp), %esi
	mov 24(%ebp), %edi
	push %ebp
	call *sysinfo
	pop %ebp
	mov $vdso_label, %ecx
	mov $5, %edx
	call report
5:	add $ENTRY, %ebp
	jmp next
done:
	mov $SYS_exit, %eax
	mov bad, %ebx
	int $0x80

# report: eax = result, ecx/edx = label; ebp = entry. Writes "label name result\n", counts a
# result other than the expected one.
report:
	cmp 4(%ebp), %eax
	je 1f
	incl bad
1:	mov %eax, %ebx                  # keep the result
	mov $linebuf, %edi
	mov %ecx, %esi                  # label
	mov %edx, %ecx
	rep movsb
	mov 28(%ebp), %esi              # name
	mov 32(%ebp), %ecx
	rep movsb
	movb $' ', (%edi)
	inc %edi
	# signed decimal of ebx
	mov %ebx, %eax
	test %eax, %eax
	jns 2f
	movb $'-', (%edi)
	inc %edi
	neg %eax
2:	mov $10, %ecx
	xor %esi, %esi                  # digit count
3:	xor %edx, %edx
	div %ecx
	add $'0', %dl
	push %edx
	inc %esi
	test %eax, %eax
	jnz 3b
4:	pop %edx
	mov %dl, (%edi)
	inc %edi
	dec %esi
	jnz 4b
	movb $'\n', (%edi)
	inc %edi
	mov %edi, %edx
	sub $linebuf, %edx
	mov $SYS_write, %eax
	mov $1, %ebx
	mov $linebuf, %ecx
	int $0x80
	ret
