/*
 * wordcount: a NexusTask task that counts the words, lines and bytes of its
 * input and lists its five most frequent words, as one line of JSON. For the
 * input "the fox saw the dog\nthe dog ran" it outputs
 *
 *   {"words":8,"lines":1,"bytes":31,"top":[["the",3],["dog",2],["fox",1],["ran",1],["saw",1]]}
 *
 *   - words: maximal runs of bytes other than the ASCII whitespace space,
 *     \t, \n, \v, \f and \r (as wc -w counts them), compared byte for byte
 *     (case-sensitive);
 *   - lines: the number of \n bytes (as wc -l counts them);
 *   - bytes: the input's length;
 *   - top: up to five [word, count] pairs, most frequent first, ties broken
 *     by the word in ascending byte order.
 *
 * In words, " and \ are escaped with a backslash and bytes below 0x20 as
 * \u00XX; every other byte is copied as it is. The wordcount example of
 * every language gives the same output for the same input. The module is
 * declared pure, so the host may cache its results.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nexus.h"

/* How many words "top" lists. */
#define TOP 5

NEXUS_PURE();

/* word is a distinct word of the input, pointing into it, and its count. */
struct word {
	const uint8_t *p;
	size_t len;
	uint64_t count;
};

/* table is an open-addressing hash table of words; cap is a power of two. */
struct table {
	struct word *slots;
	size_t cap, used;
};

/* hash is FNV-1a 32 over the word's bytes. */
static uint32_t hash(const uint8_t *p, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* slot returns the slot holding the word, or the empty slot where it goes. */
static struct word *slot(struct word *slots, size_t cap, const uint8_t *p, size_t len)
{
	size_t i = hash(p, len) & (cap - 1);
	while (slots[i].p != NULL && (slots[i].len != len || memcmp(slots[i].p, p, len) != 0))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

/* grow doubles the table's capacity; it returns 0 if memory ran out. */
static int grow(struct table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	struct word *slots = calloc(cap, sizeof *slots);
	if (slots == NULL)
		return 0;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].p != NULL)
			*slot(slots, cap, t->slots[i].p, t->slots[i].len) = t->slots[i];
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 1;
}

/* add counts one occurrence of a word; it returns 0 if memory ran out. */
static int add(struct table *t, const uint8_t *p, size_t len)
{
	if ((t->used + 1) * 4 > t->cap * 3 && !grow(t))
		return 0;
	struct word *w = slot(t->slots, t->cap, p, len);
	if (w->p == NULL) {
		*w = (struct word){p, len, 0};
		t->used++;
	}
	w->count++;
	return 1;
}

/* before reports whether a ranks above b: a higher count, or the same count
 * and a word that comes first in byte order. */
static int before(const struct word *a, const struct word *b)
{
	if (a->count != b->count)
		return a->count > b->count;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->p, b->p, n);
	return c != 0 ? c < 0 : a->len < b->len;
}

/* is_space reports whether b is ASCII whitespace as C's isspace defines it
 * in the C locale. */
static int is_space(uint8_t b)
{
	return b == ' ' || (b >= '\t' && b <= '\r');
}

/* buf is a growable output buffer; a failed allocation sets oom. */
struct buf {
	uint8_t *p;
	size_t len, cap;
	int oom;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = (b->len + n) * 2;
		uint8_t *grown = realloc(b->p, cap);
		if (grown == NULL) {
			b->oom = 1;
			return;
		}
		b->p = grown;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void put_str(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_u64(struct buf *b, uint64_t v)
{
	char digits[20];
	size_t i = sizeof digits;
	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	put(b, digits + i, sizeof digits - i);
}

/* put_json_string appends the word as a JSON string with the minimal
 * escaping described at the top of this file. */
static void put_json_string(struct buf *b, const uint8_t *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	put(b, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[i];
		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			put(b, esc, 2);
		} else if (c < 0x20) {
			char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
			put(b, esc, 6);
		} else {
			put(b, &c, 1);
		}
	}
	put(b, "\"", 1);
}

static int wordcount(const uint8_t *input, size_t len)
{
	struct table t = {0};
	uint64_t words = 0, lines = 0;
	for (size_t i = 0; i < len;) {
		if (input[i] == '\n')
			lines++;
		if (is_space(input[i])) {
			i++;
			continue;
		}
		size_t start = i;
		while (i < len && !is_space(input[i]))
			i++;
		words++;
		if (!add(&t, input + start, i - start))
			return nexus_fail("wordcount: out of memory");
	}

	/* Keep the TOP best words, in rank order, by insertion. */
	struct word top[TOP];
	size_t ntop = 0;
	for (size_t i = 0; i < t.cap; i++) {
		const struct word *w = &t.slots[i];
		if (w->p == NULL || (ntop == TOP && !before(w, &top[TOP - 1])))
			continue;
		size_t j = ntop < TOP ? ntop++ : TOP - 1;
		for (; j > 0 && before(w, &top[j - 1]); j--)
			top[j] = top[j - 1];
		top[j] = *w;
	}

	struct buf b = {0};
	put_str(&b, "{\"words\":");
	put_u64(&b, words);
	put_str(&b, ",\"lines\":");
	put_u64(&b, lines);
	put_str(&b, ",\"bytes\":");
	put_u64(&b, len);
	put_str(&b, ",\"top\":[");
	for (size_t i = 0; i < ntop; i++) {
		put_str(&b, i > 0 ? ",[" : "[");
		put_json_string(&b, top[i].p, top[i].len);
		put_str(&b, ",");
		put_u64(&b, top[i].count);
		put_str(&b, "]");
	}
	put_str(&b, "]}");
	free(t.slots);
	if (b.oom)
		return nexus_fail("wordcount: out of memory");
	int r = nexus_output(b.p, b.len);
	free(b.p);
	return r < 0 ? nexus_fail_code("output", r) : 0;
}

NEXUS_MAIN(wordcount);
