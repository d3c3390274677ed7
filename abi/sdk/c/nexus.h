/*
 * nexus.h — the C SDK for NexusTask tasks.
 *
 * A single header with no dependencies beyond wasi-libc. It declares every
 * import of NexusTask's guest ABI v1 (abi/ABI.md) and wraps each one in a
 * small C function that follows the ABI's conventions for you:
 *
 *   - Functions that return bytes (checkpoint, kv, config) come in two
 *     forms: the plain form exposes the ABI's "length, copied if it fits"
 *     convention on your buffer, and the _alloc form returns a malloc'd
 *     copy, calling again with the size the host reports when the first
 *     buffer was too small.
 *   - Every function that can fail returns an int: 0 (or a length) on
 *     success, a negative NEXUS_ERR_* code on failure. nexus_strerror()
 *     describes a code.
 *   - Keys come as C strings; every function taking a key has an _n twin
 *     taking a pointer and a length, for keys that are arbitrary bytes.
 *
 * A task is a function given to NEXUS_MAIN:
 *
 *     #include "nexus.h"
 *
 *     static int greet(const uint8_t *input, size_t len) {
 *         nexus_output_str("hello, ");
 *         nexus_output(input, len);
 *         return 0;
 *     }
 *
 *     NEXUS_MAIN(greet);
 *
 * built as a WASI reactor:
 *
 *     clang --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -O2 \
 *         -I abi/sdk/c -Wl,--strip-all -o greet.wasm greet.c
 *
 * Every task runs in a fresh single-threaded instance, so nothing here is
 * thread-safe and nothing needs to be: no state survives from one task to
 * the next. See README.md beside this file for the full guide.
 */
#ifndef NEXUS_H
#define NEXUS_H

#if !defined(__wasm__)
#error "nexus.h is for WebAssembly tasks: compile with --target=wasm32-wasi"
#endif

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header implements. */
#define NEXUS_ABI_VERSION 1

/* ---------------------------------------------------------------------------
 * Result codes
 *
 * The host's result codes are negative, so that any non-negative result can
 * be a length. Later ABI versions may add codes but never change these.
 */

/* Success. */
#define NEXUS_OK 0
/* The key, value or checkpoint does not exist. */
#define NEXUS_ERR_NOT_FOUND (-1)
/* A size limit was reached: output cap, value over 1 MiB, kv namespace
 * full, checkpoint over 1 MiB. */
#define NEXUS_ERR_LIMIT (-2)
/* The task lacks the capability: no kv store on this host, or a pure module
 * writing kv. */
#define NEXUS_ERR_DENIED (-3)
/* An argument is malformed: an empty or oversize (> 1 KiB) key. */
#define NEXUS_ERR_INVALID (-4)
/* The host failed (a storage error); the task may retry or fail. */
#define NEXUS_ERR_INTERNAL (-5)
/* The awaited child task failed, died or was canceled. */
#define NEXUS_ERR_FAILED (-6)
/* malloc failed inside an SDK function. The host never returns this code;
 * it lies far outside the range the ABI uses. */
#define NEXUS_ERR_NOMEM (-1000)

/* ---------------------------------------------------------------------------
 * Exports
 */

/* NEXUS_EXPORT(name) exports the function it precedes under name. */
#define NEXUS_EXPORT(name) __attribute__((export_name(name)))

/* NEXUS_IMPORT(name) declares the nexus_v1 import name. */
#define NEXUS_IMPORT(name) __attribute__((import_module("nexus_v1"), import_name(name)))

/*
 * NEXUS_MAIN(handler) defines the module's entry point, nexus_run, for a
 * handler of type
 *
 *     int handler(const uint8_t *input, size_t len);
 *
 * nexus_run reads the whole input (NUL-terminated, so text handlers may use
 * it as a C string), calls the handler, frees the input and returns what the
 * handler returned: 0 is success; anything else fails the task with
 * task_error and the message last given to nexus_set_error (see
 * nexus_fail). The handler writes its output itself with nexus_output.
 *
 * Use it once, at file scope, followed by a semicolon. To read the input
 * yourself, define the entry point directly instead:
 *
 *     NEXUS_EXPORT("nexus_run") int nexus_run(void)
 *     {
 *         size_t len;
 *         uint8_t *input = nexus_input_all(&len);
 *         ...
 *     }
 */
#define NEXUS_MAIN(handler)                                                    \
	NEXUS_EXPORT("nexus_run") int nexus_run(void);                         \
	int nexus_run(void) { return nexus_main(handler); }                    \
	extern int nexus__file_scope

