//! sha256: a CPU-heavy NexusTask task. Its input is `R:text`, a decimal
//! repeat count R, a colon and then any bytes; its output is the SHA-256
//! of the text repeated R times, as 64 lowercase hex digits.
//!
//! SHA-256 is implemented in plain Rust (module `sha256`), with no
//! dependencies. The module is declared pure, so the host may cache its
//! results.

mod sha256;

use std::fmt::Write;

use nexus::Error;

nexus::pure!();
nexus::main!(digest);

fn digest(input: &[u8]) -> Result<String, Error> {
    let colon = input.iter().position(|&b| b == b':').ok_or("input: want R:text")?;
    let repeat: u64 = std::str::from_utf8(&input[..colon])
        .ok()
        .and_then(|r| r.trim().parse().ok())
        .ok_or("input: R must be a decimal number")?;
    let text = &input[colon + 1..];

    let mut h = sha256::Sha256::new();
    for _ in 0..repeat {
        h.update(text);
    }
    let mut hex = String::with_capacity(64);
    for b in h.finish() {
        let _ = write!(hex, "{:02x}", b);
    }
    Ok(hex)
}
