/*
 * longjob: a NexusTask task that runs many small steps, reports its progress
 * after each one and checkpoints every 100, so that a durable task resumes
 * where it stopped when it is retried or the server restarts.
 *
 * Its input is the number of steps N in decimal (1000 if the input is
 * empty). Step i folds the eight little-endian bytes of i into a 64-bit
 * FNV-1a hash (offset basis 0xcbf29ce484222325, prime 0x100000001b3); the
 * output is the final hash as 16 lowercase hex digits, the same whether or
 * not the run resumed from a checkpoint.
 *
 * The checkpoint is 24 bytes, three little-endian u64s: N, the number of
 * steps done, and the hash so far. A checkpoint for another N is ignored.
 */
#include <stdint.h>
#include <stdlib.h>

#include "nexus.h"

/* The number of steps when the input is empty. */
#define DEFAULT_STEPS 1000
/* Steps between two checkpoints. */
#define CHECKPOINT_EVERY 100
/* FNV-1a 64 parameters. */
#define OFFSET_BASIS UINT64_C(0xcbf29ce484222325)
#define PRIME UINT64_C(0x100000001b3)
/* The checkpoint's size: N, steps done, hash. */
#define STATE_SIZE 24

static int is_space(uint8_t b)
{
	return b == ' ' || (b >= '\t' && b <= '\r');
}

/* parse_steps parses the input as a decimal u64 allowing surrounding
 * whitespace, 1000 if it is blank. It returns 0 if it is not a number. */
static int parse_steps(const uint8_t *p, size_t len, uint64_t *n)
{
	const uint8_t *end = p + len;
	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	if (p == end) {
		*n = DEFAULT_STEPS;
		return 1;
	}
	uint64_t v = 0;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *p - '0', &v))
			return 0;
	}
	*n = v;
	return 1;
}

static void put_u64le(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64le(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* resume loads the checkpoint of a previous attempt of this run of n steps
 * into *done and *hash. It returns 0 or a negative result code. */
static int resume(uint64_t n, uint64_t *done, uint64_t *hash)
{
	uint8_t state[STATE_SIZE];
	int32_t r = nexus_checkpoint_load(state, sizeof state);
	if (r == NEXUS_ERR_NOT_FOUND)
		return 0;
	if (r < 0)
		return r;
	/* A checkpoint of another size did not fit, or does not fit our
	 * format: either way it is not ours. */
	if (r != STATE_SIZE || get_u64le(state) != n || get_u64le(state + 8) > n) {
		nexus_warn("ignoring a checkpoint of another run");
		return 0;
	}
	*done = get_u64le(state + 8);
	*hash = get_u64le(state + 16);
	nexus_logf(NEXUS_LOG_INFO, "resuming after step %llu of %llu",
		   (unsigned long long)*done, (unsigned long long)n);
	return 0;
}

static int longjob(const uint8_t *input, size_t len)
{
	uint64_t n;
	if (!parse_steps(input, len, &n))
		return nexus_fail("input: not a decimal number");

	uint64_t done = 0, hash = OFFSET_BASIS;
	int r = resume(n, &done, &hash);
	if (r < 0)
		return nexus_fail_code("checkpoint", r);

	while (done < n) {
		for (int i = 0; i < 8; i++)
			hash = (hash ^ ((done >> (8 * i)) & 0xff)) * PRIME;
		done++;
		nexus_progress(done, n);
		if (done % CHECKPOINT_EVERY == 0) {
			uint8_t state[STATE_SIZE];
			put_u64le(state, n);
			put_u64le(state + 8, done);
			put_u64le(state + 16, hash);
			if ((r = nexus_checkpoint_save(state, sizeof state)) < 0)
				return nexus_fail_code("checkpoint", r);
		}
	}
	nexus_progress(n, n);

	static const char digits[] = "0123456789abcdef";
	char hex[16];
	for (int i = 0; i < 16; i++)
		hex[i] = digits[(hash >> (60 - 4 * i)) & 0xf];
	if ((r = nexus_output(hex, sizeof hex)) < 0)
		return nexus_fail_code("output", r);
	return 0;
}

NEXUS_MAIN(longjob);
