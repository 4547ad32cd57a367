// SPDX-License-Identifier: MIT
/*
 * mkcpio: writes a newc ("070701") cpio archive, an initramfs the kernel
 * unpacks, from host files; needs neither root nor a cpio tool.
 *
 *   mkcpio OUT.cpio NAME=FILE...
 *
 * NAME is the path inside the archive (e.g. init, ops.txt, mods/vfio.ko),
 * FILE the host file; its mode is 0755 if FILE is executable, else 0644.
 * The archive also holds the directories dev, proc, sys, the parents of
 * every NAME, and the character device dev/console (5, 1) that the kernel
 * opens for /init's stdio.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_DIRS 256

struct out {
	FILE *f;
	const char *path;
	unsigned long ino;
	unsigned long long pos;
	char *dirs[MAX_DIRS];
	size_t nr_dirs;
};

static int pad(struct out *o)
{
	while (o->pos % 4) {
		if (fputc(0, o->f) == EOF)
			return -1;
		o->pos++;
	}
	return 0;
}

static int put(struct out *o, const void *data, size_t len)
{
	if (len && fwrite(data, 1, len, o->f) != len)
		return -1;
	o->pos += len;
	return 0;
}

static int entry(struct out *o, const char *name, unsigned mode,
		 unsigned rmajor, unsigned rminor, const void *data, size_t len)
{
	char hdr[160];
	size_t namesize = strlen(name) + 1;

	/* 13 fields of 8 hex digits after the magic: 110 bytes. */
	if (len > 0xffffffffu || namesize > 0xffffffffu)
		return -1;
	if (snprintf(hdr, sizeof(hdr),
		     "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X"
		     "%08X",
		     (unsigned)++o->ino, mode, 0u, 0u, 1u, 0u, (unsigned)len,
		     0u, 0u, rmajor, rminor, (unsigned)namesize, 0u) != 110)
		return -1;
	if (put(o, hdr, 110) || put(o, name, namesize) || pad(o) ||
	    put(o, data, len) || pad(o))
		return -1;
	return 0;
}

/* Each parent directory of name once, outermost first. */
static int parents(struct out *o, const char *name)
{
	for (const char *s = strchr(name, '/'); s; s = strchr(s + 1, '/')) {
		size_t n = (size_t)(s - name), i;
		char *dir;

		for (i = 0; i < o->nr_dirs; i++)
			if (strlen(o->dirs[i]) == n &&
			    !strncmp(o->dirs[i], name, n))
				break;
		if (i < o->nr_dirs || !n)
			continue;
		if (o->nr_dirs == MAX_DIRS)
			return -1;
		dir = malloc(n + 1);
		if (!dir)
			return -1;
		memcpy(dir, name, n);
		dir[n] = '\0';
		o->dirs[o->nr_dirs++] = dir;
		if (entry(o, dir, 040755, 0, 0, NULL, 0))
			return -1;
	}
	return 0;
}

static char *slurp(const char *path, size_t *len, unsigned *mode)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf;

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		fclose(f);
		errno = EINVAL;
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf ||
	    fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	*len = (size_t)st.st_size;
	*mode = st.st_mode & 0111 ? 0100755 : 0100644;
	return buf;
}

int main(int argc, char **argv)
{
	struct out o = { 0 };
	int ret = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: mkcpio OUT.cpio NAME=FILE...\n");
		return 2;
	}
	o.path = argv[1];
	o.f = fopen(o.path, "wb");
	if (!o.f) {
		perror(o.path);
		return 1;
	}
	if (parents(&o, "dev/console") || parents(&o, "proc/") ||
	    parents(&o, "sys/") ||
	    entry(&o, "dev/console", 020600, 5, 1, NULL, 0))
		goto io;
	for (int i = 2; i < argc; i++) {
		char *eq = strchr(argv[i], '='), *data;
		unsigned mode;
		size_t len;

		if (!eq || eq == argv[i] || argv[i][0] == '/') {
			fprintf(stderr,
				"mkcpio: expected NAME=FILE, not '%s'\n",
				argv[i]);
			goto out;
		}
		*eq = '\0';
		data = slurp(eq + 1, &len, &mode);
		if (!data) {
			fprintf(stderr, "mkcpio: %s: %s\n", eq + 1,
				strerror(errno));
			goto out;
		}
		if (parents(&o, argv[i]) ||
		    entry(&o, argv[i], mode, 0, 0, data, len)) {
			free(data);
			goto io;
		}
		free(data);
	}
	if (entry(&o, "TRAILER!!!", 0, 0, 0, NULL, 0))
		goto io;
	while (o.pos % 512)
		if (put(&o, "", 1))
			goto io;
	ret = 0;
	goto out;
io:
	fprintf(stderr, "mkcpio: writing %s: %s\n", o.path, strerror(errno));
out:
	for (size_t i = 0; i < o.nr_dirs; i++)
		free(o.dirs[i]);
	if (fclose(o.f) && !ret) {
		perror(o.path);
		ret = 1;
	}
	if (ret)
		remove(o.path);
	return ret;
}
