//! spawn: a NexusTask task that fans out to child tasks. Its input is
//! lines of text; for each non-empty line it spawns a child task of the
//! module named by the configuration value `child` (default `sha256`) with
//! input `1:LINE`, then awaits the children in order and writes each one's
//! output on a line of its own. A child that fails fails the task.

use nexus::task;
use nexus::Error;

nexus::main!(fan_out);

fn fan_out(input: &[u8]) -> Result<Vec<u8>, Error> {
    let child = nexus::config::get("child")?.unwrap_or_else(|| "sha256".to_string());
    let mut children = Vec::new();
    for line in input.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let mut arg = b"1:".to_vec();
        arg.extend_from_slice(line);
        let h = task::spawn(&child, &arg, None)
            .map_err(|e| Error::new(format!("spawn: line {}: {}", children.len() + 1, e)))?;
        children.push(h);
    }
    let mut out = Vec::new();
    for (i, h) in children.iter().enumerate() {
        let res = task::await_output(*h).map_err(|e| Error::new(format!("spawn: line {}: {}", i + 1, e)))?;
        out.extend_from_slice(&res);
        out.push(b'\n');
    }
    Ok(out)
}
