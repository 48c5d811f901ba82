/* The shell's vocabulary: one row per command. Parsing (step_parse.c), `help`, `explain` and tab
 * completion all read this table, so they cannot drift apart. */
#include <stddef.h>
#include <string.h>
#include "gph/step.h"

static const char *const ns_words[] = {"user", "pid", "uts", "mnt", "ipc", "net", "cgroup", "mount", NULL};
static const char *const mount_words[] = {"proc", "sys", "dev", "tmpfs", NULL};
static const char *const cgroup_words[] = {"mem", "swap", "cpu", "cpuweight", "cpuset", "pids", "io", NULL};
static const char *const net_words[] = {"none", "veth", "bridge", "nat", "port", NULL};
static const char *const show_words[] = {"ns", "mounts", "cgroup", "net", "caps", "all", "picture", "--json", NULL};
static const char *const score_words[] = {"why", NULL};
static const char *const cap_words[] = {"default", "all", "drop", "add", NULL};
static const char *const seccomp_words[] = {"default", "off", NULL};
static const char *const onoff_words[] = {"on", "off", NULL};
static const char *const export_words[] = {"run", NULL};

const struct gph_cmd_def gph_cmds[] = {
	{"ns", "ns user|pid|uts|mnt|ipc|net|cgroup ... [uidmap C:H:N] [gidmap C:H:N] | ns join uts|ipc|net PATH",
	 "give the sandbox new namespaces",
	 "Each name asks for a new namespace of that kind; several may be given at once.\n"
	 "  user    user and group IDs and capabilities: root inside is an ordinary user outside. It must\n"
	 "          come first (or in the same step as the others), so it owns the namespaces made after\n"
	 "          it. Default mapping: container root = the caller's own uid (for root, the `root` range\n"
	 "          of /etc/subuid when there is one); `uidmap 0:100000:65536` and `gidmap` choose others.\n"
	 "          Not root? `ns user` first, then the others work (rootless mode).\n"
	 "  pid     process IDs: the next `exec` runs as PID 1 of a fresh PID namespace\n"
	 "  uts     hostname and domain name\n"
	 "  mnt     the mount table (also spelled `mount`); `/` is made private at once\n"
	 "  ipc     System V IPC objects and POSIX message queues\n"
	 "  net     network devices, addresses, routes, ports: only `lo` inside\n"
	 "  cgroup  the view of /proc/self/cgroup, rooted at the container's cgroup\n"
	 "`ns join net PATH` enters an existing namespace instead (uts, ipc or net; PATH such as\n"
	 "/proc/PID/ns/net or /run/netns/NAME): what a Kubernetes pod's containers do with the pod's.\n"
	 "A PID namespace is special: it applies to the children of the process that creates it, and it\n"
	 "dies with its first process (its PID 1). So `ns pid` marks the sandbox, and every `exec` creates\n"
	 "a new PID namespace whose PID 1 is your command, with /proc remounted to match it.",
	 "unshare(2) with CLONE_NEWUTS, CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWNET and CLONE_NEWCGROUP moves\n"
	 "the sandbox process itself into new namespaces of those kinds; it needs CAP_SYS_ADMIN.\n"
	 "After CLONE_NEWNS the sandbox calls mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL): a new\n"
	 "mount namespace starts as a copy whose mounts may still be *shared* with the host (systemd makes\n"
	 "/ shared), so without this every later mount would propagate back to the host.\n"
	 "CLONE_NEWPID is different: unshare(CLONE_NEWPID) would only change the namespace of the caller's\n"
	 "future children, and the namespace ends when its first process exits. Instead each `exec`\n"
	 "calls clone3() with CLONE_NEWPID (plus CLONE_NEWNS for a private copy of the mounts), so the\n"
	 "command is PID 1 and /proc can be remounted for its namespace.\n"
	 "CLONE_NEWUSER is done alone and first: then the runtime, outside, writes /proc/PID/setgroups\n"
	 "(\"deny\" for a single mapping made without privilege: setgroups(2) could otherwise drop a group that\n"
	 "denies access), /proc/PID/gid_map and /proc/PID/uid_map, each exactly once, and the sandbox calls\n"
	 "setresgid(0,0,0) and setresuid(0,0,0). It now holds every capability, but only over namespaces its\n"
	 "user namespace owns: the ones it creates next. Traps: an unmapped id shows as 65534 (nobody);\n"
	 "mknod(2) is refused, so `mount dev` binds the host's device nodes instead; proc and sysfs may be\n"
	 "mounted only where a full instance is already visible, so pivot_root mounts them before it\n"
	 "detaches the old root.\n"
	 "CLONE_NEWCGROUP makes the sandbox's current cgroup the root of its view; the sandbox is already\n"
	 "in the container's cgroup, so /proc/self/cgroup shows \"0::/\" inside.\n"
	 "Compare: `show ns` prints /proc/PID/ns/* of the sandbox next to the host's. Each namespace is a\n"
	 "kernel object; the inode number in ns:[N] identifies it.",
	 "namespaces(7), unshare(2), user_namespaces(7), pid_namespaces(7), mount_namespaces(7), clone(2)",
	 ns_words, false, true},
	{"hostname", "hostname NAME", "set the sandbox's hostname (needs `ns uts`)",
	 "Sets the hostname seen by `hostname` and uname(2) inside. Refused without `ns uts`, because it\n"
	 "would rename the host. NAME: at most 64 bytes, letters, digits, '-' and dots.",
	 "sethostname(2) writes the nodename of the caller's UTS namespace. After unshare(CLONE_NEWUTS)\n"
	 "that is the sandbox's own copy, so the host keeps its name. The kernel limit is 64 bytes\n"
	 "(HOST_NAME_MAX); longer names fail with EINVAL, so the name is checked before anything runs.",
	 "sethostname(2), uts_namespaces(7), hostname(7)", NULL, false, true},
	{"chroot", "chroot [DIR]", "change the sandbox's root directory (escapable; see pivot_root)",
	 "Makes DIR the sandbox's root directory. Host mounts stay in the mount table and a process that\n"
	 "may call chroot can climb back out; `pivot_root` is what containers use.",
	 "chdir(DIR) then chroot(\".\"): chroot(2) changes only the root directory used to resolve\n"
	 "paths for this process and its children. It does not change the mount table: every host\n"
	 "mount is still there (see `show mounts`), and a root process can escape by chroot()ing into a\n"
	 "subdirectory without chdir()ing into it, then climbing \"..\" from its old working directory.\n"
	 "That is why runtimes use pivot_root and detach the old root.",
	 "chroot(2), pivot_root(2)", NULL, true, true},
	{"pivot_root", "pivot_root [DIR]", "make DIR the root of the mount namespace and detach the old root",
	 "Swaps the root mount of the sandbox's mount namespace for DIR, then detaches the old root so\n"
	 "nothing of the host's file system is reachable. Needs `ns mnt`.",
	 "mount(DIR, DIR, NULL, MS_BIND|MS_REC) first, because pivot_root(2) requires the new root to be a\n"
	 "mount point. Then chdir(DIR), pivot_root(\".\", \".\") stacks the old root on top of the new\n"
	 "one at \".\", umount2(\".\", MNT_DETACH) lazily detaches it, and chdir(\"/\").\n"
	 "pivot_root fails with EINVAL when the new root is not a mount point, when the current root or\n"
	 "the new root has shared propagation (hence the MS_PRIVATE remount done by `ns mnt`), or when\n"
	 "the caller is in a chroot; EBUSY when new and old root are on the same mount.",
	 "pivot_root(2), mount_namespaces(7), umount2(2)", NULL, true, true},
	{"image", "image REF", "mount an image's layers (overlayfs) as the root for pivot_root/chroot",
	 "Looks REF up in the image store (`gophernetes import`, `gophernetes images`; GPH_IMAGE_ROOT names\n"
	 "another store) and mounts its layers, read-only, under a writable upper directory of this\n"
	 "sandbox's own. A following `pivot_root` or `chroot` without DIR uses it. Needs `ns mnt`.",
	 "mount(\"overlay\", ROOT/containers/ID/merged, \"overlay\", 0,\n"
	 "\"lowerdir=L_top:...:L_bottom,upperdir=ROOT/containers/ID/upper,workdir=ROOT/containers/ID/work\")\n"
	 "in the sandbox's mount namespace only. Each layer was unpacked once into ROOT/layers/DIGEST;\n"
	 "OCI whiteouts (.wh.NAME) became overlayfs whiteouts (character device 0:0) and opaque\n"
	 "directories (.wh..wh..opq) the trusted.overlay.opaque xattr, so the kernel hides what the\n"
	 "layers below had. Writes go to upper (copy-up); it is removed when the sandbox ends.",
	 "mount(2), overlayfs (Documentation/filesystems/overlayfs.rst)", NULL, false, true},
	{"mount", "mount proc|sys|dev [PATH] | mount tmpfs PATH", "mount a file system inside (needs `ns mnt`)",
	 "  proc [PATH]  a procfs at PATH (default /proc); with `ns pid` each exec gets one for its own\n"
	 "               PID namespace\n"
	 "  sys [PATH]   a read-only sysfs (default /sys)\n"
	 "  dev [PATH]   a small tmpfs /dev: null zero full random urandom tty, a new devpts instance at\n"
	 "               /dev/pts with /dev/ptmx, /dev/shm, /dev/mqueue (with `ns ipc`), and fd, stdin,\n"
	 "               stdout, stderr links\n"
	 "  tmpfs PATH   an empty tmpfs\n"
	 "PATH is inside the sandbox's root and must exist.",
	 "mount(2) with flags MS_NOSUID|MS_NODEV|MS_NOEXEC for proc and sys (plus MS_RDONLY for sys).\n"
	 "procfs shows the PID namespace of the process that mounts it: a /proc mounted from the host's\n"
	 "PID namespace lists host processes, which is why `ps` looks unchanged after `ns pid` until /proc\n"
	 "is mounted again from inside. For dev: a tmpfs, mknod(2) for each device node (character\n"
	 "devices 1,3 1,5 1,7 1,8 1,9 5,0), and devpts with -o newinstance,ptmxmode=0666 so the container\n"
	 "has its own pseudo-terminals. All of this stays in the sandbox because `ns mnt` made / private.",
	 "mount(2), proc(5), sysfs(5), tmpfs(5), pts(4)", mount_words, true, true},
	{"cgroup", "cgroup mem|swap|cpu|cpuweight|cpuset|pids|io ...", "limit the sandbox's resources with its control group",
	 "  mem SIZE           memory limit, e.g. 32M (b k m g, powers of 1024; KiB MiB GiB too); a process\n"
	 "                     that needs more is killed by the OOM killer, and `exec` reports it\n"
	 "  swap SIZE|-1       memory plus swap in total (docker's --memory-swap); -1: swap unlimited.\n"
	 "                     Without it there is no swap beyond the memory limit\n"
	 "  cpu N              at most N CPUs of time (0.5 = half of one CPU), enforced per 100 ms period\n"
	 "  cpuweight W        relative share of CPU time when CPUs are contended, 1-10000 (default 100)\n"
	 "  cpuset LIST        run only on these CPUs, e.g. 0 or 0-1\n"
	 "  pids N             at most N tasks; threads count too, and so does the sandbox process\n"
	 "  io weight W        relative share of disk time, 1-10000 (needs the BFQ scheduler or iocost)\n"
	 "  io rbps DEV RATE   at most RATE bytes per second read from block device DEV (e.g. /dev/vda 10M)\n"
	 "  io wbps DEV RATE   the same for writes\n"
	 "The sandbox always has a cgroup of its own (so its processes can be counted and all killed).",
	 "A cgroup is a directory in cgroupfs; writing a PID to its cgroup.procs moves the process in, and\n"
	 "children are born in their parent's cgroup. Each limit is a file write, and the file depends on the\n"
	 "cgroup version (`show cgroup` prints the names):\n"
	 "  mem       v2 memory.max              v1 memory.limit_in_bytes (+ memory.memsw.limit_in_bytes)\n"
	 "  swap      v2 memory.swap.max         v1 memory.memsw.limit_in_bytes\n"
	 "  cpu       v2 cpu.max \"Q P\"           v1 cpu.cfs_quota_us and cpu.cfs_period_us\n"
	 "  cpuweight v2 cpu.weight              v1 cpu.shares (weight 100 = 1024 shares, log scale)\n"
	 "  cpuset    cpuset.cpus (on v1 a new cpuset starts empty: cpus and mems are copied from the parent)\n"
	 "  pids      pids.max\n"
	 "  io        v2 io.weight / io.max \"MAJ:MIN rbps=N\"   v1 blkio.bfq.weight / blkio.throttle.*_bps_device\n"
	 "On v2 a controller works in a cgroup only if every parent lists it in cgroup.subtree_control, and\n"
	 "a cgroup with processes cannot hand controllers to children (the no-internal-process rule).\n"
	 "When memory reaches the limit and reclaim fails, the OOM killer kills a process in the cgroup and\n"
	 "counts it (memory.events oom_kill on v2, memory.oom_control oom_kill on v1).",
	 "cgroups(7), Documentation/admin-guide/cgroup-v2.rst", cgroup_words, false, true},
	{"net", "net none | veth | bridge [NAME] [subnet CIDR] [ip ADDR] | nat | port HOST:CTR[/tcp|udp]",
	 "connect the sandbox's network namespace to the host (needs `ns net`)",
	 "  none    no connection: only lo, which `ns net` already brought up (what `run` does by default)\n"
	 "  veth    a virtual ethernet pair: one end stays on the host (gph-XXXXXXXX, 10.200.N.1/30), the\n"
	 "          other becomes eth0 inside (10.200.N.2/30) with a default route via the host end\n"
	 "  bridge  as Docker's default network: a bridge (gph0, 10.88.0.0/16, gateway 10.88.0.1) made on\n"
	 "          first use, a veth whose host end is a port of the bridge, eth0 inside with the next free\n"
	 "          address (or `ip ADDR`), /etc/resolv.conf and /etc/hosts provided inside\n"
	 "  nat     masquerade for the bridge's subnet so containers reach beyond the host (turns on\n"
	 "          net.ipv4.ip_forward, and says so; `gophernetes gc` turns it off again with the\n"
	 "          last bridge if it was off before)\n"
	 "  port    publish a port: HOST:CTR forwards the host's port HOST (any local address, also\n"
	 "          127.0.0.1) to CTR in the container (needs `net bridge`)",
	 "Links and addresses are netlink requests (through libnl-route-3): RTM_NEWLINK creates the veth\n"
	 "pair with its peer born in the sandbox's network namespace (IFLA_NET_NS_PID) and, for a bridge,\n"
	 "the host end enslaved to it (IFLA_MASTER); RTM_NEWADDR and RTM_NEWLINK (IFF_UP) on each side;\n"
	 "RTM_NEWROUTE for the default route inside. A bridge is a virtual switch: frames from one port go\n"
	 "to the others, and the bridge's own address is the containers' gateway.\n"
	 "NAT and ports are nftables rules in our own table `ip gophernetes` (through libnftables):\n"
	 "masquerade in a postrouting nat chain rewrites the source address of packets leaving the host,\n"
	 "so replies find their way back; DNAT in prerouting (and output, for connections made on the host\n"
	 "itself) rewrites the destination of packets to a published port; forward rules let exactly that\n"
	 "traffic through. Routing between interfaces needs net.ipv4.ip_forward=1. Every rule carries a\n"
	 "comment naming its bridge or container, so it is removed exactly with it.\n"
	 "When the sandbox's network namespace is destroyed the kernel deletes eth0, and with it the host end.",
	 "veth(4), network_namespaces(7), rtnetlink(7), ip-link(8), bridge(8), nft(8)", net_words, false, true},
	{"cap", "cap default | all | drop NAME... | add NAME...", "choose the capabilities exec'd commands keep",
	 "  default     Docker's default list without MKNOD: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID\n"
	 "              SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT AUDIT_WRITE SETFCAP (what `run` uses)\n"
	 "  all         every capability (the shell's starting point, and `run --privileged`)\n"
	 "  drop NAMES  take capabilities away (ALL: every one);  add NAMES: give them back\n"
	 "Names as in capabilities(7), with or without CAP_. `show caps` prints the sets a command gets.",
	 "Root's power is split into about 40 capabilities. Each exec'd command, before execve(2), drops the\n"
	 "ones not kept from its bounding set with prctl(PR_CAPBSET_DROP) (which needs CAP_SETPCAP, so that\n"
	 "goes first), then sets inheritable, permitted and effective with capset(2) through libcap, and\n"
	 "empties the ambient set. The bounding set is what counts: after execve a root process's permitted\n"
	 "set is the bounding set, so a dropped capability can never come back. Inheritable and ambient stay\n"
	 "empty so nothing rides into a non-root user or a file-capability binary.\n"
	 "Trap: CAP_SYS_ADMIN is almost root again (mount, namespaces, bpf...); MKNOD lets root make a node\n"
	 "for a host disk. Neither is in the default list.",
	 "capabilities(7), prctl(2), capset(2), cap_set_proc(3)", cap_words, false, true},
	{"seccomp", "seccomp default|off", "filter the system calls exec'd commands may make",
	 "  default  the default profile: module loading, kexec, reboot, keyctl, bpf, perf_event_open,\n"
	 "           userfaultfd, open_by_handle_at, clock changes, mount, new user namespaces... fail\n"
	 "           with EPERM; 64-bit and 32-bit x86 entry points both; other ABIs are killed\n"
	 "  off      no filter",
	 "A seccomp filter is a small BPF program the kernel runs on every system call of the process and\n"
	 "its children; it cannot be removed. libseccomp compiles the profile (in the runtime, cached), and\n"
	 "the exec'd command installs it with prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER) as late as\n"
	 "possible: after the capability drop when no_new_privs is set, before it otherwise (installing a\n"
	 "filter without no_new_privs needs CAP_SYS_ADMIN). Each denied call answers EPERM, so programs see\n"
	 "a refusal, not a missing call (ENOSYS). The filter checks the architecture first: a 32-bit call\n"
	 "(int 0x80) has other numbers and is filtered by its own table.",
	 "seccomp(2), prctl(2), seccomp_rule_add(3)", seccomp_words, false, true},
	{"nnp", "nnp on|off", "no_new_privs: execve can never raise privileges again",
	 "With `nnp on` (what `run` does) a setuid-root binary or a file capability inside gives nothing:\n"
	 "the command runs with the privileges it already had.",
	 "prctl(PR_SET_NO_NEW_PRIVS, 1) in the exec'd command before execve(2). The flag is inherited by\n"
	 "every child and cannot be cleared. It also lets an unprivileged process install a seccomp filter.",
	 "prctl(2), execve(2), Documentation/userspace-api/no_new_privs.rst", onoff_words, false, true},
	{"mask", "mask on|off", "hide and write-protect sensitive /proc and /sys paths (needs `ns mnt`)",
	 "With `mask on` (what `run` does) each command gets /proc/kcore, /proc/keys, /proc/timer_list,\n"
	 "/proc/sched_debug, /proc/acpi, /proc/scsi, /sys/firmware... hidden, and /proc/sys,\n"
	 "/proc/sysrq-trigger, /proc/irq, /proc/bus, /proc/fs read-only; /sys is read-only anyway.",
	 "In each exec's own copy of the mount namespace: /dev/null is bind-mounted over masked files and an\n"
	 "empty read-only tmpfs over masked directories; read-only paths are bind-mounted onto themselves\n"
	 "and remounted with MS_RDONLY. Paths this kernel does not have are skipped. These files are not\n"
	 "namespaced: /proc/sysrq-trigger acts on the host, and /proc/kcore is the host's memory.",
	 "proc(5), mount(2), mount_namespaces(7)", onoff_words, false, true},
	{"user", "user USER[:GROUP]", "run exec'd commands as this user and group (numbers or names)",
	 "Commands run as USER (and GROUP; default: GID = UID for a number, the user's primary group for a\n"
	 "name) with no supplementary groups. Names are the container's: looked up in its /etc/passwd and\n"
	 "/etc/group at each exec. Their effective and permitted capabilities are empty; the bounding set\n"
	 "stays as `cap` chose.",
	 "In the exec'd command: setgroups(2) to just GID (skipped when a user namespace denies it),\n"
	 "setresgid(2), then setresuid(2). Changing from uid 0 to another uid clears the permitted and\n"
	 "effective capabilities unless PR_SET_KEEPCAPS is set; gophernetes keeps them only long enough to\n"
	 "drop the bounding set, then empties them. In a user namespace the ids must be mapped. A name is\n"
	 "read by the runtime through /proc/PID/root with openat2(RESOLVE_IN_ROOT), so a symlink in the\n"
	 "image resolves inside the container and never reaches the host's /etc (runc does the same).",
	 "setresuid(2), setgroups(2), credentials(7), capabilities(7), passwd(5), openat2(2)", NULL, false, true},
	{"workdir", "workdir DIR", "start exec'd commands in DIR (a path inside the root)",
	 "Each command starts in DIR instead of /. DIR is resolved inside the container's root and must\n"
	 "exist there.",
	 "chdir(2) in the exec'd command, after the root changed, so DIR can only name a directory of the\n"
	 "container: \"..\" stops at its root and symlinks resolve inside it.",
	 "chdir(2), path_resolution(7)", NULL, false, true},
	{"readonly", "readonly", "make the container's root file system read-only (after pivot_root)",
	 "Remounts the new root read-only. /dev, /proc, /sys and other mounts made on top keep their own\n"
	 "flags (/dev/shm stays writable). Needs pivot_root: after chroot, / is the host's mount.",
	 "mount(NULL, \"/\", NULL, MS_REMOUNT|MS_BIND|MS_RDONLY|<flags it already has>, NULL): a bind\n"
	 "remount changes only this mount's flags, not the file system behind it (the host still may write\n"
	 "to the directory). The flags the mount already has (nosuid, nodev...) are kept: in a user\n"
	 "namespace they are locked, and clearing one would be refused with EPERM.",
	 "mount(2), statvfs(3), mount_namespaces(7)", NULL, false, true},
	{"show", "show [ns|mounts|cgroup|net|caps|all|--json]", "print what the kernel shows for the sandbox",
	 "Without a part (or `all`, `picture`): a picture of the host and the sandbox side by side: each\n"
	 "namespace with both inode numbers and isolated/shared, the hostname, the root and the mounts, the\n"
	 "cgroup's memory and pids usage as bars against their limits and the CPU quota, and the network path\n"
	 "(bridge <-> host veth <-> eth0, with addresses). In colour on a terminal unless NO_COLOR is set;\n"
	 "plain otherwise. `show --json` prints the same facts as one JSON object for tools.\n"
	 "The parts print the details: /proc/PID/ns/* next to the host's (ns), the mount table (mounts),\n"
	 "the cgroup files (cgroup), the network namespace over netlink (net), and (caps) the capability\n"
	 "sets, no_new_privs and seccomp state of a test process started the way `exec` starts commands.\n"
	 "Everything is read live, never from a recorded configuration.",
	 "readlink(2) on /proc/PID/ns/* gives \"type:[inode]\"; two processes are in the same namespace\n"
	 "exactly when the inodes are equal. /proc/PID/mountinfo lists the mounts the process sees; after\n"
	 "chroot it hides those outside the new root, so a child joins the mount namespace with setns(2)\n"
	 "(which puts it at the namespace's root) and reads its own. The cgroup files are read from\n"
	 "cgroupfs (v2 memory.current/memory.max, pids.current/pids.max, cpu.max; v1 memory.usage_in_bytes,\n"
	 "memory.limit_in_bytes, cpu.cfs_quota_us). Network state comes from an RTM_GETLINK, RTM_GETADDR\n"
	 "and RTM_GETROUTE dump made inside the sandbox's network namespace, and RTM_GETLINK by ifindex\n"
	 "for the host end of the veth and its bridge (IFLA_MASTER) on this side.",
	 "proc(5), namespaces(7), cgroups(7), rtnetlink(7)", show_words, false, false},
	{"score", "score [why]", "an isolation scorecard: one red/green line per probe, run from inside",
	 "Starts a probe inside the sandbox exactly as `exec` starts a command and asks, for each way out,\n"
	 "whether it is open: host processes visible, host mounts visible, host can be renamed, host\n"
	 "network and IPC shared, memory unlimited, fork bomb unbounded, kernel modules loadable, host\n"
	 "disk nodes creatable, host user IDs shared, host kernel settings writable, no system call\n"
	 "filter. A red line (✗) names in parentheses the step that turns it green; a green line (✓)\n"
	 "what made it green. `score why` adds the evidence under each line. Red and green on a\n"
	 "terminal, plain ✓/✗ otherwise or with NO_COLOR.",
	 "Nothing is tried for real: every answer comes from identities and states the kernel reports.\n"
	 "The probe is a clone of the sandbox process with exec's flags (CLONE_NEWPID|CLONE_NEWNS after\n"
	 "`ns pid`), /proc remounted, masks, user, capabilities, no_new_privs and the seccomp filter\n"
	 "applied; then it only looks: stat(2) of /proc/self/ns/* (through a handle on the host's /proc),\n"
	 "stat(\"/\"), readlink(\"/proc/self\") against getpid() (a procfs of an outer PID namespace\n"
	 "answers with another number), statvfs(\"/proc/sys\") for ST_RDONLY, and the CapEff, CapPrm,\n"
	 "CapBnd, NoNewPrivs and Seccomp lines of its status. The runtime compares the namespace inodes\n"
	 "with its own, looks for the host's root file system in the sandbox's mount table (chroot leaves\n"
	 "it there), and reads memory and pids limits from cgroupfs. \"Rename the host\" means: the host's\n"
	 "UTS namespace, the host's user namespace, and CAP_SYS_ADMIN (or a way back to it: in the\n"
	 "bounding set without no_new_privs) not refused by the filter; sethostname(2) is never called.\n"
	 "Kernel modules: CAP_SYS_MODULE over the initial user namespace and no filter rule for\n"
	 "init_module. Device nodes: CAP_MKNOD over it (a user namespace cannot mknod at all).",
	 "namespaces(7), capabilities(7), seccomp(2), proc(5), cgroups(7)", score_words, false, false},
	{"exec", "exec CMD [ARGS...]", "run a command inside everything applied so far",
	 "Runs CMD inside the sandbox, attached to your terminal, and prints its status when it ends.\n"
	 "The sandbox stays, so you can add steps and exec again. With `ns pid` CMD is PID 1.",
	 "The sandbox process calls clone3() (with CLONE_NEWPID|CLONE_NEWNS after `ns pid`); the child\n"
	 "remounts /proc for its PID namespace, starts a new session (setsid), takes a terminal of its own\n"
	 "when you have one, gets a clean environment (PATH, HOME, TERM, HOSTNAME) and calls execve(2).\n"
	 "The exit status follows the shell's convention: N, or 128+S when killed by signal S.",
	 "execve(2), clone(2), setsid(2), wait(2)", NULL, true, false},
	{"reset", "reset", "tear the sandbox down and start a new one",
	 "Kills every process of the sandbox, removes its cgroup and network link, and starts a fresh\n"
	 "sandbox with nothing applied.",
	 "Killing the sandbox process drops the last reference to its namespaces, so the kernel destroys\n"
	 "them (and the mounts and veth inside). The cgroup is emptied and removed with rmdir(2).",
	 "namespaces(7), cgroups(7)", NULL, false, false},
	{"trace", "trace on|off", "print every operation the next steps perform, as they perform it",
	 "While on, each step prints the operations it performs, as it performs them, strace-like:\n"
	 "  [sandbox] unshare(CLONE_NEWUTS) = 0\n"
	 "  [sandbox] mount(\"proc\", \"/proc\", \"proc\", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) = 0\n"
	 "  [runtime] write(\"/proc/4242/uid_map\", \"0 1000 1\\n\") = 9\n"
	 "  [exec] execve(\"/bin/sh\", [\"sh\"], [4 vars]) = 0\n"
	 "The tag names the process that made the call: the runtime (this shell), the sandbox process, or\n"
	 "the child that becomes your command. Netlink requests and nftables rules are shown as readable\n"
	 "lines (RTM_NEWLINK ..., nft: add rule ...). `gophernetes run --trace` prints the same.",
	 "Each of the engine's system calls goes through a small wrapper (src/engine/trace_sys.c) that makes\n"
	 "the call and then, only when the trace is on, renders a line from the arguments it passed and the\n"
	 "result the kernel returned: flags are decoded from their bits (CLONE_NEW*, MS_*, MNT_*), a failure\n"
	 "shows as `= -1 EPERM (Operation not permitted)`. Nothing is canned: what you read is what was\n"
	 "called. The sandbox process and the exec child are other processes: they send each line over\n"
	 "the sandbox's SOCK_SEQPACKET socket, and this shell prints it as it arrives, in order with its own.\n"
	 "An execve that succeeds never returns, so its result is filled in when the sandbox process sees\n"
	 "the close-on-exec pipe close. Off, each wrapper costs one branch.\n"
	 "When a step fails, the engine also checks the failed call's documented preconditions against the\n"
	 "live state (/proc/self/mountinfo, /proc/PID/setgroups, ...) and names the one that is broken.",
	 "strace(1), syscalls(2), errno(3)", onoff_words, false, false},
	{"save", "save FILE", "write the steps applied so far as a script that rebuilds this sandbox",
	 "Writes one command a line, the steps in the order they were applied (failed ones left out), so\n"
	 "`gophernetes-shell FILE` rebuilds the same sandbox. `chroot`/`pivot_root` typed without a\n"
	 "directory are saved with the absolute directory they used, so the script works from anywhere.",
	 "", "", NULL, true, false},
	{"export", "export run [CMD [ARGS...]] | export oci DIR [CMD [ARGS...]]",
	 "print the `gophernetes run` command that builds this container, or write it as an OCI bundle",
	 "`export oci DIR` writes DIR/config.json (DIR is made; the root stays where `pivot_root` took it),\n"
	 "a bundle for `gophernetes run --bundle DIR ID`, runc or crun.\n"
	 "Prints the `gophernetes run` options (--ns, --hostname, --rootfs/--chroot, --memory and the other\n"
	 "limits, --net/-p, --userns/--uidmap, -u, -w, --read-only, and --privileged or --cap-drop/--cap-add,\n"
	 "--no-new-privileges=false, --seccomp=unconfined) that build the same container, then CMD\n"
	 "(default /bin/sh). run applies its steps in one fixed order and always mounts /proc, /dev and\n"
	 "/sys with a mount namespace; when this sandbox differs (a tmpfs, `mount proc` without `mount\n"
	 "dev`, a mount before the root change, a bridge without NAT...) it names each such step and why\n"
	 "instead of printing a line that would build something else.",
	 "", "", export_words, false, false},
	{"doctor", "doctor", "check this machine and say which lessons behave differently here",
	 "Reads live state, changes nothing: cgroup mode and the controllers this cgroup may use, swap and\n"
	 "its accounting, the user-namespace policy, signs of running in a container or WSL, a loopback DNS\n"
	 "stub, the root filesystem, libraries and tools, kernel calls (open_tree, pidfd_open, clone3 probed\n"
	 "with arguments the kernel refuses). Then one line per lesson: runs as written, or why not.\n"
	 "Also `gophernetes doctor`.",
	 "", "", NULL, false, false},
	{"help", "help [CMD]", "list commands, or describe one", "", "", "", NULL, false, false},
	{"explain", "explain CMD", "which system calls a step makes, in what order, and why", "", "", "",
	 NULL, false, false},
	{"lesson", "lesson NAME", "follow a lesson step by step, with hints (the tutor)",
	 "Starts the lesson NAME (e.g. 01-pid-namespace, or just 01) on a fresh sandbox: it shows the\n"
	 "narration, asks \"why?\" questions to answer before running, and checks each step you type\n"
	 "against the lesson. At the step prompt: `hint`, `skip`, `quit`. Your progress is kept in\n"
	 "$XDG_STATE_HOME/gophernetes/progress.", "", "", NULL, false, false},
	{"lessons", "lessons", "list the lessons and your progress", "", "", "", NULL, false, false},
	{"quit", "quit", "tear everything down and leave (also `exit` or Ctrl-D)", "", "", "", NULL, false, false},
	{"exit", "exit", "same as quit", "", "", "", NULL, false, false},
};
const int gph_n_cmds = sizeof gph_cmds / sizeof gph_cmds[0];

const struct gph_cmd_def *gph_cmd_find(const char *name)
{
	for (int i = 0; i < gph_n_cmds; i++)
		if (strcmp(gph_cmds[i].name, name) == 0)
			return &gph_cmds[i];
	return NULL;
}

static int edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 32 || lb > 32)
		return 99;
	int d[33][33];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
			d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
	return d[la][lb];
}

const char *gph_cmd_closest(const char *name)
{
	const char *best = NULL;
	int best_d = 3; /* more than two edits away is not "close" */
	for (int i = 0; i < gph_n_cmds; i++) {
		int d = edit_distance(name, gph_cmds[i].name);
		if (d < best_d) {
			best_d = d;
			best = gph_cmds[i].name;
		}
	}
	return best;
}
