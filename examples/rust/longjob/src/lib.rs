//! longjob: a NexusTask task that runs many small steps, reports its
//! progress after each one and checkpoints every 100, so that a durable
//! task resumes where it stopped when it is retried or the server
//! restarts.
//!
//! Its input is the number of steps N in decimal (1000 if the input is
//! empty). Step i folds the eight little-endian bytes of i into a 64-bit
//! FNV-1a hash (offset basis 0xcbf29ce484222325, prime 0x100000001b3);
//! the output is the final hash as 16 lowercase hex digits, the same
//! whether or not the run resumed from a checkpoint.
//!
//! The checkpoint is 24 bytes, three little-endian u64s: N, the number of
//! steps done, and the hash so far. A checkpoint for another N is ignored.

use nexus::{checkpoint, log, Error};

/// The number of steps when the input is empty.
const DEFAULT_STEPS: u64 = 1000;
/// Steps between two checkpoints.
const CHECKPOINT_EVERY: u64 = 100;
/// FNV-1a 64 parameters.
const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

nexus::main!(longjob);

fn longjob(input: &[u8]) -> Result<String, Error> {
    let text = std::str::from_utf8(input).map_err(|_| "input: not a decimal number")?.trim();
    let n = if text.is_empty() {
        DEFAULT_STEPS
    } else {
        text.parse().map_err(|_| "input: not a decimal number")?
    };

    let (mut done, mut hash) = (0, OFFSET_BASIS);
    if let Some(state) = checkpoint::load()? {
        match decode(&state, n) {
            Some(resumed) => {
                (done, hash) = resumed;
                log::info(format!("resuming after step {} of {}", done, n));
            }
            None => log::warn("ignoring a checkpoint of another run"),
        }
    }

    while done < n {
        for b in done.to_le_bytes() {
            hash = (hash ^ b as u64).wrapping_mul(PRIME);
        }
        done += 1;
        nexus::progress(done, n);
        if done % CHECKPOINT_EVERY == 0 {
            checkpoint::save(encode(n, done, hash))?;
        }
    }
    nexus::progress(n, n);
    Ok(format!("{:016x}", hash))
}

/// Encodes a checkpoint: N, the steps done and the hash so far.
fn encode(n: u64, done: u64, hash: u64) -> [u8; 24] {
    let mut state = [0; 24];
    state[..8].copy_from_slice(&n.to_le_bytes());
    state[8..16].copy_from_slice(&done.to_le_bytes());
    state[16..].copy_from_slice(&hash.to_le_bytes());
    state
}

/// Decodes a checkpoint made by a run of n steps into (done, hash).
fn decode(state: &[u8], n: u64) -> Option<(u64, u64)> {
    let word = |i: usize| Some(u64::from_le_bytes(state.get(i * 8..i * 8 + 8)?.try_into().ok()?));
    if state.len() != 24 || word(0)? != n || word(1)? > n {
        return None;
    }
    Some((word(1)?, word(2)?))
}
