//! Reading the input of a workflow step with several `input_from`
//! sources: a JSON object with one member per source step, the base64 of
//! its output if it succeeded, else an object with its `state` and, when
//! known, `error_code` and `error_message` (`abi/ABI.md`, "Workflow
//! inputs").
//!
//! ```no_run
//! let env = nexus::envelope::parse(&nexus::input())?;
//! let a = env.output("a").ok_or("step a did not succeed")?;
//! # Ok::<(), nexus::Error>(())
//! ```

use crate::error::Error;

/// One source step of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The step succeeded with this output.
    Output(Vec<u8>),
    /// The step did not succeed.
    Failed {
        /// `failed`, `dead`, `canceled` or `skipped`.
        state: String,
        /// The step's error code, if known.
        error_code: Option<String>,
        /// The step's error message, if known.
        error_message: Option<String>,
    },
}

/// A decoded envelope: its source steps, in the order of the input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// Each step id with its source.
    pub sources: Vec<(String, Source)>,
}

impl Envelope {
    /// Returns step `id`'s source, if the envelope has it.
    pub fn get(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|(k, _)| k == id).map(|(_, s)| s)
    }

    /// Returns step `id`'s output if it succeeded.
    pub fn output(&self, id: &str) -> Option<&[u8]> {
        match self.get(id) {
            Some(Source::Output(out)) => Some(out),
            _ => None,
        }
    }
}

/// Decodes an envelope; [`Error::Invalid`] if `input` is not one.
pub fn parse(input: &[u8]) -> Result<Envelope, Error> {
    let mut p = Parser { s: input, i: 0 };
    let env = p.envelope().ok_or(Error::Invalid)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(Error::Invalid);
    }
    Ok(env)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.i..self.i + 4)?;
        self.i += 4;
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    }

    fn string(&mut self) -> Option<String> {
        self.eat(b'"')?;
        let mut out = String::new();
        loop {
            let c = *self.s.get(self.i)?;
            self.i += 1;
            match c {
                b'"' => return Some(out),
                b'\\' => {
                    let e = *self.s.get(self.i)?;
                    self.i += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e as char),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let mut u = self.hex4()?;
                            if (0xD800..0xDC00).contains(&u) && self.s.get(self.i..self.i + 2) == Some(b"\\u") {
                                self.i += 2;
                                let lo = self.hex4()?;
                                u = 0x10000 + ((u - 0xD800) << 10) + (lo.checked_sub(0xDC00)? & 0x3FF);
                            }
                            out.push(char::from_u32(u)?);
                        }
                        _ => return None,
                    }
                }
                c if c < 0x20 => return None,
                _ => {
                    // Copy one UTF-8 sequence whole.
                    let start = self.i - 1;
                    let mut end = self.i;
                    while end < self.s.len() && (self.s[end] & 0xC0) == 0x80 {
                        end += 1;
                    }
                    out.push_str(std::str::from_utf8(&self.s[start..end]).ok()?);
                    self.i = end;
                }
            }
        }
    }

    fn envelope(&mut self) -> Option<Envelope> {
        self.eat(b'{')?;
        let mut env = Envelope::default();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Some(env);
        }
        loop {
            let id = self.string()?;
            self.eat(b':')?;
            let source = match self.peek()? {
                b'"' => Source::Output(base64(&self.string()?)?),
                b'{' => self.failure()?,
                _ => return None,
            };
            env.sources.push((id, source));
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(env);
                }
                _ => return None,
            }
        }
    }

    fn failure(&mut self) -> Option<Source> {
        self.eat(b'{')?;
        let (mut state, mut code, mut message) = (None, None, None);
        if self.peek() == Some(b'}') {
            return None;
        }
        loop {
            let k = self.string()?;
            self.eat(b':')?;
            let v = self.string()?;
            match k.as_str() {
                "state" => state = Some(v),
                "error_code" => code = Some(v),
                "error_message" => message = Some(v),
                _ => {}
            }
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    break;
                }
                _ => return None,
            }
        }
        Some(Source::Failed {
            state: state?,
            error_code: code,
            error_message: message,
        })
    }
}

/// Decodes standard base64 with padding.
fn base64(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if b.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    for (n, chunk) in b.chunks(4).enumerate() {
        let last = n == b.len() / 4 - 1;
        let mut acc = 0u32;
        let mut pad = 0;
        for &c in chunk {
            let d = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                b'=' if last => {
                    pad += 1;
                    0
                }
                _ => return None,
            };
            if pad > 0 && c != b'=' {
                return None;
            }
            acc = acc << 6 | d as u32;
        }
        if pad > 2 {
            return None;
        }
        let bytes = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_envelope() {
        let env = parse(br#" {"a": "aGVsbG8=", "b\u00e9": "", "c": {"state": "failed", "error_code": "trap"}, "d": "aA=="} "#).unwrap();
        assert_eq!(env.output("a"), Some(&b"hello"[..]));
        assert_eq!(env.output("b\u{e9}"), Some(&b""[..]));
        assert_eq!(env.output("d"), Some(&b"h"[..]));
        assert_eq!(env.output("c"), None);
        assert_eq!(
            env.get("c"),
            Some(&Source::Failed { state: "failed".into(), error_code: Some("trap".into()), error_message: None })
        );
        assert!(env.get("x").is_none());
        for bad in [&b"[]"[..], b"{\"a\": 1}", b"{\"a\": \"!!\"}", b"{\"a\": {}}", b"{", b"{} x"] {
            assert_eq!(parse(bad), Err(Error::Invalid), "{:?}", std::str::from_utf8(bad));
        }
    }
}
