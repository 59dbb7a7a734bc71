/* BPF_PROG_LOAD of a two-instruction socket filter (r0 = 0; exit). SUCCEEDED: got a prog fd. */
#include "common.h"
#include <linux/bpf.h>
#include <sys/syscall.h>

int main(void)
{
	struct bpf_insn insns[2];
	union bpf_attr attr;
	char license[] = "GPL";
	long fd;
	memset(insns, 0, sizeof insns);
	insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K; /* r0 = 0 */
	insns[1].code = BPF_JMP | BPF_EXIT;
	memset(&attr, 0, sizeof attr);
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (unsigned long)insns;
	attr.insn_cnt = 2;
	attr.license = (unsigned long)license;
	fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
	if (fd < 0)
		verdict_blocked("bpf", "BPF_PROG_LOAD: %s", ename(errno));
	verdict_succeeded("bpf", "BPF_PROG_LOAD returned fd %ld", fd);
}
