//! counter: a NexusTask task that counts in its module's key-value store.
//!
//! It reads the key `count` (a decimal number as ASCII text; absent means
//! 0), adds the configuration value `step` (a decimal number, possibly
//! negative; 1 if not set), stores the sum back under `count` and outputs
//! it in decimal. Its input is ignored.

use nexus::{config, kv, Error};

/// The kv key holding the count.
const KEY: &str = "count";

nexus::main!(counter);

fn counter(_input: &[u8]) -> Result<String, Error> {
    let count = match kv::get(KEY)? {
        Some(value) => parse(&value).ok_or_else(|| format!("kv {}: not a decimal number", KEY))?,
        None => 0,
    };
    let step = match config::get("step")? {
        Some(value) => parse(value.as_bytes()).ok_or("config step: not a decimal number")?,
        None => 1,
    };
    let next = count.checked_add(step).ok_or("counter: overflow")?.to_string();
    kv::set(KEY, &next)?;
    Ok(next)
}

/// Parses a decimal number, allowing surrounding whitespace.
fn parse(text: &[u8]) -> Option<i64> {
    std::str::from_utf8(text).ok()?.trim().parse().ok()
}