/*
 * NEXUS_PURE() declares the module pure: its output depends only on its
 * input and configuration, so the host may cache results. It exports an
 * empty function nexus_pure that is never called. A pure module gets
 * NEXUS_ERR_DENIED from nexus_kv_set and nexus_kv_delete. Use it once, at
 * file scope, followed by a semicolon.
 */
#define NEXUS_PURE()                                                           \
	NEXUS_EXPORT("nexus_pure") void nexus_pure(void);                      \
	void nexus_pure(void) {}                                               \
	extern int nexus__file_scope

/* ---------------------------------------------------------------------------
 * Raw imports of module nexus_v1
 *
 * These are the ABI's functions exactly as abi/ABI.md specifies them:
 * pointers are offsets into linear memory, and the host traps the task if a
 * range lies outside it. Prefer the wrappers below.
 */

NEXUS_IMPORT("input_len") int32_t nexus_sys_input_len(void);
NEXUS_IMPORT("input_read") int32_t nexus_sys_input_read(void *ptr, uint32_t len);
NEXUS_IMPORT("output_write") int32_t nexus_sys_output_write(const void *ptr, uint32_t len);
NEXUS_IMPORT("error_set") void nexus_sys_error_set(const void *ptr, uint32_t len);
NEXUS_IMPORT("log") void nexus_sys_log(int32_t level, const void *ptr, uint32_t len);
NEXUS_IMPORT("progress") void nexus_sys_progress(int64_t done, int64_t total);
NEXUS_IMPORT("checkpoint_save") int32_t nexus_sys_checkpoint_save(const void *ptr, uint32_t len);
NEXUS_IMPORT("checkpoint_load") int32_t nexus_sys_checkpoint_load(void *ptr, uint32_t cap);
NEXUS_IMPORT("kv_get")
int32_t nexus_sys_kv_get(const void *kptr, uint32_t klen, void *vptr, uint32_t vcap);
NEXUS_IMPORT("kv_set")
int32_t nexus_sys_kv_set(const void *kptr, uint32_t klen, const void *vptr, uint32_t vlen);
NEXUS_IMPORT("kv_delete") int32_t nexus_sys_kv_delete(const void *kptr, uint32_t klen);
NEXUS_IMPORT("config_get")
int32_t nexus_sys_config_get(const void *kptr, uint32_t klen, void *vptr, uint32_t vcap);
NEXUS_IMPORT("fuel_remaining") int64_t nexus_sys_fuel_remaining(void);
NEXUS_IMPORT("task_spawn")
int32_t nexus_sys_task_spawn(const void *mptr, uint32_t mlen, const void *iptr, uint32_t ilen,
			     const void *optr, uint32_t olen);
NEXUS_IMPORT("task_await") int32_t nexus_sys_task_await(int32_t handle, void *ptr, uint32_t cap);
NEXUS_IMPORT("task_await_any") int32_t nexus_sys_task_await_any(const int32_t *hptr, uint32_t n);

/* ---------------------------------------------------------------------------
 * Errors
 */

/* nexus_strerror returns a static description of a result code, such as
 * "nexus: not found". */
static inline const char *nexus_strerror(int code)
{
	switch (code) {
	case NEXUS_OK:
		return "nexus: ok";
	case NEXUS_ERR_NOT_FOUND:
		return "nexus: not found";
	case NEXUS_ERR_LIMIT:
		return "nexus: limit reached";
	case NEXUS_ERR_DENIED:
		return "nexus: denied";
	case NEXUS_ERR_INVALID:
		return "nexus: invalid argument";
	case NEXUS_ERR_FAILED:
		return "nexus: child task failed";
	case NEXUS_ERR_INTERNAL:
		return "nexus: host internal error";
	case NEXUS_ERR_NOMEM:
		return "nexus: out of memory";
	}
	return "nexus: unknown result code";
}

/* nexus_set_error_n sets the task's error message to the len bytes at msg.
 * The host reports it if nexus_run returns non-zero; the last call wins and
 * the host keeps up to 4 KiB. */
static inline void nexus_set_error_n(const void *msg, size_t len)
{
	nexus_sys_error_set(msg, (uint32_t)len);
}

/* nexus_set_error sets the task's error message to the C string msg. */
static inline void nexus_set_error(const char *msg)
{
	nexus_set_error_n(msg, strlen(msg));
}

/* nexus_fail sets the task's error message to msg and returns 1, so that a
 * handler can write: return nexus_fail("input: not a number"); */
static inline int nexus_fail(const char *msg)
{
	nexus_set_error(msg);
	return 1;
}

