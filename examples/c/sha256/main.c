/*
 * sha256: a CPU-heavy NexusTask task. Its input is "R:text", a decimal
 * repeat count R, a colon and then any bytes; its output is the SHA-256 of
 * the text repeated R times, as 64 lowercase hex digits.
 *
 * SHA-256 is implemented in plain C (sha256.c), with no dependencies. The
 * module is declared pure, so the host may cache its results.
 */
#include <stdint.h>
#include <string.h>

#include "nexus.h"
#include "sha256.h"

NEXUS_PURE();

static int is_space(uint8_t b)
{
	return b == ' ' || (b >= '\t' && b <= '\r');
}

/* parse_repeat parses R, a decimal u64 allowing surrounding whitespace. It
 * returns 0 if it is not such a number. */
static int parse_repeat(const uint8_t *p, const uint8_t *end, uint64_t *r)
{
	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	if (p == end)
		return 0;
	uint64_t v = 0;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *p - '0', &v))
			return 0;
	}
	*r = v;
	return 1;
}

static int digest(const uint8_t *input, size_t len)
{
	const uint8_t *colon = memchr(input, ':', len);
	if (colon == NULL)
		return nexus_fail("input: want R:text");
	uint64_t repeat;
	if (!parse_repeat(input, colon, &repeat))
		return nexus_fail("input: R must be a decimal number");
	const uint8_t *text = colon + 1;
	size_t tlen = len - (size_t)(text - input);

	struct sha256 h;
	uint8_t sum[SHA256_SIZE];
	sha256_init(&h);
	for (uint64_t i = 0; i < repeat; i++)
		sha256_update(&h, text, tlen);
	sha256_final(&h, sum);

	static const char digits[] = "0123456789abcdef";
	char hex[2 * SHA256_SIZE];
	for (int i = 0; i < SHA256_SIZE; i++) {
		hex[2 * i] = digits[sum[i] >> 4];
		hex[2 * i + 1] = digits[sum[i] & 0xf];
	}
	int r = nexus_output(hex, sizeof hex);
	return r < 0 ? nexus_fail_code("output", r) : 0;
}

NEXUS_MAIN(digest);
