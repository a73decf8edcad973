//! One pass over an NDJSON line that materialises only the fields a rule set reads.
//!
//! [`JsonProjector::project`] reads one line of JSON text and fills a [`Fields`] with the
//! values of every path of a [`FieldTable`], without building a JSON tree: it walks the
//! line's bytes once, follows the table's trie of path segments down the keys that lead
//! somewhere, and only validates everything else.
//!
//! # Contract
//!
//! The projector is a drop-in for `serde_json` + [`JsonEvent`] on the fields of a table:
//!
//! * **Accepts exactly what `serde_json::from_str::<serde_json::Value>` accepts** and whose
//!   top level is an object. The whole line is validated, skipped subtrees included:
//!   JSON syntax, only JSON whitespace (space, `\t`, `\n`, `\r`) around tokens, nothing
//!   but whitespace after the object, at most [`MAX_DEPTH`] nested arrays and objects,
//!   numbers within `f64`'s range (`1e400` is an error, `1e-400` is `0.0`), no control
//!   characters inside strings, only JSON's escapes, and no lone surrogates in `\u`
//!   escapes.
//! * **Gives every slot the values [`JsonEvent`] gives its path** (as a multiset; within a
//!   slot, values come in document order): nested objects and dotted keys merged at every
//!   level, keys unescaped before they are split at dots (`"a\u002eb"` is the key
//!   `a.b`), arrays flattened with nulls dropped, arrays of objects contributing each
//!   element's fields, objects at the end of a path contributing nothing, and a
//!   duplicate key within one object keeping only its last value (as `serde_json`'s map
//!   does). Numbers become [`Value::Int`](crate::value::Value::Int) when they are
//!   integers (no fraction, no exponent) that fit in `i64`, and
//!   [`Value::Float`](crate::value::Value::Float) otherwise (`-0` is `-0.0`, `1E2` is
//!   `100.0`, `18446744073709551616` is `1.8446744073709552e19`), parsed exactly as
//!   `serde_json`'s `float_roundtrip` does.
//! * On an error, `out` is left empty (finished, every slot without values) and the error
//!   says why and where ([`JsonError`]).
//!
//! # Approach
//!
//! A recursive descent over the bytes, bounded by [`MAX_DEPTH`] (so the recursion is
//! too). Every value is scanned with the trie node it sits at, or with none when no table
//! path goes there; with none, nothing is unescaped, converted or looked up, but
//! everything is validated. Keys of an object under a node with children are unescaped
//! (only when they have escapes, into the projector's own buffer) and walked down the
//! trie ([`FieldTable::descend`]); an object under a node without children, or under no
//! node, is only validated.
//!
//! The end of a string (or its next escape, or a control character, which is an error)
//! is searched eight bytes at a time for its first 32 bytes, which is where most keys
//! and values end; past that, `memchr2` finds the next `"` or `\` and the run before it
//! is checked for control characters (measured on an ECS event, `memchr2` from the
//! first byte was slower: its call costs more than short strings take to scan). A
//! string without escapes is added as a byte range of the line (no copy); one with
//! escapes is unescaped into the [`Fields`]' text buffer (`memchr` finds the escapes). Numbers are checked against the grammar while their digits
//! are accumulated; only numbers that might be out of range (an exponent, or more than
//! 308 integer digits) or that are not small integers are parsed as `f64`
//! (`str::parse`, which is exact, like `serde_json`'s `float_roundtrip`).
//!
//! Duplicate keys: each object keeps, for every key that led into the trie, the range of
//! values its value added ([`Fields::mark`]); when the same key comes again (in one
//! object, equal keys are exactly the keys that reach the same trie node) the earlier
//! range is withdrawn ([`Fields::withdraw_range`]).
//!
//! After its buffers (the key buffer, the duplicate bookkeeping, the [`Fields`]) have
//! grown to the largest line seen, projecting allocates nothing.
//!
//! ```
//! use rule_runtime::fields::{FieldTable, Fields};
//! use rule_runtime::json::JsonProjector;
//! use rule_runtime::value::Value;
//!
//! let table = FieldTable::new(["process.name", "process.args"]);
//! let mut projector = JsonProjector::new();
//! let mut fields = Fields::new();
//! let line = r#"{"process":{"name":"cmd.exe","pid":4},"process.args":["/c","d\u0069r"]}"#;
//! projector.project(line, &table, &mut fields).unwrap();
//! let event = fields.view(line);
//! assert_eq!(event.slot(0).to_vec(), vec![Value::from("cmd.exe")]);
//! assert_eq!(event.slot(1).to_vec(), vec![Value::from("/c"), Value::from("dir")]);
//!
//! let err = projector.project(r#"{"a":"\x"}"#, &table, &mut fields).unwrap_err();
//! assert_eq!(err.to_string(), "event is not valid JSON: invalid escape at byte 7");
//! ```
//!
//! [`JsonEvent`]: crate::event::JsonEvent

use std::fmt;

use memchr::{memchr, memchr2};

use crate::fields::{FieldTable, Fields, TrieNode};

/// How deeply arrays and objects may nest (the top-level object counts as one level):
/// `serde_json`'s recursion limit, which accepts 127 levels and rejects 128 (its
/// counter starts at 128 and fails when an opening bracket brings it to zero).
pub const MAX_DEPTH: usize = 127;