/* nexus_fail_code sets the task's error message to "what: " followed by the
 * description of the result code, e.g. "kv count: nexus: denied", and
 * returns 1. */
static inline int nexus_fail_code(const char *what, int code)
{
	const char *desc = nexus_strerror(code);
	size_t wlen = strlen(what), dlen = strlen(desc);
	char *msg = (char *)malloc(wlen + 2 + dlen);
	if (msg == NULL) {
		nexus_set_error(desc);
		return 1;
	}
	memcpy(msg, what, wlen);
	memcpy(msg + wlen, ": ", 2);
	memcpy(msg + wlen + 2, desc, dlen);
	nexus_set_error_n(msg, wlen + 2 + dlen);
	free(msg);
	return 1;
}

/* nexus__vformat formats into a malloc'd buffer, setting *len; it returns
 * NULL if formatting or allocation fails. */
static inline char *nexus__vformat(size_t *len, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return NULL;
	char *buf = (char *)malloc((size_t)n + 1);
	if (buf == NULL)
		return NULL;
	vsnprintf(buf, (size_t)n + 1, fmt, ap);
	*len = (size_t)n;
	return buf;
}

/* nexus_failf sets the task's error message with printf formatting and
 * returns 1. It links in vsnprintf; nexus_fail does not. */
static inline int nexus_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int nexus_failf(const char *fmt, ...)
{
	va_list ap;
	size_t len;
	va_start(ap, fmt);
	char *msg = nexus__vformat(&len, fmt, ap);
	va_end(ap);
	if (msg == NULL)
		return nexus_fail(fmt);
	nexus_set_error_n(msg, len);
	free(msg);
	return 1;
}

/* ---------------------------------------------------------------------------
 * Input and output
 */

/* nexus_input_len returns the total size of the task's input in bytes. */
static inline size_t nexus_input_len(void)
{
	return (size_t)(uint32_t)nexus_sys_input_len();
}

/* nexus_input_read copies up to cap further bytes of input to buf and
 * returns the number copied. Reads continue where the previous one stopped;
 * 0 means all input has been read. */
static inline size_t nexus_input_read(void *buf, size_t cap)
{
	int32_t n = nexus_sys_input_read(buf, (uint32_t)cap);
	return n < 0 ? 0 : (size_t)n;
}

/* nexus_input_all reads the input not yet read (all of it, if nothing was
 * read before) into a malloc'd buffer with a NUL byte after its end, sets
 * *len to its length and returns it; the caller frees it. It returns NULL
 * if the allocation fails. */
static inline uint8_t *nexus_input_all(size_t *len)
{
	size_t total = nexus_input_len();
	uint8_t *buf = (uint8_t *)malloc(total + 1);
	if (buf == NULL)
		return NULL;
	size_t got = 0;
	while (got < total) {
		size_t n = nexus_input_read(buf + got, total - got);
		if (n == 0)
			break;
		got += n;
	}
	buf[got] = 0;
	*len = got;
	return buf;
}

/* nexus_output appends len bytes at buf to the task's output. It returns 0,
 * or NEXUS_ERR_LIMIT (writing nothing) if the output would pass its cap; a
 * task that got NEXUS_ERR_LIMIT fails with output_limit when it ends. */
static inline int nexus_output(const void *buf, size_t len)
{
	int32_t r = nexus_sys_output_write(buf, (uint32_t)len);
	return r < 0 ? r : NEXUS_OK;
}

/* nexus_output_str appends the C string s to the output, like nexus_output. */
static inline int nexus_output_str(const char *s)
{
	return nexus_output(s, strlen(s));
}

/* nexus_outputf appends printf-formatted text to the output. It returns 0,
 * NEXUS_ERR_LIMIT, or NEXUS_ERR_NOMEM. */
static inline int nexus_outputf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int nexus_outputf(const char *fmt, ...)
{
	va_list ap;
	size_t len;
	va_start(ap, fmt);
	char *text = nexus__vformat(&len, fmt, ap);
	va_end(ap);
	if (text == NULL)
		return NEXUS_ERR_NOMEM;
	int r = nexus_output(text, len);
	free(text);
	return r;
}

/* ---------------------------------------------------------------------------
 * Logs and progress
 */

/* Log levels. The host logs any other level as "level(N)". */
enum nexus_level {
	NEXUS_LOG_DEBUG = 0,
	NEXUS_LOG_INFO = 1,
	NEXUS_LOG_WARN = 2,
	NEXUS_LOG_ERROR = 3
};

/* nexus_log_n writes one log line of len bytes at level. Logs are bounded
 * and rate-limited by the host; logging never fails a task. */
