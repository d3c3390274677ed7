/*
 * fsprobe: walks, writes and probes a mounted directory, for the host's
 * mount tests. Built twice by build.sh: as a wasi-command (../fsprobe.wasm,
 * input on stdin, output on stdout) and, with -DNEXUS_V1, as a nexus-v1
 * reactor (../fsprobe_v1.wasm, input and output through the nexus_v1
 * imports). The input is a command and a directory:
 *
 *   walk DIR     every entry under DIR, sorted by name, depth first:
 *                "d PATH", "l PATH -> TARGET", or "f PATH SIZE" followed
 *                by the file's bytes and a newline (opendir, readdir,
 *                lstat, readlink, open, read)
 *   write DIR    creates DIR/new/out.txt, appends to DIR/log.txt,
 *                removes DIR/gone.txt, then walks DIR
 *   readonly DIR tries to create, write, remove and mkdir in DIR and
 *                prints each errno
 *   escape DIR   tries to reach outside DIR: through "..", through links
 *                it makes (absolute and relative), and through DIR/up (a
 *                link of the bundle); prints what each attempt gives
 *   read FILE    reads FILE sequentially in 64 KiB reads and prints its
 *                size and the sum of its bytes (for the read benchmarks)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef NEXUS_V1
#include "nexus.h"
static void out(const char *p, size_t n) { nexus_output(p, n); }
#else
static void out(const char *p, size_t n) { fwrite(p, 1, n, stdout); }
#endif

static void outs(const char *s) { out(s, strlen(s)); }

static void outf(const char *fmt, const char *a, long long n)
{
	char buf[8192];
	int k = snprintf(buf, sizeof buf, fmt, a, n);
	if (k > 0)
		out(buf, (size_t)k < sizeof buf ? (size_t)k : sizeof buf - 1);
}

static const char *errname(int e)
{
	switch (e) {
	case EROFS: return "EROFS";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EBADF: return "EBADF";
	case ENOTCAPABLE: return "ENOTCAPABLE";
	case ELOOP: return "ELOOP";
	case EIO: return "EIO";
	case EEXIST: return "EEXIST";
	case ENOSYS: return "ENOSYS";
	default: return "other";
	}
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void dump(const char *path, const char *rel, long long size)
{
	outf("f %s %lld\n", rel, size);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		outf("error %s %lld\n", errname(errno), 0);
		return;
	}
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		out(buf, (size_t)n);
	close(fd);
	outs("\n");
}

static void walk(const char *dir, const char *rel)
{
	DIR *d = opendir(dir);
	if (!d) {
		outf("error opendir %s %lld\n", errname(errno), 0);
		return;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		names = realloc(names, (n + 1) * sizeof *names);
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp);
	for (size_t i = 0; i < n; i++) {
		char path[4096], r[4096];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		snprintf(r, sizeof r, "%s%s%s", rel, *rel ? "/" : "", names[i]);
		struct stat st;
		if (lstat(path, &st) != 0) {
			outf("error lstat %s %lld\n", errname(errno), 0);
		} else if (S_ISDIR(st.st_mode)) {
			outs("d "); outs(r); outs("\n");
			walk(path, r);
		} else if (S_ISLNK(st.st_mode)) {
			char t[4096];
			ssize_t k = readlink(path, t, sizeof t - 1);
			t[k < 0 ? 0 : k] = 0;
			outf("l %s -> ", r, 0);
			outs(t);
			outs("\n");
		} else {
			dump(path, r, (long long)st.st_size);
		}
		free(names[i]);
	}
	free(names);
}

static void result(const char *what, int ok)
{
	outs(what);
	outs(ok ? ": ok\n" : ": ");
	if (!ok) {
		outs(errname(errno));
		outs("\n");
	}
}

static void write_file(const char *path, const char *text, int flags)
{
	int fd = open(path, flags, 0644);
	if (fd < 0) {
		result(path, 0);
		return;
	}
	ssize_t n = write(fd, text, strlen(text));
	result(path, n == (ssize_t)strlen(text));
	close(fd);
}

static void try_read(const char *what, const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		result(what, 0);
		return;
	}
	char buf[64];
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	outf("%s: read %lld bytes\n", what, (long long)n);
}

static int run(char *input)
{
	char cmd[64], dir[1024];
	if (sscanf(input, "%63s %1023s", cmd, dir) != 2) {
		outs("usage: walk|write|readonly|escape DIR\n");
		return 1;
	}
	char p[2048], q[2048];
	if (!strcmp(cmd, "walk")) {
		walk(dir, "");
	} else if (!strcmp(cmd, "write")) {
		snprintf(p, sizeof p, "%s/new", dir);
		result("mkdir new", mkdir(p, 0755) == 0);
		snprintf(p, sizeof p, "%s/new/out.txt", dir);
		write_file(p, "written by the guest\n", O_WRONLY | O_CREAT | O_TRUNC);
		snprintf(p, sizeof p, "%s/log.txt", dir);
		write_file(p, "appended\n", O_WRONLY | O_CREAT | O_APPEND);
		snprintf(p, sizeof p, "%s/gone.txt", dir);
		result("unlink gone.txt", unlink(p) == 0);
		walk(dir, "");
	} else if (!strcmp(cmd, "readonly")) {
		snprintf(p, sizeof p, "%s/created.txt", dir);
		result("create", open(p, O_WRONLY | O_CREAT, 0644) >= 0);
		snprintf(p, sizeof p, "%s/log.txt", dir);
		result("open for writing", open(p, O_WRONLY) >= 0);
		result("unlink", unlink(p) == 0);
		snprintf(p, sizeof p, "%s/newdir", dir);
		result("mkdir", mkdir(p, 0755) == 0);
	} else if (!strcmp(cmd, "read")) {
		int fd = open(dir, O_RDONLY);
		if (fd < 0) {
			result("open", 0);
			return 1;
		}
		static unsigned char buf[65536];
		long long total = 0;
		unsigned long long sum = 0;
		ssize_t n;
		while ((n = read(fd, buf, sizeof buf)) > 0) {
			total += n;
			for (ssize_t i = 0; i < n; i += 4096)
				sum += buf[i];
		}
		close(fd);
		char line[128];
		int k = snprintf(line, sizeof line, "%lld %llu\n", total, sum);
		out(line, (size_t)k);
	} else if (!strcmp(cmd, "escape")) {
		snprintf(p, sizeof p, "%s/../../../../../../etc/passwd", dir);
		try_read("dotdot", p);
		snprintf(p, sizeof p, "%s/abs", dir);
		symlink("/etc/passwd", p);
		try_read("absolute link", p);
		snprintf(p, sizeof p, "%s/rel", dir);
		symlink("../../../../../../../../etc/passwd", p);
		try_read("relative link", p);
		snprintf(q, sizeof q, "%s/up/etc/passwd", dir);
		try_read("bundle link", q);
	} else {
		outs("unknown command\n");
		return 1;
	}
	return 0;
}

#ifdef NEXUS_V1
static int handler(const uint8_t *input, size_t len)
{
	(void)len;
	return run((char *)input);
}
NEXUS_MAIN(handler);
#else
int main(void)
{
	static char input[4096];
	size_t n = fread(input, 1, sizeof input - 1, stdin);
	input[n] = 0;
	return run(input);
}
#endif