/// Why a line is not an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// What is wrong.
    pub kind: JsonErrorKind,
    /// The byte offset in the line where it was found (the start of the top-level value
    /// for [`JsonErrorKind::NotAnObject`], the opening bracket for
    /// [`JsonErrorKind::TooDeep`]).
    pub offset: usize,
}

/// What is wrong with a line (see [`JsonError`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonErrorKind {
    /// The line is not JSON; a short reason (`"expected `:`"`, `"invalid escape"`,
    /// `"control character in string"`, `"lone surrogate"`, `"number out of range"`,
    /// `"trailing characters"`, `"unexpected end"`, …).
    Syntax(&'static str),
    /// The line is JSON but its top level is not an object: `"an array"`, `"a string"`,
    /// `"a number"`, `"a boolean"` or `"null"`.
    NotAnObject(&'static str),
    /// Arrays and objects nest deeper than [`MAX_DEPTH`].
    TooDeep,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            JsonErrorKind::Syntax(reason) => {
                write!(
                    f,
                    "event is not valid JSON: {reason} at byte {}",
                    self.offset
                )
            }
            JsonErrorKind::NotAnObject(found) => {
                write!(f, "event must be a JSON object, found {found}")
            }
            JsonErrorKind::TooDeep => write!(
                f,
                "event nests deeper than {MAX_DEPTH} levels (at byte {})",
                self.offset
            ),
        }
    }
}

impl std::error::Error for JsonError {}

/// Reusable scanner state: a buffer for unescaping keys and the duplicate-key
/// bookkeeping. Allocation-free after warm-up; one per thread (it is cheap).
#[derive(Debug, Clone, Default)]
pub struct JsonProjector {
    /// The current key, when it had escapes.
    key: String,
    /// For every object being walked, its keys that led into the trie so far (a stack
    /// of frames; see [`Scan::object`]).
    members: Vec<Member>,
}

/// A key of an object being walked: the trie node it reached and the values its value
/// added (`start..end` in [`Fields::mark`] terms).
#[derive(Debug, Clone, Copy)]
struct Member {
    node: TrieNode,
    start: usize,
    end: usize,
}

impl JsonProjector {
    /// A projector with empty buffers.
    pub fn new() -> Self {
        JsonProjector::default()
    }

    /// Clears `out`, scans `line` (one JSON text), adds the values of every path of
    /// `table` to `out`, then finishes it ([`Fields::finish`]). Fails, leaving `out`
    /// empty, unless `line` is a JSON object (see the module documentation).
    pub fn project(
        &mut self,
        line: &str,
        table: &FieldTable,
        out: &mut Fields,
    ) -> Result<(), JsonError> {
        out.clear();
        self.members.clear();
        let mut scan = Scan {
            line,
            bytes: line.as_bytes(),
            pos: 0,
            depth: 0,
            table,
            out: &mut *out,
            key: &mut self.key,
            members: &mut self.members,
            error: None,
        };
        let result = match scan.document() {
            Ok(()) => Ok(()),
            Err(Stop) => Err(scan.error.take().unwrap_or(JsonError {
                kind: JsonErrorKind::Syntax("unexpected end"),
                offset: line.len(),
            })),
        };
        if result.is_err() {
            out.withdraw_since(0);
        }
        out.finish(table.len());
        result
    }
}

/// The content of a scanned string: `line[start..end]`, between the quotes.
#[derive(Debug, Clone, Copy)]
struct Str {
    start: usize,
    end: usize,
    escaped: bool,
}

/// A scanned number: `line[start..end]`.
#[derive(Debug, Clone, Copy)]
struct Num {
    start: usize,
    end: usize,
    /// `(negative, magnitude)` for an integer (no fraction, no exponent) of at most 19
    /// digits, which `u64` holds exactly.
    small: Option<(bool, u64)>,
    /// The value, when scanning already had to parse it (to check its range).
    parsed: Option<f64>,
}

/// One scan of one line.
struct Scan<'a, 'p> {
    line: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Arrays and objects open around `pos`.
    depth: usize,
    table: &'p FieldTable,
    out: &'p mut Fields,
    key: &'p mut String,
    members: &'p mut Vec<Member>,
    /// Why the scan stopped (set with [`Stop`]).
    error: Option<JsonError>,
}

/// The scan stopped at an error, which it recorded in [`Scan::error`] (a zero-sized
/// error keeps the hot path's results in registers).
#[derive(Debug)]
struct Stop;

impl Scan<'_, '_> {
    /// The whole line: one object, surrounded by whitespace only. Anything else is
    /// validated before it is rejected as not an object, so a broken line is always a
    /// syntax error.
    fn document(&mut self) -> Result<(), Stop> {
        self.skip_ws();
        let start = self.pos;
        let found = match self.peek() {
            Some(b'{') => None,
            Some(b'[') => Some("an array"),
            Some(b'"') => Some("a string"),
            Some(b't' | b'f') => Some("a boolean"),
            Some(b'n') => Some("null"),
            Some(b'-' | b'0'..=b'9') => Some("a number"),
            _ => return Err(self.syntax(self.pos, "expected a value")),
        };
        let root = self.table.root();
        self.value(found.is_none().then_some(root))?;
        self.skip_ws();
        if self.pos < self.bytes.len() {
            return Err(self.syntax(self.pos, "trailing characters"));
        }
        match found {
            None => Ok(()),
            Some(found) => Err(self.fail(JsonErrorKind::NotAnObject(found), start)),
        }
    }

