// SPDX-License-Identifier: MIT
/*
 * /init of the conformance initramfs (static aarch64): runs /ops.txt on
 * the booted kernel's real /dev/kvm and prints, on the console,
 *   S2MT-CONF <ID> <RESULT>     one line per operation
 *   S2MT-CONF-DONE              when the script ran to its end
 * (S2MT-LOG lines are diagnostics; S2MT-KMSG <ID> lines the kernel's
 * warnings and errors logged during that operation: the console log level
 * is lowered so that the kernel never writes into a result line), then
 * powers off. Before the script it
 * loads /mods/ *.ko in name order (the vfio modules of this kernel, named
 * NN-name.ko by scripts/fetch-kernel.sh) and binds QEMU's edu device
 * (1234:11e8) to vfio-pci, so that the vfio-bar mmaps have a device; if
 * that fails they return -ENODEV and the script goes on. The test module
 * (90-s2mt_cmem.ko, tools/conformance/cmem/) is loaded with base and size
 * from s2mt.cmem=BASE,SIZE; without it the cmem mmaps return -ENOENT.
 *
 * With s2mt.park=N on the kernel command line it then prints
 * "S2MT-PARKED N pc=PC" and keeps the vCPU of the script's VM number N
 * (0: the first created) in the guest, spinning at PC, for a minute: for a
 * debugger to read that VM's stage-2 tables (conformance.sh --s2dump).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/vfio.h>

#include <s2mt/vmm.h>

/* backend_kvm.c */
extern const struct s2mt_vmm_ops s2mt_vmm_kvm_ops;
void *s2mt_vmm_kvm_open(int vfio_dev, FILE *log);
int s2mt_conf_write_text(const char *path, const char *text, int flags);
int s2mt_vmm_kvm_park(void *ctx, int vm, unsigned seconds);
uint64_t s2mt_vmm_kvm_park_pc(void);

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	char *buf = NULL;
	ssize_t r;

	if (fd < 0)
		return NULL;
	for (;;) {
		char *nb = realloc(buf, cap + 1);

		if (!nb) {
			free(buf);
			close(fd);
			return NULL;
		}
		buf = nb;
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == cap)
			cap *= 2;
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static long read_hex(const char *path)
{
	char *t = read_file(path, NULL);
	long v = t ? strtol(t, NULL, 16) : -1;

	free(t);
	return v;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* The word after key on the kernel command line, or "". */
static void cmdline_word(const char *key, char *buf, size_t len)
{
	char *text = read_file("/proc/cmdline", NULL), *p;

	buf[0] = '\0';
	p = text ? strstr(text, key) : NULL;
	if (p && (p == text || p[-1] == ' '))
		snprintf(buf, len, "%.*s", (int)strcspn(p + strlen(key), " \n"),
			 p + strlen(key));
	free(text);
}

/*
 * The parameters of a module: the test module (tools/conformance/cmem/)
 * gets its hidden RAM from s2mt.cmem=BASE,SIZE on the kernel command
 * line (the boot's mem= leaves that RAM out of the kernel's map).
 */
static void module_params(const char *name, char *buf, size_t len)
{
	char word[64], *comma;

	buf[0] = '\0';
	if (!strstr(name, "s2mt_cmem"))
		return;
	cmdline_word("s2mt.cmem=", word, sizeof(word));
	comma = strchr(word, ',');
	if (comma) {
		*comma = '\0';
		snprintf(buf, len, "base=%s size=%s", word, comma + 1);
	}
}

/* finit_module every /mods/ *.ko in name order; the number loaded. */
static int load_modules(void)
{
	struct dirent **list;
	int n = scandir("/mods", &list, skip_dots, by_name), loaded = 0;

	for (int i = 0; i < n; i++) {
		char path[600], params[160];
		int fd;
		long r;

		snprintf(path, sizeof(path), "/mods/%s", list[i]->d_name);
		module_params(list[i]->d_name, params, sizeof(params));
		if (params[0])
			printf("S2MT-LOG module %s: %s\n", list[i]->d_name,
			       params);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		r = fd < 0 ? -1 : syscall(SYS_finit_module, fd, params, 0);
		if (r && errno != EEXIST)
			printf("S2MT-LOG module %s: %s\n", list[i]->d_name,
			       strerror(errno));
		else
			loaded++;
		if (fd >= 0)
			close(fd);
		free(list[i]);
	}
	if (n >= 0)
		free(list);
	return loaded;
}

static int find_edu(char *bdf, size_t len)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	int found = 0;

	while (d && !found && (e = readdir(d))) {
		char path[600];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor",
			 e->d_name);
		if (read_hex(path) != EDU_VENDOR)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device",
			 e->d_name);
		if (read_hex(path) != EDU_DEVICE)
			continue;
		snprintf(bdf, len, "%s", e->d_name);
		found = 1;
	}
	if (d)
		closedir(d);
	return found;
}

