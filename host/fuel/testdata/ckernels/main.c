/*
 * ckernels is a wasi-command guest of compute kernels compiled from C, used
 * to test and benchmark fuel metering next to the Go-compiled kernels. Usage:
 * ckernels <kernel> <n>, where kernel is sha256, sort, map, fib or matmul; it
 * prints one result line. The kernels mirror testdata/kernels where C has an
 * equivalent (sha256 uses examples/c/sha256).
 *
 * Build: see build.sh in this directory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

static uint64_t lcg_state;

/* lcg is the same deterministic sequence as the Go kernels'. */
static uint64_t lcg(void) {
	lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return lcg_state >> 11;
}

/* sha hashes n KiB, chaining digests. */
static void sha(int n) {
	uint8_t buf[1024] = {0}, sum[SHA256_SIZE] = {0};
	for (int i = 0; i < n; i++) {
		struct sha256 h;
		memcpy(buf, sum, sizeof sum);
		sha256_init(&h);
		sha256_update(&h, buf, sizeof buf);
		sha256_final(&h, sum);
	}
	for (int i = 0; i < SHA256_SIZE; i++)
		printf("%02x", sum[i]);
	printf("\n");
}

static int cmp_int(const void *a, const void *b) {
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* sort_ints sorts n pseudo-random integers with qsort. */
static void sort_ints(int n) {
	int *s = malloc(sizeof *s * (size_t)n);
	if (!s) abort();
	lcg_state = 1;
	for (int i = 0; i < n; i++)
		s[i] = (int)(lcg() % 1000000);
	qsort(s, (size_t)n, sizeof *s, cmp_int);
	printf("%d %d %d\n", s[0], s[n / 2], s[n - 1]);
	free(s);
}

/* map_inserts inserts n pseudo-random keys into an open-addressing hash
 * table and sums a lookup pass. */
static void map_inserts(int n) {
	size_t cap = 1;
	while (cap < (size_t)n * 2) cap <<= 1;
	uint64_t *keys = calloc(cap, sizeof *keys), *vals = calloc(cap, sizeof *vals);
	uint64_t *order = malloc(sizeof *order * (size_t)n);
	if (!keys || !vals || !order) abort();
	lcg_state = 2;
	size_t len = 0;
	for (int i = 0; i < n; i++) {
		uint64_t k = lcg() | 1; /* 0 marks an empty slot */
		order[i] = k;
		size_t j = (size_t)(k * 0x9e3779b97f4a7c15ULL) & (cap - 1);
		while (keys[j] && keys[j] != k) j = (j + 1) & (cap - 1);
		if (!keys[j]) len++;
		keys[j] = k;
		vals[j] = (uint64_t)i;
	}
	uint64_t sum = 0;
	for (int i = 0; i < n; i++) {
		size_t j = (size_t)(order[i] * 0x9e3779b97f4a7c15ULL) & (cap - 1);
		while (keys[j] != order[i]) j = (j + 1) & (cap - 1);
		sum += vals[j];
	}
	printf("%zu %llu\n", len, (unsigned long long)sum);
	free(keys), free(vals), free(order);
}

static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

/* matmul multiplies two n×n matrices of doubles and prints the trace. */
static void matmul(int n) {
	size_t nn = (size_t)n * (size_t)n;
	double *a = malloc(sizeof *a * nn), *b = malloc(sizeof *b * nn), *c = calloc(nn, sizeof *c);
	if (!a || !b || !c) abort();
	lcg_state = 3;
	for (size_t i = 0; i < nn; i++) {
		a[i] = (double)(lcg() % 1000) / 100;
		b[i] = (double)(lcg() % 1000) / 100;
	}
	for (int i = 0; i < n; i++)
		for (int k = 0; k < n; k++) {
			double aik = a[i * n + k];
			for (int j = 0; j < n; j++)
				c[i * n + j] += aik * b[k * n + j];
		}
	double trace = 0;
	for (int i = 0; i < n; i++) trace += c[i * n + i];
	printf("%.3f\n", trace);
	free(a), free(b), free(c);
}

int main(int argc, char **argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: ckernels <sha256|sort|map|fib|matmul> <n>\n");
		return 2;
	}
	int n = atoi(argv[2]);
	const char *k = argv[1];
	if (!strcmp(k, "sha256")) sha(n);
	else if (!strcmp(k, "sort")) sort_ints(n);
	else if (!strcmp(k, "map")) map_inserts(n);
	else if (!strcmp(k, "fib")) printf("%d\n", fib(n));
	else if (!strcmp(k, "matmul")) matmul(n);
	else {
		fprintf(stderr, "unknown kernel %s\n", k);
		return 2;
	}
	return 0;
}