    /// The value at `pos` (whitespace already skipped), sitting at trie node `node`
    /// (`None`: no table path goes here, only validate it).
    fn value(&mut self, node: Option<TrieNode>) -> Result<(), Stop> {
        match self.peek() {
            Some(b'{') => {
                let walk = node.filter(|&n| self.table.has_children(n));
                self.object(walk)
            }
            Some(b'[') => self.array(node),
            Some(b'"') => {
                let s = self.string()?;
                if let Some(slot) = self.slot(node) {
                    self.push_string(slot, s);
                }
                Ok(())
            }
            Some(b't') => self.literal(b"true", node, Some(true)),
            Some(b'f') => self.literal(b"false", node, Some(false)),
            Some(b'n') => self.literal(b"null", node, None),
            Some(b'-' | b'0'..=b'9') => {
                let n = self.number()?;
                if let Some(slot) = self.slot(node) {
                    self.push_number(slot, n);
                }
                Ok(())
            }
            _ => Err(self.syntax(self.pos, "expected a value")),
        }
    }

    /// The object at `pos`. Under a node (which has children), each key is walked down
    /// the trie from it; under none, the object is only validated.
    ///
    /// Duplicate keys: `members[frame..]` lists this object's keys that reached a trie
    /// node so far with the values they added; a key reaching the same node again (in
    /// one object only an equal key does) withdraws the earlier values, as `serde_json`
    /// keeps a repeated key's last value. Nested objects push their frames above this
    /// one and pop them before returning.
    fn object(&mut self, node: Option<TrieNode>) -> Result<(), Stop> {
        self.enter()?;
        let frame = self.members.len();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(self.syntax(self.pos, "expected a string key"));
            }
            let key = self.string()?;
            let child = match node {
                Some(node) => self.descend(node, key),
                None => None,
            };
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.syntax(self.pos, "expected `:`"));
            }
            self.pos += 1;
            self.skip_ws();
            match child {
                None => self.value(None)?,
                Some(child) => {
                    let start = self.out.mark();
                    self.value(Some(child))?;
                    self.member(frame, child, start);
                }
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws();
                }
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.syntax(self.pos, "expected `,` or `}`")),
            }
        }
        self.members.truncate(frame);
        self.depth -= 1;
        Ok(())
    }

    /// Records that the key reaching `node` added the values since `start`, withdrawing
    /// what an earlier occurrence of the same key in this object added.
    fn member(&mut self, frame: usize, node: TrieNode, start: usize) {
        let end = self.out.mark();
        let open = self.members.get_mut(frame..).unwrap_or_default();
        if let Some(earlier) = open.iter_mut().find(|m| m.node == node) {
            self.out.withdraw_range(earlier.start, earlier.end);
            earlier.start = start;
            earlier.end = end;
        } else if end > start {
            self.members.push(Member { node, start, end });
        }
    }

    /// The node `key` (of an object at `node`) leads to, if any table path goes there.
    fn descend(&mut self, node: TrieNode, key: Str) -> Option<TrieNode> {
        if key.escaped {
            self.key.clear();
            unescape_into(self.line, key.start, key.end, self.key);
            self.table.descend(node, self.key)
        } else {
            self.table
                .descend(node, self.line.get(key.start..key.end).unwrap_or_default())
        }
    }

    /// The array at `pos`: every element sits at `node` too (nested arrays are
    /// flattened, objects in arrays contribute their fields below `node`).
    fn array(&mut self, node: Option<TrieNode>) -> Result<(), Stop> {
        self.enter()?;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            self.value(node)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws();
                }
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.syntax(self.pos, "expected `,` or `]`")),
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// Steps over an opening bracket, one level deeper.
    fn enter(&mut self) -> Result<(), Stop> {
        if self.depth >= MAX_DEPTH {
            return Err(self.fail(JsonErrorKind::TooDeep, self.pos));
        }
        self.depth += 1;
        self.pos += 1;
        Ok(())
    }

    /// The string at `pos` (its opening quote), validated; `pos` ends after its closing
    /// quote.
    fn string(&mut self) -> Result<Str, Stop> {
        let start = self.pos + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            let rest = self.bytes.get(i..).unwrap_or_default();
            let Some(k) = find_special(rest) else {
                return Err(self.syntax(self.bytes.len(), "unexpected end"));
            };
            i += k;
            match rest.get(k) {
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(Str {
                        start,
                        end: i,
                        escaped,
                    });
                }
                Some(b'\\') => {
                    escaped = true;
                    i = self.escape(i)?;
                }
                _ => return Err(self.syntax(i, "control character in string")),
            }
        }
    }

    /// Validates the escape whose backslash is at `i`; returns the offset after it. A
    /// `\u` escape of a high surrogate must be followed by one of a low surrogate.
    fn escape(&mut self, i: usize) -> Result<usize, Stop> {
        match self.bytes.get(i + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(i + 2),
            Some(b'u') => match self.hex4(i + 2)? {
                0xD800..=0xDBFF => {
                    if self.bytes.get(i + 6) == Some(&b'\\') && self.bytes.get(i + 7) == Some(&b'u')
                    {
                        if let 0xDC00..=0xDFFF = self.hex4(i + 8)? {
                            return Ok(i + 12);
                        }
                    }
                    Err(self.syntax(i, "lone surrogate"))
                }
                0xDC00..=0xDFFF => Err(self.syntax(i, "lone surrogate")),
                _ => Ok(i + 6),
            },
            _ => Err(self.syntax(i + 1, "invalid escape")),
        }
    }

    /// The four hex digits of a `\u` escape at `at`.
    fn hex4(&mut self, at: usize) -> Result<u32, Stop> {
        match self.bytes.get(at..at + 4) {
            None => Err(self.syntax(self.bytes.len(), "unexpected end")),
            Some(digits) => hex4(digits).ok_or_else(|| self.syntax(at, "invalid escape")),
        }
    }

    /// The number at `pos`, checked against JSON's grammar (`-`? `0` or a non-zero digit
    /// and digits, then `.` and digits?, then `e`/`E`, a sign? and digits?) and against
    /// `f64`'s range.
    fn number(&mut self) -> Result<Num, Stop> {
        let b = self.bytes;
        let start = self.pos;
        let mut i = start;
        let negative = b.get(i) == Some(&b'-');
        if negative {
            i += 1;
        }
        let int_start = i;
        let mut magnitude: u64 = 0;
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while let Some(&d @ b'0'..=b'9') = b.get(i) {
                    magnitude = magnitude.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
                    i += 1;
                }
            }
            _ => return Err(self.syntax(i, "invalid number")),
        }
        let int_digits = i - int_start;
        let mut integer = true;
        if b.get(i) == Some(&b'.') {
            integer = false;
            i = self.digits(i + 1)?;
        }
        let mut exponent = false;
        if let Some(b'e' | b'E') = b.get(i) {
            integer = false;
            exponent = true;
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            i = self.digits(i)?;
        }
        self.pos = i;
        if integer && int_digits <= 19 {
            return Ok(Num {
                start,
                end: i,
                small: Some((negative, magnitude)),
                parsed: None,
            });
        }
        // Without an exponent, fewer than 309 integer digits stay below 1e308 < f64::MAX;
        // anything else may be out of range, which serde_json rejects.
        let mut parsed = None;
        if exponent || int_digits > 308 {
            let f = parse_f64(self.line, start, i);
            if f.is_infinite() {
                return Err(self.syntax(start, "number out of range"));
            }
            parsed = Some(f);
        }
        Ok(Num {
            start,
            end: i,
            small: None,
            parsed,
        })
    }

    /// One or more digits from `i`; returns the offset after them.
    fn digits(&mut self, mut i: usize) -> Result<usize, Stop> {
        let first = i;
        while let Some(b'0'..=b'9') = self.bytes.get(i) {
            i += 1;
        }
        if i == first {
            return Err(self.syntax(i, "invalid number"));
        }
        Ok(i)
    }

    /// `true`, `false` or `null` at `pos`; adds the boolean to `node`'s slot.
    fn literal(
        &mut self,
        word: &[u8],
        node: Option<TrieNode>,
        value: Option<bool>,
    ) -> Result<(), Stop> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        if !rest.starts_with(word) {
            let at = word.iter().zip(rest).position(|(w, r)| w != r);
            let at = at.map_or(self.bytes.len(), |k| self.pos + k);
            return Err(self.syntax(at, "invalid literal"));
        }
        self.pos += word.len();
        if let (Some(b), Some(slot)) = (value, self.slot(node)) {
            self.out.push_bool(slot, b);
        }
        Ok(())
    }

    /// Adds a scanned string to `slot`: borrowed from the line, or unescaped into the
    /// `Fields`' text buffer.
    fn push_string(&mut self, slot: usize, s: Str) {
        if s.escaped {
            let text = self.out.text_mut();
            let from = text.len();
            unescape_into(self.line, s.start, s.end, text);
            let to = text.len();
            self.out.push_own_str(slot, from, to);
        } else {
            self.out.push_line_str(slot, s.start, s.end);
        }
    }

    /// Adds a scanned number to `slot`: an `Int` for an integer that fits in `i64`, a
    /// `Float` for anything else, as `serde_json` (and `event.rs`'s `number_value`) do.
    fn push_number(&mut self, slot: usize, n: Num) {
        match n.small {
            // serde_json reads `-0` as the float -0.0.
            Some((true, 0)) => self.out.push_float(slot, -0.0),
            Some((false, m)) if m <= i64::MAX as u64 => self.out.push_int(slot, m as i64),
            // Down to i64::MIN, whose magnitude is 2^63.
            Some((true, m)) if m <= 1 << 63 => self.out.push_int(slot, (m as i64).wrapping_neg()),
            // `as` rounds to nearest, as exactly as parsing the digits would.
            Some((false, m)) => self.out.push_float(slot, m as f64),
            Some((true, m)) => self.out.push_float(slot, -(m as f64)),
            None => {
                let f = n
                    .parsed
                    .unwrap_or_else(|| parse_f64(self.line, n.start, n.end));
                self.out.push_float(slot, f);
            }
        }
    }

    /// The slot of `node`, if a table path ends there.
    #[inline]
    fn slot(&self, node: Option<TrieNode>) -> Option<usize> {
        node.and_then(|n| self.table.slot_at(n))
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Skips JSON whitespace (space, `\t`, `\n`, `\r`; nothing else).
    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// A syntax error at `at` ("unexpected end" when the line ended there).
    #[cold]
    fn syntax(&mut self, at: usize, reason: &'static str) -> Stop {
        let len = self.bytes.len();
        let reason = if at >= len { "unexpected end" } else { reason };
        self.fail(JsonErrorKind::Syntax(reason), at.min(len))
    }

    /// Records why the scan stops.
    #[cold]
    fn fail(&mut self, kind: JsonErrorKind, offset: usize) -> Stop {
        self.error = Some(JsonError { kind, offset });
        Stop
    }
}

