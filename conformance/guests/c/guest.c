/*
 * The C conformance guest: a nexus-v1 task that reads a command script
 * (conformance/SCRIPT.md) from its input and performs it through the C SDK
 * (abi/sdk/c/nexus.h), writing what each call returns to its output.
 * RAW_OUTPUT and TRAP go below the SDK on purpose: the first passes raw
 * pointers to the output_write import, the second executes `unreachable`.
 *
 * Rebuild it with examples/c/build.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nexus.h"

/* What nexus_run returns for a malformed script. */
#define BAD_SCRIPT 99

/* Ops of the script format. */
enum {
	OP_OUTPUT = 0x01,
	OP_OUTPUT_REPEAT = 0x02,
	OP_INPUT_LEN = 0x03,
	OP_INPUT_READ = 0x04,
	OP_LOG = 0x05,
	OP_PROGRESS = 0x06,
	OP_CHECKPOINT_SAVE = 0x07,
	OP_CHECKPOINT_LOAD = 0x08,
	OP_KV_GET = 0x09,
	OP_KV_SET = 0x0A,
	OP_KV_DELETE = 0x0B,
	OP_CONFIG_GET = 0x0C,
	OP_FUEL = 0x0D,
	OP_FAIL = 0x0E,
	OP_TRAP = 0x0F,
	OP_SPIN = 0x10,
	OP_ALLOC = 0x11,
	OP_RAW_OUTPUT = 0x12,
	OP_RECURSE = 0x13,
	OP_RETURN = 0x14,
	OP_STDERR = 0x15,
	OP_SPAWN = 0x16,
	OP_AWAIT = 0x17,
	OP_AWAIT_ANY = 0x18,
	OP_ENVELOPE = 0x19
};

/* reader decodes a script's little-endian fields. Every read_* function
 * returns 0 when the script ends too soon, and 1 otherwise. */
struct reader {
	const uint8_t *p;
	size_t left;
};

static int read_take(struct reader *r, size_t n, const uint8_t **out)
{
	if (n > r->left)
		return 0;
	*out = r->p;
	r->p += n;
	r->left -= n;
	return 1;
}

static int read_u8(struct reader *r, uint8_t *v)
{
	const uint8_t *b;
	if (!read_take(r, 1, &b))
		return 0;
	*v = b[0];
	return 1;
}

static int read_u32(struct reader *r, uint32_t *v)
{
	const uint8_t *b;
	if (!read_take(r, 4, &b))
		return 0;
	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return 1;
}

static int read_u64(struct reader *r, uint64_t *v)
{
	uint32_t lo, hi;
	if (!read_u32(r, &lo) || !read_u32(r, &hi))
		return 0;
	*v = (uint64_t)hi << 32 | lo;
	return 1;
}

/* read_bytes reads a length-prefixed byte string, pointing into the script. */
static int read_bytes(struct reader *r, const uint8_t **s, uint32_t *len)
{
	return read_u32(r, len) && read_take(r, *len, s);
}

/* write_i32 writes an i32 record. */
static void write_i32(int32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	nexus_output(b, sizeof b);
}

/* scratch returns a buffer of at least n bytes for a read; it traps if
 * there is no memory for it. */
static uint8_t *scratch(uint32_t n)
{
	uint8_t *buf = malloc(n ? n : 1);
	if (buf == NULL)
		__builtin_trap();
	return buf;
}

/* write_value writes the record of a "length, copied if it fits" call: the
 * result r, then the value if it was copied into buf of cap bytes. */
static void write_value(int32_t r, const uint8_t *buf, uint32_t cap)
{
	write_i32(r);
	if (r >= 0 && (uint32_t)r <= cap)
		nexus_output(buf, (size_t)r);
}

