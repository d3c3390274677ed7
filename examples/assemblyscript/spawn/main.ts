// spawn: a NexusTask task that fans out to child tasks. Its input is lines
// of text; for each non-empty line it spawns a child task of the module
// named by the configuration value "child" (default "sha256") with input
// "1:LINE", then awaits the children in order and writes each one's output
// on a line of its own. A child that fails fails the task.

import * as nexus from "../../../abi/sdk/assemblyscript/assembly/index";

/** The task's entry point. */
export function nexus_run(): i32 {
  return nexus.run(fanOut);
}

function fanOut(input: Uint8Array): i32 {
  const cfg = nexus.configGet("child");
  const child = cfg.found ? cfg.text() : "sha256";
  const handles = new Array<i32>();
  let start = 0;
  while (start < input.length) {
    let end = start;
    while (end < input.length && input[end] != 0x0a) end++;
    if (end > start) {
      const arg = new Uint8Array(end - start + 2);
      arg[0] = 0x31; // "1:"
      arg[1] = 0x3a;
      arg.set(input.subarray(start, end), 2);
      const h = nexus.spawn(child, arg);
      if (h < 0) return nexus.fail("spawn: line " + (handles.length + 1).toString() + ": " + nexus.describe(h));
      handles.push(h);
    }
    start = end + 1;
  }
  for (let i = 0; i < handles.length; i++) {
    const res = nexus.awaitOutput(handles[i]);
    if (!res.found) return nexus.fail("spawn: line " + (i + 1).toString() + ": " + nexus.describe(res.code));
    nexus.output(res.bytes);
    nexus.output("\n");
  }
  return 0;
}