/// The offset of the first `"`, `\` or control character (below 0x20) in `bytes` (the
/// rest of the line from inside a string).
///
/// Most strings (keys, names) are short: their first 32 bytes are searched eight at a
/// time, where a byte equal to `c` is a zero byte of `x ^ c`, and "has a byte less than
/// n" is `(x - n) & !x & 0x80` per byte (exact for n ≤ 128: a borrow only propagates out
/// of a byte that is itself below n, so the lowest flagged byte is a true one). Past
/// that, `memchr2` finds the next `"` or `\` (vectorised) and the run before it is
/// checked for control characters.
#[inline]
fn find_special(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const QUOTE: u64 = ONES * b'"' as u64;
    const BACKSLASH: u64 = ONES * b'\\' as u64;
    const CONTROL: u64 = ONES * 0x20;
    let mut i = 0;
    while i < 32 {
        let Some(Ok(chunk)) = bytes.get(i..i + 8).map(<[u8; 8]>::try_from) else {
            // The line ends within eight bytes.
            let tail = bytes.get(i..)?;
            return tail
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .map(|k| i + k);
        };
        let x = u64::from_le_bytes(chunk);
        let (q, b) = (x ^ QUOTE, x ^ BACKSLASH);
        let hits =
            (q.wrapping_sub(ONES) & !q | b.wrapping_sub(ONES) & !b | x.wrapping_sub(CONTROL) & !x)
                & HIGH;
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let rest = bytes.get(i..)?;
    let end = memchr2(b'"', b'\\', rest);
    let run = rest.get(..end.unwrap_or(rest.len()))?;
    let control = if has_control(run) {
        run.iter().position(|&c| c < 0x20)
    } else {
        None
    };
    control.or(end).map(|k| i + k)
}

/// Whether `run` has a byte below 0x20 (a control character, which JSON strings must
/// escape), 32 bytes at a time (a loop the compiler vectorises).
#[inline]
fn has_control(run: &[u8]) -> bool {
    let mut chunks = run.chunks_exact(32);
    for chunk in &mut chunks {
        if chunk.iter().fold(false, |any, &b| any | (b < 0x20)) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| b < 0x20)
}

/// The value of four hex digits (either case).
fn hex4(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |acc, &d| {
        let h = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            b'A'..=b'F' => d - b'A' + 10,
            _ => return None,
        };
        Some(acc << 4 | u32::from(h))
    })
}

