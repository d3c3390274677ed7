//! wordcount: a NexusTask task that counts the words, lines and bytes of
//! its input and lists its five most frequent words, as one line of JSON.
//! For the input "the fox saw the dog\nthe dog ran" it outputs
//!
//! ```text
//! {"words":8,"lines":1,"bytes":31,"top":[["the",3],["dog",2],["fox",1],["ran",1],["saw",1]]}
//! ```
//!
//! - `words` is the number of words: maximal runs of bytes other than the
//!   ASCII whitespace space, `\t`, `\n`, `\v`, `\f` and `\r` (as `wc -w`
//!   counts them), compared byte for byte (case-sensitive);
//! - `lines` is the number of `\n` bytes (as `wc -l` counts them);
//! - `bytes` is the input's length;
//! - `top` holds up to five `[word, count]` pairs, most frequent first,
//!   ties broken by the word in ascending byte order.
//!
//! In words, `"` and `\` are escaped with a backslash and bytes below 0x20
//! as `\u00XX`; every other byte is copied as it is. The wordcount example
//! of every language gives the same output for the same input. The module
//! is declared pure, so the host may cache its results.

use std::collections::BTreeMap;

/// How many words `top` lists.
const TOP: usize = 5;

nexus::pure!();
nexus::main!(wordcount);

fn wordcount(input: &[u8]) -> Result<Vec<u8>, nexus::Error> {
    // A BTreeMap keeps the words in byte order, which breaks ties below.
    let mut counts: BTreeMap<&[u8], u64> = BTreeMap::new();
    let mut words = 0u64;
    for word in input.split(|&b| is_space(b)).filter(|w| !w.is_empty()) {
        words += 1;
        *counts.entry(word).or_insert(0) += 1;
    }
    let lines = input.iter().filter(|&&b| b == b'\n').count();

    let mut top: Vec<(&[u8], u64)> = counts.into_iter().collect();
    // A stable sort keeps the byte order among equal counts.
    top.sort_by(|a, b| b.1.cmp(&a.1));
    top.truncate(TOP);

    let mut json = format!(r#"{{"words":{},"lines":{},"bytes":{},"top":["#, words, lines, input.len()).into_bytes();
    for (i, (word, count)) in top.iter().enumerate() {
        if i > 0 {
            json.push(b',');
        }
        json.push(b'[');
        push_json_string(&mut json, word);
        json.extend_from_slice(format!(",{}]", count).as_bytes());
    }
    json.extend_from_slice(b"]}");
    Ok(json)
}

/// Reports whether b is ASCII whitespace as C's `isspace` defines it.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Appends word to out as a JSON string with the minimal escaping the
/// crate documentation describes.
fn push_json_string(out: &mut Vec<u8>, word: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for &b in word {
        match b {
            b'"' | b'\\' => out.extend_from_slice(&[b'\\', b]),
            0..=0x1f => out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 0xf) as usize]]),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}