/* cstring returns a NUL-terminated copy of the n bytes at p. */
static char *cstring(const uint8_t *p, uint32_t n)
{
	char *s = (char *)scratch(n + 1);
	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

/* sink keeps SPIN's and RECURSE's results live so that the compiler cannot
 * remove their work. */
static volatile uint64_t sink;

/* spin runs a loop of n iterations whose result is stored to sink. */
static void spin(uint64_t n)
{
	uint64_t x = sink;
	for (uint64_t i = 0; i < n; i++)
		x = x * 31 + i;
	sink = x;
}

/* recurse recurses depth levels, one real call per level: each call's
 * result is used after it returns, so it is neither a tail call nor a
 * loop. */
__attribute__((noinline)) static uint64_t recurse(uint32_t depth)
{
	if (depth == 0)
		return sink;
	return recurse(depth - 1) * 31 + depth;
}

/* alloc allocates mib MiB, writes one byte in every 4 KiB of it and keeps
 * it allocated until the task ends; it traps if the allocation fails. */
static void alloc(uint32_t mib)
{
	if (mib == 0)
		return;
	if (mib >= 4096) /* 4 GiB or more does not fit a 32-bit address space */
		__builtin_trap();
	size_t size = (size_t)mib << 20;
	volatile uint8_t *p = malloc(size);
	if (p == NULL)
		__builtin_trap();
	for (size_t off = 0; off < size; off += 4096)
		p[off] = 1;
}

/* write_stderr writes len bytes to stderr (WASI fd_write on fd 2). */
static void write_stderr(const uint8_t *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(2, s, len);
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

/* perform runs the commands of the script after the magic and stores what
 * nexus_run returns in *code. It returns 0 if the script is truncated or
 * has an unknown op. */
static int perform(struct reader *s, int32_t *code)
{
	uint64_t last_fuel = INT64_MAX;
	const uint8_t *a, *b;
	uint32_t alen, blen, u;
	uint64_t x, y;
	uint8_t op;
	uint8_t *buf;

	while (s->left > 0) {
		read_u8(s, &op);
		switch (op) {
		case OP_OUTPUT:
			if (!read_bytes(s, &a, &alen))
				return 0;
			nexus_output(a, alen);
			break;
		case OP_OUTPUT_REPEAT:
			if (!read_bytes(s, &a, &alen) || !read_u32(s, &u))
				return 0;
			for (uint32_t i = 0; i < u; i++)
				if (nexus_output(a, alen) < 0)
					break;
			break;
		case OP_INPUT_LEN:
			write_i32((int32_t)nexus_input_len());
			break;
		case OP_INPUT_READ:
			if (!read_u32(s, &u))
				return 0;
			buf = scratch(u);
			write_i32((int32_t)nexus_input_read(buf, u));
			free(buf);
			break;
		case OP_LOG:
			if (!read_u32(s, &u) || !read_bytes(s, &a, &alen))
				return 0;
			nexus_log_n((int)u, a, alen);
			break;
		case OP_PROGRESS:
			if (!read_u64(s, &x) || !read_u64(s, &y))
				return 0;
			nexus_progress(x, y);
			break;
		case OP_CHECKPOINT_SAVE:
			if (!read_bytes(s, &a, &alen))
				return 0;
			write_i32(nexus_checkpoint_save(a, alen));
			break;
		case OP_CHECKPOINT_LOAD:
			if (!read_u32(s, &u))
				return 0;
			buf = scratch(u);
			write_value(nexus_checkpoint_load(buf, u), buf, u);
			free(buf);
			break;
		case OP_KV_GET:
			if (!read_bytes(s, &a, &alen) || !read_u32(s, &u))
				return 0;
			buf = scratch(u);
			write_value(nexus_kv_get_n(a, alen, buf, u), buf, u);
			free(buf);
			break;
		case OP_KV_SET:
			if (!read_bytes(s, &a, &alen) || !read_bytes(s, &b, &blen))
				return 0;
			write_i32(nexus_kv_set_n(a, alen, b, blen));
			break;
		case OP_KV_DELETE:
			if (!read_bytes(s, &a, &alen))
				return 0;
			write_i32(nexus_kv_delete_n(a, alen));
			break;
		case OP_CONFIG_GET:
			if (!read_bytes(s, &a, &alen) || !read_u32(s, &u))
				return 0;
			buf = scratch(u);
			write_value(nexus_config_get_n(a, alen, buf, u), buf, u);
			free(buf);
			break;
		case OP_FUEL:
			x = nexus_fuel_remaining();
			write_i32(0 < x && x < last_fuel);
			last_fuel = x;
			break;
		case OP_FAIL:
			if (!read_bytes(s, &a, &alen) || !read_u32(s, &u))
				return 0;
			nexus_set_error_n(a, alen);
			*code = (int32_t)u;
			return 1;
		case OP_TRAP:
			__builtin_trap();
		case OP_SPIN:
			if (!read_u64(s, &x))
				return 0;
			spin(x);
			break;
		case OP_ALLOC:
			if (!read_u32(s, &u))
				return 0;
			alloc(u);
			break;
		case OP_RAW_OUTPUT:
			if (!read_u32(s, &u) || !read_u32(s, &alen))
				return 0;
			/* The host bounds-checks the range and traps the task
			 * if it lies outside memory: that is what this op
			 * tests. */
			write_i32(nexus_sys_output_write((const void *)(uintptr_t)u, alen));
			break;
		case OP_RECURSE:
			if (!read_u32(s, &u))
				return 0;
			sink = recurse(u);
			break;
		case OP_RETURN:
			if (!read_u32(s, &u))
				return 0;
			*code = (int32_t)u;
			return 1;
		case OP_STDERR:
			if (!read_bytes(s, &a, &alen))
				return 0;
			write_stderr(a, alen);
			break;
		case OP_SPAWN: {
			const uint8_t *o;
			uint32_t olen;
			if (!read_bytes(s, &a, &alen) || !read_bytes(s, &b, &blen) || !read_bytes(s, &o, &olen))
				return 0;
			char *module = cstring(a, alen), *options = cstring(o, olen);
			write_i32(nexus_spawn(module, b, blen, options));
			free(module);
			free(options);
			break;
		}
		case OP_AWAIT:
			if (!read_u32(s, &u) || !read_u32(s, &alen))
				return 0;
			buf = scratch(alen);
			write_value(nexus_await((int32_t)u, buf, alen), buf, alen);
			free(buf);
			break;
		case OP_AWAIT_ANY: {
			if (!read_bytes(s, &a, &alen))
				return 0;
			int32_t *handles = (int32_t *)scratch(alen);
			memcpy(handles, a, alen);
			write_i32(nexus_await_any(handles, alen / 4));
			free(handles);
			break;
		}
		case OP_ENVELOPE: {
			if (!read_bytes(s, &a, &alen) || !read_bytes(s, &b, &blen) || !read_u32(s, &u))
				return 0;
			char *id = cstring(b, blen);
			buf = scratch(u);
			write_value(nexus_envelope_get(a, alen, id, buf, u), buf, u);
			free(buf);
			free(id);
			break;
		}
		default:
			return 0;
		}
	}
	*code = 0;
	return 1;
}

/* conformance runs a whole script: the magic "NXC1", then commands. */
static int conformance(const uint8_t *input, size_t len)
{
	struct reader s = {input, len};
	const uint8_t *magic;
	int32_t code;
	if (!read_take(&s, 4, &magic) || memcmp(magic, "NXC1", 4) != 0 || !perform(&s, &code)) {
		nexus_set_error("conformance: bad script");
		return BAD_SCRIPT;
	}
	return code;
}

NEXUS_MAIN(conformance);