static inline void nexus_log_n(int level, const void *msg, size_t len)
{
	nexus_sys_log(level, msg, (uint32_t)len);
}

/* nexus_log writes the C string msg as one log line at level. */
static inline void nexus_log(int level, const char *msg)
{
	nexus_log_n(level, msg, strlen(msg));
}

/* nexus_logf writes one printf-formatted log line at level. */
static inline void nexus_logf(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void nexus_logf(int level, const char *fmt, ...)
{
	va_list ap;
	size_t len;
	va_start(ap, fmt);
	char *line = nexus__vformat(&len, fmt, ap);
	va_end(ap);
	if (line == NULL) {
		nexus_log(level, fmt);
		return;
	}
	nexus_log_n(level, line, len);
	free(line);
}

/* nexus_debug, nexus_info, nexus_warn and nexus_error log a C string at
 * their level. */
static inline void nexus_debug(const char *msg) { nexus_log(NEXUS_LOG_DEBUG, msg); }
static inline void nexus_info(const char *msg) { nexus_log(NEXUS_LOG_INFO, msg); }
static inline void nexus_warn(const char *msg) { nexus_log(NEXUS_LOG_WARN, msg); }
static inline void nexus_error(const char *msg) { nexus_log(NEXUS_LOG_ERROR, msg); }

/* nexus_progress reports that done of total units of work are done. The
 * last call wins; the host shows it in task records, events, the CLI and the
 * dashboard. */
static inline void nexus_progress(uint64_t done, uint64_t total)
{
	nexus_sys_progress((int64_t)done, (int64_t)total);
}

/* ---------------------------------------------------------------------------
 * "Length, copied if it fits"
 */

/* nexus__getter is the shape of the imports that return bytes. */
typedef int32_t (*nexus__getter)(const void *key, uint32_t klen, void *buf, uint32_t cap);

/* nexus__get_alloc calls get with a growing buffer until the value fits,
 * then returns it, malloc'd and NUL-terminated, in *value and *len. */
static inline int nexus__get_alloc(nexus__getter get, const void *key, size_t klen,
				   uint8_t **value, size_t *len)
{
	size_t cap = 256;
	uint8_t *buf = NULL;
	*value = NULL;
	*len = 0;
	for (;;) {
		uint8_t *grown = (uint8_t *)realloc(buf, cap + 1);
		if (grown == NULL) {
			free(buf);
			return NEXUS_ERR_NOMEM;
		}
		buf = grown;
		int32_t r = get(key, (uint32_t)klen, buf, (uint32_t)cap);
		if (r < 0) {
			free(buf);
			return r;
		}
		if ((size_t)r <= cap) {
			buf[r] = 0;
			*value = buf;
			*len = (size_t)r;
			return NEXUS_OK;
		}
		/* Too small: the value may change between calls (another task
		 * may set it), so retry until one fits. */
		cap = (size_t)r;
	}
}

/* ---------------------------------------------------------------------------
 * Checkpoints
 */

/* nexus_checkpoint_save keeps len bytes at buf as the task's checkpoint,
 * replacing the last one. It returns 0, or NEXUS_ERR_LIMIT past 1 MiB. A
 * durable task's next attempt (after a retry or restart) loads it. */
static inline int nexus_checkpoint_save(const void *buf, size_t len)
{
	return nexus_sys_checkpoint_save(buf, (uint32_t)len);
}

/* nexus_checkpoint_load returns the last checkpoint's length and copies it
 * to buf if it fits in cap bytes (otherwise buf is untouched: call again
 * with a buffer that large). It returns NEXUS_ERR_NOT_FOUND if there is
 * none. */
static inline int32_t nexus_checkpoint_load(void *buf, size_t cap)
{
	return nexus_sys_checkpoint_load(buf, (uint32_t)cap);
}

static inline int32_t nexus__checkpoint_getter(const void *key, uint32_t klen, void *buf,
					       uint32_t cap)
{
	(void)key;
	(void)klen;
	return nexus_sys_checkpoint_load(buf, cap);
}

/* nexus_checkpoint_load_alloc loads the last checkpoint into a malloc'd
 * buffer (NUL-terminated; the caller frees it) and returns 0. It returns
 * NEXUS_ERR_NOT_FOUND, with *state set to NULL, if there is none. */
static inline int nexus_checkpoint_load_alloc(uint8_t **state, size_t *len)
{
	return nexus__get_alloc(nexus__checkpoint_getter, NULL, 0, state, len);
}

/* ---------------------------------------------------------------------------
 * Key-value store
 *
 * One persistent namespace per module name. Keys are 1 to 1,024 bytes
 * (NEXUS_ERR_INVALID otherwise), values up to 1 MiB. Every call is atomic
 * and durable when it returns. On a host without a store every call returns
 * NEXUS_ERR_DENIED.
 */

/* nexus_kv_get_n returns the length of the value of the klen-byte key and
 * copies the value to buf if it fits in cap bytes (otherwise buf is
 * untouched). It returns NEXUS_ERR_NOT_FOUND if the key has no value. */
static inline int32_t nexus_kv_get_n(const void *key, size_t klen, void *buf, size_t cap)
{
	return nexus_sys_kv_get(key, (uint32_t)klen, buf, (uint32_t)cap);
}

/* nexus_kv_get is nexus_kv_get_n with a C-string key. */
static inline int32_t nexus_kv_get(const char *key, void *buf, size_t cap)
{
	return nexus_kv_get_n(key, strlen(key), buf, cap);
}

/* nexus_kv_get_alloc_n returns 0 and the value of the klen-byte key in a
 * malloc'd, NUL-terminated buffer the caller frees. It returns
 * NEXUS_ERR_NOT_FOUND, with *value set to NULL, if the key has no value. */
static inline int nexus_kv_get_alloc_n(const void *key, size_t klen, uint8_t **value, size_t *len)
{
	return nexus__get_alloc(nexus_sys_kv_get, key, klen, value, len);
}

/* nexus_kv_get_alloc is nexus_kv_get_alloc_n with a C-string key. */
static inline int nexus_kv_get_alloc(const char *key, uint8_t **value, size_t *len)
{
	return nexus_kv_get_alloc_n(key, strlen(key), value, len);
}

/* nexus_kv_set_n sets the klen-byte key to the vlen bytes at value. It
 * returns 0, or NEXUS_ERR_LIMIT (value over 1 MiB, namespace full),
 * NEXUS_ERR_INVALID, NEXUS_ERR_DENIED (no store, or a pure module) or
 * NEXUS_ERR_INTERNAL. */
static inline int nexus_kv_set_n(const void *key, size_t klen, const void *value, size_t vlen)
{
	return nexus_sys_kv_set(key, (uint32_t)klen, value, (uint32_t)vlen);
}

/* nexus_kv_set is nexus_kv_set_n with a C-string key. */
static inline int nexus_kv_set(const char *key, const void *value, size_t vlen)
{
	return nexus_kv_set_n(key, strlen(key), value, vlen);
}

/* nexus_kv_set_str sets the C-string key to the C string value. */
static inline int nexus_kv_set_str(const char *key, const char *value)
{
	return nexus_kv_set(key, value, strlen(value));
}

/* nexus_kv_delete_n deletes the klen-byte key. It returns 0, or
 * NEXUS_ERR_NOT_FOUND if the key had no value, or another error code. */
static inline int nexus_kv_delete_n(const void *key, size_t klen)
{
	return nexus_sys_kv_delete(key, (uint32_t)klen);
}

/* nexus_kv_delete is nexus_kv_delete_n with a C-string key. */
static inline int nexus_kv_delete(const char *key)
{
	return nexus_kv_delete_n(key, strlen(key));
}

/* ---------------------------------------------------------------------------
 * Configuration
 *
 * String values given with the task (config=key=value on invoke, a config
 * object on POST /v1/tasks).
 */

/* nexus_config_get_n returns the length of the configuration value of the
 * klen-byte key and copies it to buf if it fits in cap bytes (otherwise buf
 * is untouched). It returns NEXUS_ERR_NOT_FOUND if the key is not set. */
static inline int32_t nexus_config_get_n(const void *key, size_t klen, void *buf, size_t cap)
{
	return nexus_sys_config_get(key, (uint32_t)klen, buf, (uint32_t)cap);
}

/* nexus_config_get is nexus_config_get_n with a C-string key. */
static inline int32_t nexus_config_get(const char *key, void *buf, size_t cap)
{
	return nexus_config_get_n(key, strlen(key), buf, cap);
}

/* nexus_config_get_alloc_n returns 0 and the configuration value of the
 * klen-byte key as a malloc'd C string the caller frees (*len is its
 * length). It returns NEXUS_ERR_NOT_FOUND, with *value set to NULL, if the
 * key is not set. */
static inline int nexus_config_get_alloc_n(const void *key, size_t klen, char **value, size_t *len)
{
	return nexus__get_alloc(nexus_sys_config_get, key, klen, (uint8_t **)value, len);
}

/* nexus_config_get_alloc is nexus_config_get_alloc_n with a C-string key. */
static inline int nexus_config_get_alloc(const char *key, char **value, size_t *len)
{
	return nexus_config_get_alloc_n(key, strlen(key), value, len);
}

/* ---------------------------------------------------------------------------
 * Fuel
 */

/* nexus_fuel_remaining returns the fuel left in the task's budget. */
static inline uint64_t nexus_fuel_remaining(void)
{
	int64_t f = nexus_sys_fuel_remaining();
	return f < 0 ? 0 : (uint64_t)f;
}

/* ---------------------------------------------------------------------------
 * Child tasks
 *
 * A task may spawn child tasks, durable tasks of their own, and await their
 * outputs. While it awaits, it gives its worker token back. A task retried
 * after a failure or a crash gets the same children back, spawn for spawn:
 * spawn them in the same order on every attempt.
 */

/* nexus_spawn starts a child task of module ("NAME" or "NAME@VERSION", a C
 * string) with the len bytes of input and options, a JSON object of task
 * fields (priority, category, fuel, memory_bytes, timeout_ms, max_retries,
 * tags, config) or NULL. The child inherits the task's priority and
 * category unless they are given. It returns the child's handle (>= 0), or
 * NEXUS_ERR_NOT_FOUND (no such module), NEXUS_ERR_INVALID, NEXUS_ERR_LIMIT,
 * NEXUS_ERR_DENIED (the host cannot spawn) or NEXUS_ERR_INTERNAL. */
static inline int32_t nexus_spawn(const char *module, const void *input, size_t len,
				  const char *options)
{
	return nexus_sys_task_spawn(module, (uint32_t)strlen(module), input, (uint32_t)len,
				    options, options == NULL ? 0 : (uint32_t)strlen(options));
}

/* nexus_await waits until the child of handle has finished and returns its
 * output's length, copying the output to buf if it fits in cap bytes
 * (otherwise call again with a buffer that large: the answer is the same).
 * It returns NEXUS_ERR_FAILED if the child did not succeed,
 * NEXUS_ERR_LIMIT if the host holds as many waiting tasks as it allows,
 * NEXUS_ERR_NOT_FOUND for a handle nexus_spawn did not return. */
static inline int32_t nexus_await(int32_t handle, void *buf, size_t cap)
{
	return nexus_sys_task_await(handle, buf, (uint32_t)cap);
}

static inline int32_t nexus__await_getter(const void *key, uint32_t klen, void *buf, uint32_t cap)
{
	(void)klen;
	return nexus_sys_task_await(*(const int32_t *)key, buf, cap);
}

/* nexus_await_alloc waits as nexus_await does and returns 0 with the
 * child's output in a malloc'd, NUL-terminated buffer the caller frees, or
 * an error code (*out set to NULL). */
static inline int nexus_await_alloc(int32_t handle, uint8_t **out, size_t *len)
{
	return nexus__get_alloc(nexus__await_getter, &handle, sizeof handle, out, len);
}

/* nexus_await_any waits until one of the n children of handles has
 * finished and returns its index in handles (the lowest of those
 * finished); nexus_await on it then answers at once. It returns a negative
 * code as nexus_await does, or NEXUS_ERR_INVALID for n == 0. */
static inline int32_t nexus_await_any(const int32_t *handles, size_t n)
{
	return nexus_sys_task_await_any(handles, (uint32_t)n);
}

/* ---------------------------------------------------------------------------
 * Workflow envelopes
 *
 * The input of a workflow step with several input_from sources is a JSON
 * object with one member per source step (abi/ABI.md, "Workflow inputs"):
 * the base64 of its output if it succeeded, else an object with its state
 * and error. These functions read one member without allocating.
 */

static inline const uint8_t *nexus__json_ws(const uint8_t *p, const uint8_t *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static inline int nexus__hex(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* nexus__json_str decodes the JSON string at p (its opening quote) and
 * returns the byte after its closing quote, or NULL if it is malformed.
 * Decoded bytes go to out while they fit in cap; *n is their count. */
static inline const uint8_t *nexus__json_str(const uint8_t *p, const uint8_t *end, uint8_t *out,
					     size_t cap, size_t *n)
{
	*n = 0;
	if (p >= end || *p != '"')
		return NULL;
	for (p++; p < end; p++) {
		uint32_t c = *p;
		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			if (++p >= end)
				return NULL;
			switch (*p) {
			case '"': case '\\': case '/': c = *p; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u': {
				c = 0;
				for (int k = 0; k < 4; k++) {
					if (++p >= end || nexus__hex(*p) < 0)
						return NULL;
					c = c << 4 | (uint32_t)nexus__hex(*p);
				}
				if (c >= 0xD800 && c < 0xDC00 && end - p > 6 && p[1] == '\\' && p[2] == 'u') {
					uint32_t lo = 0;
					for (int k = 3; k < 7; k++) {
						if (nexus__hex(p[k]) < 0)
							return NULL;
						lo = lo << 4 | (uint32_t)nexus__hex(p[k]);
					}
					if (lo >= 0xDC00 && lo < 0xE000) {
						c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
						p += 6;
					}
				}
				uint8_t u[4];
				size_t m = 0;
				if (c < 0x80) {
					u[m++] = (uint8_t)c;
				} else if (c < 0x800) {
					u[m++] = (uint8_t)(0xC0 | c >> 6);
					u[m++] = (uint8_t)(0x80 | (c & 0x3F));
				} else if (c < 0x10000) {
					u[m++] = (uint8_t)(0xE0 | c >> 12);
					u[m++] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
					u[m++] = (uint8_t)(0x80 | (c & 0x3F));
				} else {
					u[m++] = (uint8_t)(0xF0 | c >> 18);
					u[m++] = (uint8_t)(0x80 | (c >> 12 & 0x3F));
					u[m++] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
					u[m++] = (uint8_t)(0x80 | (c & 0x3F));
				}
				for (size_t k = 0; k < m; k++, (*n)++)
					if (*n < cap)
						out[*n] = u[k];
				continue;
			}
			default:
				return NULL;
			}
		}
		if (*n < cap)
			out[*n] = (uint8_t)c;
		(*n)++;
	}
	return NULL;
}

/* nexus__json_str_eq decodes the JSON string at p and reports in *eq
 * whether it equals the len bytes of s; it returns as nexus__json_str. */
static inline const uint8_t *nexus__json_str_eq(const uint8_t *p, const uint8_t *end,
						const char *s, size_t len, int *eq)
{
	uint8_t tmp[256];
	size_t n;
	const uint8_t *next = nexus__json_str(p, end, tmp, sizeof tmp, &n);
	*eq = next != NULL && n == len && n <= sizeof tmp && memcmp(tmp, s, n) == 0;
	return next;
}

/* nexus__envelope_find returns the value of member id (a C string) of the
 * envelope's object, NULL with *code NEXUS_ERR_NOT_FOUND if it has none,
 * or NULL with NEXUS_ERR_INVALID if the envelope is malformed. */
static inline const uint8_t *nexus__envelope_find(const uint8_t *p, const uint8_t *end,
						  const char *id, int *code)
{
	size_t idlen = strlen(id);
	*code = NEXUS_ERR_INVALID;
	p = nexus__json_ws(p, end);
	if (p >= end || *p++ != '{')
		return NULL;
	for (int first = 1;; first = 0) {
		p = nexus__json_ws(p, end);
		if (p < end && *p == '}' && first) {
			*code = NEXUS_ERR_NOT_FOUND;
			return NULL;
		}
		int eq;
		if ((p = nexus__json_str_eq(p, end, id, idlen, &eq)) == NULL)
			return NULL;
		p = nexus__json_ws(p, end);
		if (p >= end || *p++ != ':')
			return NULL;
		p = nexus__json_ws(p, end);
		if (eq)
			return p;
		/* Skip the value: a string, or an object of strings. */
		size_t n;
		if (p < end && *p == '"') {
			p = nexus__json_str(p, end, NULL, 0, &n);
		} else if (p < end && *p == '{') {
			p = nexus__json_ws(p + 1, end);
			if (p < end && *p == '}') {
				p++;
			} else {
				for (;;) {
					if ((p = nexus__json_str(p, end, NULL, 0, &n)) == NULL)
						return NULL;
					p = nexus__json_ws(p, end);
					if (p >= end || *p++ != ':')
						return NULL;
					p = nexus__json_ws(p, end);
					if ((p = nexus__json_str(p, end, NULL, 0, &n)) == NULL)
						return NULL;
					p = nexus__json_ws(p, end);
					if (p < end && *p == ',') {
						p = nexus__json_ws(p + 1, end);
						continue;
					}
					if (p >= end || *p++ != '}')
						return NULL;
					break;
				}
			}
		} else {
			return NULL;
		}
		if (p == NULL)
			return NULL;
		p = nexus__json_ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}') {
			*code = NEXUS_ERR_NOT_FOUND;
		}
		return NULL;
	}
}