/// `line[start..end]` as an `f64` (the text is a JSON number, which `str::parse` reads
/// exactly; it cannot fail, and a failure would read as 0).
fn parse_f64(line: &str, start: usize, end: usize) -> f64 {
    line.get(start..end)
        .and_then(|t| t.parse().ok())
        .unwrap_or(0.0)
}

/// Appends the unescaped content of the (validated) JSON string `line[start..end]` to
/// `dst`. Runs between escapes are copied whole; they start and end next to ASCII
/// bytes, so they are always whole characters.
fn unescape_into(line: &str, start: usize, end: usize, dst: &mut String) {
    let bytes = line.as_bytes();
    // Unescaped text is never longer than its escaped form.
    dst.reserve(end.saturating_sub(start));
    let mut run = start;
    let mut i = start;
    while let Some(k) = bytes.get(i..end).and_then(|rest| memchr(b'\\', rest)) {
        i += k;
        dst.push_str(line.get(run..i).unwrap_or_default());
        let (c, len) = unescape_one(bytes, i);
        dst.push(c);
        i += len;
        run = i;
    }
    dst.push_str(line.get(run..end).unwrap_or_default());
}

/// The character of the (validated) escape whose backslash is at `i`, and the escape's
/// length in bytes. Defensive on malformed input (U+FFFD), never panics.
fn unescape_one(bytes: &[u8], i: usize) -> (char, usize) {
    let unit = |at: usize| bytes.get(at..at + 4).and_then(hex4).unwrap_or(0xFFFD);
    match bytes.get(i + 1) {
        Some(b'b') => ('\u{8}', 2),
        Some(b'f') => ('\u{c}', 2),
        Some(b'n') => ('\n', 2),
        Some(b'r') => ('\r', 2),
        Some(b't') => ('\t', 2),
        Some(b'u') => {
            let high = unit(i + 2);
            if (0xD800..0xDC00).contains(&high) {
                let low = unit(i + 8).wrapping_sub(0xDC00) & 0x3FF;
                let c = 0x1_0000 + ((high - 0xD800) << 10) + low;
                (char::from_u32(c).unwrap_or('\u{FFFD}'), 12)
            } else {
                (char::from_u32(high).unwrap_or('\u{FFFD}'), 6)
            }
        }
        // `"`, `\`, `/`.
        Some(&c) => (char::from(c), 2),
        None => ('\u{FFFD}', 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, EventError, JsonEvent};
    use crate::value::Value;

    /// A value comparable as a multiset member (floats by bits, so `-0.0 != 0.0`).
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    enum V {
        Bool(bool),
        Int(i64),
        Float(u64),
        Str(String),
    }

    fn v(x: Value<'_>) -> V {
        match x {
            Value::Null => panic!("a slot holds a null"),
            Value::Bool(b) => V::Bool(b),
            Value::Int(i) => V::Int(i),
            Value::Float(f) => V::Float(f.to_bits()),
            Value::Str(s) => V::Str(s.into_owned()),
        }
    }

    /// Projects `line` onto `paths` and checks every slot against `JsonEvent` (which must
    /// accept the line); returns the slots' values in document order.
    fn project(line: &str, paths: &[&str]) -> Vec<Vec<V>> {
        let table = FieldTable::new(paths.iter().copied());
        let mut p = JsonProjector::new();
        let mut out = Fields::new();
        // A dirty start: state from an earlier line must not leak.
        let _ = p.project(
            r#"{"a":[1,"x\n",{"b":2}],"a.b":true,"c":{"a":1}}"#,
            &table,
            &mut out,
        );
        if let Err(e) = p.project(line, &table, &mut out) {
            panic!("{line}: {e}");
        }
        let event = JsonEvent::parse(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        let view = out.view(line);
        (0..table.len())
            .map(|slot| {
                let ours: Vec<V> = view.slot(slot).iter().map(v).collect();
                let mut theirs = Vec::new();
                event.values(paths[slot], &mut theirs);
                let mut a = ours.clone();
                let mut b: Vec<V> = theirs.into_iter().map(v).collect();
                a.sort();
                b.sort();
                assert_eq!(a, b, "{line} at {}", paths[slot]);
                ours
            })
            .collect()
    }

    fn reject(line: &str) -> JsonError {
        let table = FieldTable::new(["a", "a.b"]);
        let mut out = Fields::new();
        let err = match JsonProjector::new().project(line, &table, &mut out) {
            Ok(()) => panic!("{line:?} accepted"),
            Err(e) => e,
        };
        assert!(out.is_empty());
        match (JsonEvent::parse(line), err.kind) {
            (Ok(_), _) => panic!("{line:?}: serde_json accepts it, we said {err}"),
            (Err(EventError::NotAnObject { found }), JsonErrorKind::NotAnObject(ours)) => {
                assert_eq!(found, ours, "{line:?}")
            }
            (Err(EventError::Syntax { message, .. }), JsonErrorKind::TooDeep) => {
                assert!(message.contains("recursion limit"), "{line:?}: {message}")
            }
            (Err(EventError::Syntax { message, .. }), JsonErrorKind::Syntax(_)) => {
                assert!(!message.contains("recursion limit"), "{line:?}: {message}")
            }
            (Err(theirs), _) => panic!("{line:?}: serde_json says {theirs}, we say {err}"),
        }
        err
    }

    fn s(x: &str) -> V {
        V::Str(x.to_owned())
    }

    #[test]
    fn nested_dotted_and_mixed_keys() {
        let slots = project(
            r#"{"a":{"b":{"c":1},"b.c":2},"a.b":{"c":3},"a.b.c":4,"x":{"a":{"b":{"c":9}}}}"#,
            &["a.b.c", "a.b", "a", "x.a"],
        );
        assert_eq!(slots[0], [V::Int(1), V::Int(2), V::Int(3), V::Int(4)]);
        // Objects at the end of a path contribute nothing.
        assert!(slots[1].is_empty() && slots[2].is_empty() && slots[3].is_empty());
        project(r#"{"a":{"b.c":1},"a.b":{"c":2}}"#, &["a.b.c"]);
        project(
            r#"{"":{"":1},".":2,"a.":{"b":3},"a":{".b":4}}"#,
            &["", ".", "..", "a..b"],
        );
    }

    #[test]
    fn keys_with_escapes_are_unescaped_before_splitting() {
        let slots = project(
            r#"{"a\u002eb":1,"\u0061":{"\u0062":2},"a\\b":3,"a\"b":4,"\/":5}"#,
            &["a.b", "a\\b", "a\"b", "/"],
        );
        assert_eq!(slots[0], [V::Int(1), V::Int(2)]);
        assert_eq!(slots[1], [V::Int(3)]);
        assert_eq!(slots[2], [V::Int(4)]);
        assert_eq!(slots[3], [V::Int(5)]);
    }

    #[test]
    fn arrays_flatten_drop_nulls_and_reach_into_objects() {
        let slots = project(
            r#"{"a":[1,[2,[3,null]],null,"x",true,{"b":5},[{"b":[6,null,[7]]}]],"e":[],"n":null,"m":[null,[null]]}"#,
            &["a", "a.b", "e", "n", "m"],
        );
        assert_eq!(
            slots[0],
            [V::Int(1), V::Int(2), V::Int(3), s("x"), V::Bool(true)]
        );
        assert_eq!(slots[1], [V::Int(5), V::Int(6), V::Int(7)]);
        assert!(slots[2..].iter().all(Vec::is_empty));
    }

    #[test]
    fn duplicate_keys_keep_the_last_value() {
        let slots = project(r#"{"a":1,"b":2,"a":3}"#, &["a", "b"]);
        assert_eq!(slots, [vec![V::Int(3)], vec![V::Int(2)]]);
        let slots = project(r#"{"a":{"b":1},"a":{"c":2}}"#, &["a.b", "a.c"]);
        assert_eq!(slots, [vec![], vec![V::Int(2)]]);
        // Different keys, both kept.
        let slots = project(r#"{"a":{"b":1},"a.b":2}"#, &["a.b"]);
        assert_eq!(slots, [vec![V::Int(1), V::Int(2)]]);
        let slots = project(r#"{"a":1,"a.b":2}"#, &["a", "a.b"]);
        assert_eq!(slots, [vec![V::Int(1)], vec![V::Int(2)]]);
        // Equal after unescaping; a third occurrence; an empty repeat; nested repeats.
        let slots = project(
            r#"{"a":[1,2],"\u0061":[3],"a":4,"b":1,"b":null}"#,
            &["a", "b"],
        );
        assert_eq!(slots, [vec![V::Int(4)], vec![]]);
        let slots = project(
            r#"{"a":{"b":1,"b":2,"c":[{"b":3,"b":4}]},"x":0,"a":{"b":5,"b":6,"c":{"b":7}}}"#,
            &["a.b", "a.c.b", "x"],
        );
        assert_eq!(slots, [vec![V::Int(6)], vec![V::Int(7)], vec![V::Int(0)]]);
        // Repeats in different elements of an array are different objects.
        let slots = project(r#"{"a":[{"b":1},{"b":2}]}"#, &["a.b"]);
        assert_eq!(slots, [vec![V::Int(1), V::Int(2)]]);
    }

    #[test]
    fn numbers_at_the_edges() {
        let cases = [
            ("0", V::Int(0)),
            ("-0", V::Float((-0.0f64).to_bits())),
            ("-0.0", V::Float((-0.0f64).to_bits())),
            ("0.0", V::Float(0.0f64.to_bits())),
            ("1.0", V::Float(1.0f64.to_bits())),
            ("1E2", V::Float(100.0f64.to_bits())),
            ("1e+2", V::Float(100.0f64.to_bits())),
            ("9223372036854775807", V::Int(i64::MAX)),
            ("9223372036854775808", V::Float(2f64.powi(63).to_bits())),
            ("-9223372036854775808", V::Int(i64::MIN)),
            (
                "-9223372036854775809",
                V::Float((-(2f64.powi(63))).to_bits()),
            ),
            (
                "18446744073709551615",
                V::Float(1.8446744073709552e19f64.to_bits()),
            ),
            (
                "18446744073709551616",
                V::Float(1.8446744073709552e19f64.to_bits()),
            ),
            (
                "-18446744073709551616",
                V::Float((-1.8446744073709552e19f64).to_bits()),
            ),
            ("1e-400", V::Float(0.0f64.to_bits())),
            ("-1e-400", V::Float((-0.0f64).to_bits())),
            ("0e999999999999", V::Float(0.0f64.to_bits())),
            ("1e-99999999999", V::Float(0.0f64.to_bits())),
            ("1.7976931348623158e308", V::Float(f64::MAX.to_bits())),
            ("4.9e-324", V::Float(5e-324f64.to_bits())),
            ("0.1", V::Float(0.1f64.to_bits())),
        ];
        for (text, want) in cases {
            let line = format!(r#"{{"a":{text},"b":[{text}]}}"#);
            assert_eq!(project(&line, &["a"]), [vec![want.clone()]], "{text}");
        }
        let big = format!("1{}", "0".repeat(308));
        project(&format!(r#"{{"a":{big}, "b":{big}.5}}"#), &["a", "b"]);
        for bad in [
            "1e400",
            "-1e400",
            "1.7976931348623159e308",
            "1e999999999999",
            &format!("1{}", "0".repeat(309)),
            &format!("{}e308", "9".repeat(2)),
        ] {
            // Rejected even in a skipped subtree.
            let e = reject(&format!(r#"{{"z":[{bad}]}}"#));
            assert_eq!(
                e.kind,
                JsonErrorKind::Syntax("number out of range"),
                "{bad}"
            );
        }
        for bad in [
            "01", "-01", "1.", ".5", "-", "+1", "1e", "1e+", "1.e5", "0x10", "NaN", "Infinity",
            "1_0", "--1",
        ] {
            reject(&format!(r#"{{"z":{bad}}}"#));
        }
    }

    #[test]
    fn strings_with_escapes() {
        let line = r#"{"a":["plain","q\"b\\s\/b\bf\fn\nr\rt\t","\u00e9\u00C9\ud83d\ude00 €","é😀","\u0000"],"b":"C:\\Windows\\x"}"#;
        let slots = project(line, &["a", "b"]);
        assert_eq!(
            slots[0],
            [
                s("plain"),
                s("q\"b\\s/b\u{8}f\u{c}n\nr\rt\t"),
                s("éÉ😀 €"),
                s("é😀"),
                s("\0"),
            ]
        );
        assert_eq!(slots[1], [s("C:\\Windows\\x")]);
        // Strings without escapes are borrowed from the line.
        let table = FieldTable::new(["a"]);
        let mut out = Fields::new();
        JsonProjector::new()
            .project(r#"{"a":"xyz"}"#, &table, &mut out)
            .unwrap();
        assert_eq!(out.text_mut().len(), 0);
    }

    #[test]
    fn rejects_what_serde_json_rejects() {
        for (line, reason) in [
            (r#"{"a":"\x"}"#, "invalid escape"),
            (r#"{"z":"\x"}"#, "invalid escape"),
            (r#"{"z":"\u12g4"}"#, "invalid escape"),
            (r#"{"z":"\U1234"}"#, "invalid escape"),
            (r#"{"a":"\ud800"}"#, "lone surrogate"),
            (r#"{"z":"\udc00"}"#, "lone surrogate"),
            (r#"{"z":"\ud800\u0041"}"#, "lone surrogate"),
            (r#"{"z":"\ud800\ud800"}"#, "lone surrogate"),
            (r#"{"z":"\ud800\n"}"#, "lone surrogate"),
            (r#"{"\ud800":1}"#, "lone surrogate"),
            ("{\"z\":\"a\tb\"}", "control character in string"),
            ("{\"z\u{1}\":1}", "control character in string"),
            (r#"{"z":1} x"#, "trailing characters"),
            (r#"{"z":1}{}"#, "trailing characters"),
            ("{\"z\":1}\u{a0}", "trailing characters"),
            ("{\"z\":1}\u{c}", "trailing characters"),
            ("\u{feff}{}", "expected a value"),
            ("{\u{c}}", "expected a string key"),
            (r#"{"z" 1}"#, "expected `:`"),
            (r#"{"z":1,}"#, "expected a string key"),
            (r#"{"z":[1,]}"#, "expected a value"),
            (r#"{"z":[1 2]}"#, "expected `,` or `]`"),
            (r#"{"z":1 "y":2}"#, "expected `,` or `}`"),
            (r#"{z:1}"#, "expected a string key"),
            (r#"{"z":tru}"#, "invalid literal"),
            (r#"{"z":nul"#, "unexpected end"),
            (r#"{"z":"abc"#, "unexpected end"),
            (r#"{"z":"\u12"#, "unexpected end"),
            (r#"{"z":"#, "unexpected end"),
            ("", "unexpected end"),
            ("   ", "unexpected end"),
            (r#"{"z":'x'}"#, "expected a value"),
        ] {
            let e = reject(line);
            assert_eq!(e.kind, JsonErrorKind::Syntax(reason), "{line:?}");
        }
        let e = reject(r#"{"a":"\x"}"#);
        assert_eq!(e.offset, 7);
        assert_eq!(
            e.to_string(),
            "event is not valid JSON: invalid escape at byte 7"
        );
    }

    #[test]
    fn top_level_must_be_an_object() {
        for (line, found) in [
            ("[1]", "an array"),
            (" \"x\" ", "a string"),
            ("1", "a number"),
            ("-0.5e3", "a number"),
            ("true", "a boolean"),
            ("false", "a boolean"),
            ("null", "null"),
        ] {
            let e = reject(line);
            assert_eq!(e.kind, JsonErrorKind::NotAnObject(found), "{line}");
        }
        let e = reject("  [1]");
        assert_eq!(e.to_string(), "event must be a JSON object, found an array");
        assert_eq!(e.offset, 2);
        // Broken JSON is a syntax error, whatever its top level.
        for line in ["[1,", "[1] x", "\"x", "1e400", "tru"] {
            assert!(
                matches!(reject(line).kind, JsonErrorKind::Syntax(_)),
                "{line}"
            );
        }
    }

    #[test]
    fn max_depth_is_serde_jsons() {
        for depth in [MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, MAX_DEPTH + 5] {
            let arrays = format!(
                "{{\"a\":{}1{}}}",
                "[".repeat(depth - 1),
                "]".repeat(depth - 1)
            );
            let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
            let mixed = format!(
                "{}1{}",
                "{\"a\":[".repeat(depth / 2),
                "]}".repeat(depth / 2)
            );
            for (line, levels) in [(arrays, depth), (objects, depth), (mixed, depth / 2 * 2)] {
                if levels <= MAX_DEPTH {
                    project(&line, &["a", "a.a"]);
                } else {
                    let e = reject(&line);
                    assert_eq!(e.kind, JsonErrorKind::TooDeep);
                    assert!(e
                        .to_string()
                        .starts_with("event nests deeper than 127 levels"));
                }
            }
        }
        // Deep nesting inside skipped subtrees counts too, and arrays at depth reach the
        // slot.
        let deep = format!(
            "{{\"z\":{}{}}}",
            "[".repeat(MAX_DEPTH),
            "]".repeat(MAX_DEPTH)
        );
        assert_eq!(reject(&deep).kind, JsonErrorKind::TooDeep);
        let line = format!(
            "{{\"a\":{}7{}}}",
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        assert_eq!(project(&line, &["a"]), [vec![V::Int(7)]]);
    }

    #[test]
    fn whitespace_is_json_whitespace() {
        let slots = project(
            " \t\r\n{ \"a\" :\n[ 1 ,\t2 ] , \"b\":{ } }\r\n",
            &["a", "b"],
        );
        assert_eq!(slots[0], [V::Int(1), V::Int(2)]);
        project("{}", &["a"]);
        project("{ }", &[]);
        project(r#"{"a":{}}"#, &[]);
    }

    #[test]
    fn special_byte_search() {
        let naive = |b: &[u8]| b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
        for len in 0..90 {
            assert_eq!(find_special(&vec![b'a'; len]), None);
            for at in 0..len {
                for byte in [
                    b'"', b'\\', 0, 0x1f, 0x20, b'!', b'#', b'[', b']', 0x7f, 0x80, 0xff,
                ] {
                    let mut run = vec![b'a'; len];
                    run[at] = byte;
                    assert_eq!(find_special(&run), naive(&run), "{len} {at} {byte}");
                    // A second special byte later on does not matter.
                    if at + 3 < len {
                        run[at + 3] = b'"';
                        assert_eq!(find_special(&run), naive(&run), "{len} {at} {byte}");
                    }
                }
            }
        }
    }

    #[test]
    fn control_byte_detection() {
        for len in 0..40 {
            for at in 0..len {
                for byte in [0u8, 0x1f, 0x20, 0x7f, 0x80, 0xff] {
                    let mut run = vec![b'a'; len];
                    run[at] = byte;
                    assert_eq!(has_control(&run), byte < 0x20, "{len} {at} {byte}");
                }
            }
        }
    }
}