/* The edu device bound to vfio-pci, opened: a device fd, or -1. */
static int vfio_edu(void)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char bdf[256], path[600], link[256];
	const char *group;
	int cont, grp, dev;
	ssize_t n;

	if (!find_edu(bdf, sizeof(bdf))) {
		printf("S2MT-LOG vfio: no edu device\n");
		return -1;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override",
		 bdf);
	if (s2mt_conf_write_text(path, "vfio-pci", 0) ||
	    s2mt_conf_write_text("/sys/bus/pci/drivers_probe", bdf, 0))
		printf("S2MT-LOG vfio: binding %s: %s\n", bdf, strerror(errno));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		printf("S2MT-LOG vfio: %s has no IOMMU group\n", bdf);
		return -1;
	}
	link[n] = '\0';
	group = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	cont = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	snprintf(path, sizeof(path), "/dev/vfio/%s", group);
	grp = open(path, O_RDWR | O_CLOEXEC);
	if (cont < 0 || grp < 0) {
		printf("S2MT-LOG vfio: open container/group %s: %s\n", path,
		       strerror(errno));
		return -1;
	}
	if (ioctl(grp, VFIO_GROUP_GET_STATUS, &st) ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		printf("S2MT-LOG vfio: group %s not viable\n", group);
		return -1;
	}
	if (ioctl(grp, VFIO_GROUP_SET_CONTAINER, &cont) ||
	    (ioctl(cont, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) &&
	     ioctl(cont, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU))) {
		printf("S2MT-LOG vfio: container: %s\n", strerror(errno));
		return -1;
	}
	dev = ioctl(grp, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (dev < 0) {
		printf("S2MT-LOG vfio: device %s: %s\n", bdf, strerror(errno));
		return -1;
	}
	/* The container and group stay open as long as the device. */
	printf("S2MT-LOG vfio: edu %s in group %s\n", bdf, group);
	return dev;
}

/* The kernel's records since the last call, warnings and worse, as
 * S2MT-KMSG lines tagged with what ran meanwhile. */
static void drain_kmsg(int fd, const char *tag)
{
	char rec[1024];
	ssize_t n;

	if (fd < 0)
		return;
	while ((n = read(fd, rec, sizeof(rec) - 1)) != 0) {
		char *msg, *nl;

		if (n < 0) {
			if (errno == EPIPE) /* overwritten records */
				continue;
			break; /* EAGAIN: no more */
		}
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg || atoi(rec) % 8 > 4)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		printf("S2MT-KMSG %s %s\n", tag, msg);
	}
}

static void emit(void *arg, const char *id, const char *result)
{
	printf("S2MT-CONF %s %s\n", id, result);
	drain_kmsg(*(int *)arg, id);
}

/* The number after key on the kernel command line, or -1. */
static int cmdline_int(const char *key)
{
	char *text = read_file("/proc/cmdline", NULL), *p;
	int v = -1;

	p = text ? strstr(text, key) : NULL;
	if (p && (p == text || p[-1] == ' '))
		v = atoi(p + strlen(key));
	free(text);
	return v;
}

static void power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

/* The host MM state the THP-dependent leaves follow (known-differences.txt):
 * the THP mode and whether the huge zero page is used. */
static void log_mm_state(void)
{
	static const char *const files[] = {
		"/sys/kernel/mm/transparent_hugepage/enabled",
		"/sys/kernel/mm/transparent_hugepage/defrag",
		"/sys/kernel/mm/transparent_hugepage/use_zero_page",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char buf[128] = "";
		FILE *f = fopen(files[i], "r");

		if (f) {
			if (!fgets(buf, sizeof(buf), f))
				buf[0] = 0;
			fclose(f);
		}
		buf[strcspn(buf, "\n")] = 0;
		printf("S2MT-LOG mm %s: %s\n", files[i] + 15,
		       f ? buf : "not readable");
	}
}

/* s2mt probe on this very machine (issue 12): its lines on the console,
 * prefixed, for scripts/conformance.sh to hold to what the boot is. */
static void run_probe(const char *arg, const char *prefix)
{
	char line[512];
	int fd[2];
	pid_t pid;
	FILE *f;

	if (access("/s2mt-probe", X_OK) || pipe(fd))
		return;
	pid = fork();
	if (pid == 0) {
		char *const argv[] = { "s2mt-probe", (char *)arg, NULL };

		dup2(fd[1], 1);
		close(fd[0]);
		execv("/s2mt-probe",
		      arg ? argv : (char *const[]){ argv[0], NULL });
		_exit(127);
	}
	close(fd[1]);
	f = fdopen(fd[0], "r");
	while (f && fgets(line, sizeof(line), f))
		printf("%s %s", prefix, line);
	if (f)
		fclose(f);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

int main(void)
{
	double t0 = now();
	char err[256] = "";
	struct utsname u;
	int vfio = -1;
	char *text;
	void *kvm;
	int kmsg, park;

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	setvbuf(stdout, NULL, _IONBF, 0);
	uname(&u);
	printf("S2MT-LOG kernel %s %s\n", u.release, u.machine);
	log_mm_state();
	/* Emergencies only on the console; the rest comes through kmsg. */
	klogctl(8 /* SYSLOG_ACTION_CONSOLE_LEVEL */, NULL, 1);
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);

	if (load_modules() > 0)
		vfio = vfio_edu();
	drain_kmsg(kmsg, "setup");
	text = read_file("/ops.txt", NULL);
	if (!text) {
		printf("S2MT-CONF-ERROR /ops.txt: %s\n", strerror(errno));
		power_off();
	}
	kvm = s2mt_vmm_kvm_open(vfio, stdout);
	if (!kvm) {
		printf("S2MT-CONF-ERROR /dev/kvm: %s\n", strerror(errno));
		power_off();
	}
	if (s2mt_vmm_run_script(text, &s2mt_vmm_kvm_ops, kvm, emit, &kmsg, err,
				sizeof(err))) {
		printf("S2MT-CONF-ERROR %s\n", err);
		power_off();
	}
	printf("S2MT-LOG script ran in %.2f s\n", now() - t0);
	run_probe(NULL, "S2MT-PROBE");
	run_probe("--scenario", "S2MT-PROBE-SCN");
	printf("S2MT-CONF-DONE\n");
	park = cmdline_int("s2mt.park=");
	if (park >= 0) {
		printf("S2MT-PARKED %d pc=0x%llx\n", park,
		       (unsigned long long)s2mt_vmm_kvm_park_pc());
		printf("S2MT-LOG park: %s\n",
		       strerror(-s2mt_vmm_kvm_park(kvm, park, 60)));
	}
	power_off();
	return 0;
}