static inline int nexus__b64(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* nexus__b64_decode decodes the base64 text at p, up to a closing quote
 * (a JSON string already checked), into out unless it is NULL, and
 * returns the decoded length, or NEXUS_ERR_INVALID. */
static inline int32_t nexus__b64_decode(const uint8_t *p, uint8_t *out)
{
	uint32_t acc = 0;
	int bits = 0, pad = 0;
	size_t n = 0, chars = 0;
	for (; *p != '"'; p++) {
		uint8_t c = *p;
		if (c == '\\')
			c = *++p;
		if (c == '=') {
			pad++;
			chars++;
			continue;
		}
		int d = nexus__b64(c);
		if (d < 0 || pad > 0)
			return NEXUS_ERR_INVALID;
		chars++;
		acc = acc << 6 | (uint32_t)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (out != NULL)
				out[n] = (uint8_t)(acc >> bits);
			n++;
		}
	}
	if (chars % 4 != 0 || pad > 2)
		return NEXUS_ERR_INVALID;
	return (int32_t)n;
}

/* nexus_envelope_get returns the output length of source step id (a C
 * string) in the envelope env of len bytes, copying the output (decoded
 * from base64) to buf only if it fits in cap bytes (buf is untouched
 * otherwise). It returns
 * NEXUS_ERR_NOT_FOUND if the envelope has no such step, NEXUS_ERR_FAILED if
 * the step did not succeed (nexus_envelope_state says how it ended), or
 * NEXUS_ERR_INVALID if env is not an envelope. */
