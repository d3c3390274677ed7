/*
 * counter: a NexusTask task that counts in its module's key-value store.
 *
 * It reads the key "count" (a decimal number as ASCII text; absent means 0),
 * adds the configuration value "step" (a decimal number, possibly negative;
 * 1 if not set), stores the sum back under "count" and outputs it in
 * decimal. Its input is ignored.
 */
#include <stdint.h>
#include <stdlib.h>

#include "nexus.h"

/* The kv key holding the count. */
#define KEY "count"

/* parse parses a decimal int64 with an optional sign, allowing surrounding
 * ASCII whitespace. It returns 0 if text is not such a number or does not
 * fit. */
static int parse(const char *text, size_t len, int64_t *out)
{
	const char *p = text, *end = text + len;
	while (p < end && (*p == ' ' || (*p >= '\t' && *p <= '\r')))
		p++;
	while (end > p && (end[-1] == ' ' || (end[-1] >= '\t' && end[-1] <= '\r')))
		end--;
	int neg = p < end && *p == '-';
	if (p < end && (*p == '-' || *p == '+'))
		p++;
	if (p == end)
		return 0;
	int64_t v = 0;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		/* Accumulate negatively so that INT64_MIN parses too. */
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_sub_overflow(v, *p - '0', &v))
			return 0;
	}
	if (!neg && __builtin_mul_overflow(v, -1, &v))
		return 0;
	*out = v;
	return 1;
}

/* format writes v in decimal to buf (at least 21 bytes) and returns the
 * length. */
static size_t format(int64_t v, char *buf)
{
	char digits[20];
	size_t n = 0, len = 0;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		buf[len++] = '-';
	while (n > 0)
		buf[len++] = digits[--n];
	return len;
}

static int counter(const uint8_t *input, size_t len)
{
	(void)input;
	(void)len;

	int64_t count = 0;
	uint8_t *value;
	size_t vlen;
	int r = nexus_kv_get_alloc(KEY, &value, &vlen);
	if (r == NEXUS_OK) {
		int ok = parse((const char *)value, vlen, &count);
		free(value);
		if (!ok)
			return nexus_fail("kv " KEY ": not a decimal number");
	} else if (r != NEXUS_ERR_NOT_FOUND) {
		return nexus_fail_code("kv " KEY, r);
	}

	int64_t step = 1;
	char *config;
	size_t clen;
	r = nexus_config_get_alloc("step", &config, &clen);
	if (r == NEXUS_OK) {
		int ok = parse(config, clen, &step);
		free(config);
		if (!ok)
			return nexus_fail("config step: not a decimal number");
	} else if (r != NEXUS_ERR_NOT_FOUND) {
		return nexus_fail_code("config step", r);
	}

	int64_t next;
	if (__builtin_add_overflow(count, step, &next))
		return nexus_fail("counter: overflow");
	char text[21];
	size_t n = format(next, text);
	if ((r = nexus_kv_set(KEY, text, n)) < 0)
		return nexus_fail_code("kv " KEY, r);
	if ((r = nexus_output(text, n)) < 0)
		return nexus_fail_code("output", r);
	return 0;
}

NEXUS_MAIN(counter);
