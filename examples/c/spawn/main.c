/*
 * spawn: a nexus-v1 task that fans out to child tasks. Its input is lines
 * of text; for each non-empty line it spawns a child task of the module
 * named by the configuration value "child" (default "sha256") with input
 * "1:LINE", then awaits the children in order and writes each one's output
 * on a line of its own. A child that fails fails the task.
 *
 * Build (see examples/c/build.sh):
 *   clang --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor -Os \
 *       -I abi/sdk/c -Wl,--strip-all -o spawn.wasm main.c
 */
#include "nexus.h"

static int fan_out(const uint8_t *input, size_t len)
{
	char *child = NULL;
	size_t child_len;
	if (nexus_config_get_alloc("child", &child, &child_len) != NEXUS_OK)
		child = NULL;
	const char *module = child != NULL ? child : "sha256";

	int32_t *handles = NULL;
	size_t n = 0;
	uint8_t *arg = (uint8_t *)malloc(len + 2);
	if (arg == NULL)
		return nexus_fail("spawn: out of memory");
	for (size_t start = 0; start < len;) {
		size_t end = start;
		while (end < len && input[end] != '\n')
			end++;
		if (end > start) {
			arg[0] = '1';
			arg[1] = ':';
			memcpy(arg + 2, input + start, end - start);
			int32_t h = nexus_spawn(module, arg, end - start + 2, NULL);
			if (h < 0)
				return nexus_failf("spawn: line %zu: %s", n + 1, nexus_strerror(h));
			int32_t *grown = (int32_t *)realloc(handles, (n + 1) * sizeof *handles);
			if (grown == NULL)
				return nexus_fail("spawn: out of memory");
			handles = grown;
			handles[n++] = h;
		}
		start = end + 1;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t *out;
		size_t out_len;
		int r = nexus_await_alloc(handles[i], &out, &out_len);
		if (r != NEXUS_OK)
			return nexus_failf("spawn: line %zu: %s", i + 1, nexus_strerror(r));
		nexus_output(out, out_len);
		nexus_output_str("\n");
		free(out);
	}
	free(arg);
	free(handles);
	free(child);
	return 0;
}

NEXUS_MAIN(fan_out);