static inline int32_t nexus_envelope_get(const uint8_t *env, size_t len, const char *id,
					 uint8_t *buf, size_t cap)
{
	const uint8_t *end = env + len;
	int code;
	const uint8_t *v = nexus__envelope_find(env, end, id, &code);
	if (v == NULL)
		return code;
	if (v < end && *v == '{')
		return NEXUS_ERR_FAILED;
	size_t n;
	if (nexus__json_str(v, end, NULL, 0, &n) == NULL)
		return NEXUS_ERR_INVALID;
	/* Decode base64 straight from the JSON text (standard base64 needs no
	 * escapes, apart from an optional "\/"): a first pass checks it and
	 * counts the bytes, a second writes them if they fit. */
	int32_t out = nexus__b64_decode(v + 1, NULL);
	if (out >= 0 && (size_t)out <= cap)
		nexus__b64_decode(v + 1, buf);
	return out;
}

/* nexus_envelope_state returns the length of the state of source step id
 * ("succeeded", or failed, dead, canceled or skipped), copying it to buf if
 * it fits in cap bytes, or NEXUS_ERR_NOT_FOUND or NEXUS_ERR_INVALID as
 * nexus_envelope_get does. */
static inline int32_t nexus_envelope_state(const uint8_t *env, size_t len, const char *id,
					   char *buf, size_t cap)
{
	const uint8_t *end = env + len;
	int code;
	const uint8_t *p = nexus__envelope_find(env, end, id, &code);
	if (p == NULL)
		return code;
	if (p < end && *p == '"') {
		if (cap >= 9)
			memcpy(buf, "succeeded", 9);
		return 9;
	}
	p = nexus__json_ws(p + 1, end);
	while (p < end && *p == '"') {
		int eq;
		size_t n;
		if ((p = nexus__json_str_eq(p, end, "state", 5, &eq)) == NULL)
			return NEXUS_ERR_INVALID;
		p = nexus__json_ws(p, end);
		if (p >= end || *p++ != ':')
			return NEXUS_ERR_INVALID;
		p = nexus__json_ws(p, end);
		const uint8_t *next = nexus__json_str(p, end, (uint8_t *)buf, eq ? cap : 0, &n);
		if (next == NULL)
			return NEXUS_ERR_INVALID;
		if (eq)
			return (int32_t)n;
		p = nexus__json_ws(next, end);
		if (p < end && *p == ',')
			p = nexus__json_ws(p + 1, end);
	}
	return NEXUS_ERR_INVALID;
}

/* ---------------------------------------------------------------------------
 * Entry point
 */

/* nexus_handler is the type of a task given to NEXUS_MAIN. */
typedef int (*nexus_handler)(const uint8_t *input, size_t len);

/* nexus_main runs handler on the whole input and returns its result; it is
 * what NEXUS_MAIN's nexus_run calls. It fails the task if the input cannot
 * be allocated. */
static inline int nexus_main(nexus_handler handler)
{
	size_t len = 0;
	uint8_t *input = nexus_input_all(&len);
	if (input == NULL)
		return nexus_fail("nexus: out of memory reading the input");
	int r = handler(input, len);
	free(input);
	return r;
}

#ifdef __cplusplus
}
#endif

#endif /* NEXUS_H */
