//! JSON output of one event (nested, dotted or mixed keys) and a small reader that
//! flattens a line into dotted leaves (for [`crate::StreamStats`] and the tests).

use std::borrow::Cow;

use crate::fields::{COUNT, PATHS};
use crate::rng::{fnv1a, mix64};

/// A field's value; text lives in [`Ev::text`], array items in [`Ev::items`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum Val {
    Static(&'static str),
    Text(u32, u32),
    Int(i64),
    Bool(bool),
    Null,
    /// `items[start..start + len]`.
    List(u32, u32),
}

/// One event under construction: a slot per field of the table.
pub(crate) struct Ev {
    pub text: Vec<u8>,
    pub slots: Vec<Option<Val>>,
    pub items: Vec<Val>,
}

impl Ev {
    pub(crate) fn new() -> Self {
        Ev {
            text: Vec::with_capacity(4096),
            slots: vec![None; COUNT],
            items: Vec::with_capacity(256),
        }
    }

    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.items.clear();
        self.slots.iter_mut().for_each(|s| *s = None);
    }

    /// The bytes of a string value (`None` for other values).
    pub(crate) fn str_of(&self, v: Val) -> Option<&[u8]> {
        match v {
            Val::Static(s) => Some(s.as_bytes()),
            Val::Text(a, b) => Some(&self.text[a as usize..b as usize]),
            _ => None,
        }
    }
}

/// How keys are written.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Keys {
    Nested,
    Dotted,
    /// Per subtree, decided by hashing each path prefix with this salt.
    Mixed(u64),
}

/// Per-field key segments and, per boundary between segments, a hash of the prefix
/// below it (for [`Keys::Mixed`]).
pub(crate) struct Layout {
    segs: Vec<Vec<&'static str>>,
    bounds: Vec<Vec<u64>>,
    /// Per field, an id per enclosing object (per path prefix), outermost first.
    objects: Vec<Vec<u16>>,
    /// `"seg":{` per object id.
    open_keys: Vec<Vec<u8>>,
    /// `"leaf":` and `"full.path":` per field.
    leaf_keys: Vec<Vec<u8>>,
    dotted_keys: Vec<Vec<u8>>,
}

impl Layout {
    pub(crate) fn new() -> Self {
        let segs: Vec<Vec<&'static str>> = PATHS.iter().map(|p| p.split('.').collect()).collect();
        let bounds = PATHS
            .iter()
            .zip(&segs)
            .map(|(p, s)| {
                (0..s.len().saturating_sub(1))
                    .map(|j| {
                        let end: usize = s[..=j + 1].iter().map(|x| x.len() + 1).sum::<usize>() - 1;
                        fnv1a(&p.as_bytes()[..end])
                    })
                    .collect()
            })
            .collect();
        let mut prefixes: Vec<String> = Vec::new();
        let objects: Vec<Vec<u16>> = segs
            .iter()
            .map(|s| {
                (1..s.len())
                    .map(|k| {
                        let p = s[..k].join(".");
                        let id = prefixes.iter().position(|q| *q == p).unwrap_or_else(|| {
                            prefixes.push(p);
                            prefixes.len() - 1
                        });
                        id as u16
                    })
                    .collect()
            })
            .collect();
        let open_keys = prefixes
            .iter()
            .map(|p| format!("\"{}\":{{", p.rsplit('.').next().unwrap_or(p)).into_bytes())
            .collect();
        let leaf_keys = segs
            .iter()
            .map(|s| format!("\"{}\":", s[s.len() - 1]).into_bytes())
            .collect();
        let dotted_keys = PATHS
            .iter()
            .map(|p| format!("\"{p}\":").into_bytes())
            .collect();
        Layout {
            segs,
            bounds,
            objects,
            open_keys,
            leaf_keys,
            dotted_keys,
        }
    }

    /// Boundaries of field `f` where a new object starts (bit `j`: between segments `j`
    /// and `j + 1`), decided by `salt`.
    fn splits(&self, f: usize, salt: u64) -> u32 {
        self.bounds[f]
            .iter()
            .enumerate()
            .filter(|(_, h)| mix64(**h ^ salt) & 1 == 1)
            .fold(0, |m, (j, _)| m | 1 << j)
    }
}

/// Last segment index of the key starting at segment `depth` of a field with `segs`
/// segments and split boundaries `splits`.
#[inline]
fn chunk_end(splits: u32, segs: usize, depth: usize) -> usize {
    let rest = splits >> depth;
    if rest == 0 {
        segs - 1
    } else {
        depth + rest.trailing_zeros() as usize
    }
}

/// Writes `ev` as one JSON object (no newline) to `out`.
pub(crate) fn write_event(
    out: &mut Vec<u8>,
    ev: &Ev,
    layout: &Layout,
    keys: Keys,
    escape_unicode: bool,
    scratch: &mut Vec<u16>,
) {
    let w = Writer { ev, escape_unicode };
    match keys {
        Keys::Dotted => {
            out.push(b'{');
            let mut first = true;
            for (f, v) in ev.slots.iter().enumerate() {
                let Some(v) = v else { continue };
                if !first {
                    out.push(b',');
                }
                first = false;
                out.extend_from_slice(&layout.dotted_keys[f]);
                w.value(out, *v);
            }
            out.push(b'}');
        }
        Keys::Nested => {
            out.push(b'{');
            let mut open: &[u16] = &[];
            let mut comma = false;
            for (f, v) in ev.slots.iter().enumerate() {
                let Some(v) = v else { continue };
                let objects = &layout.objects[f][..];
                let common = open.iter().zip(objects).take_while(|(a, b)| a == b).count();
                for _ in common..open.len() {
                    out.push(b'}');
                    comma = true;
                }
                for &o in &objects[common..] {
                    if comma {
                        out.push(b',');
                    }
                    out.extend_from_slice(&layout.open_keys[usize::from(o)]);
                    comma = false;
                }
                if comma {
                    out.push(b',');
                }
                out.extend_from_slice(&layout.leaf_keys[f]);
                w.value(out, *v);
                comma = true;
                open = objects;
            }
            for _ in 0..open.len() {
                out.push(b'}');
            }
            out.push(b'}');
        }
        Keys::Mixed(salt) => {
            scratch.clear();
            scratch.extend(
                ev.slots
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_some())
                    .map(|(f, _)| f as u16),
            );
            let mut splits = [0u32; COUNT];
            for &f in scratch.iter() {
                splits[usize::from(f)] = layout.splits(usize::from(f), salt);
            }
            w.mixed(out, layout, &splits, scratch, 0);
        }
    }
}

struct Writer<'a> {
    ev: &'a Ev,
    escape_unicode: bool,
}

impl Writer<'_> {
    fn value(&self, out: &mut Vec<u8>, v: Val) {
        match v {
            Val::Static(s) => write_str(out, s.as_bytes(), self.escape_unicode),
            Val::Text(a, b) => write_str(
                out,
                &self.ev.text[a as usize..b as usize],
                self.escape_unicode,
            ),
            Val::Int(i) => push_int(out, i),
            Val::Bool(true) => out.extend_from_slice(b"true"),
            Val::Bool(false) => out.extend_from_slice(b"false"),
            Val::Null => out.extend_from_slice(b"null"),
            Val::List(a, n) => {
                out.push(b'[');
                for (k, item) in self.ev.items[a as usize..(a + n) as usize]
                    .iter()
                    .enumerate()
                {
                    if k > 0 {
                        out.push(b',');
                    }
                    self.value(out, *item);
                }
                out.push(b']');
            }
        }
    }

    /// Fields `ids` (in table order, sharing their first `depth` segments) as one object.
    fn mixed(
        &self,
        out: &mut Vec<u8>,
        layout: &Layout,
        splits: &[u32; COUNT],
        ids: &[u16],
        depth: usize,
    ) {
        out.push(b'{');
        let mut done = [false; COUNT];
        let mut group = [0u16; COUNT];
        let mut first = true;
        for i in 0..ids.len() {
            if done[i] {
                continue;
            }
            let fi = usize::from(ids[i]);
            let si = &layout.segs[fi];
            let end = chunk_end(splits[fi], si.len(), depth);
            let chunk = &si[depth..=end];
            let leaf = end == si.len() - 1;
            let mut n = 0;
            if !leaf {
                // Fields under the same object (same prefix through segment `end`)
                // follow each other; those whose key also ends at `end` go in it.
                let object = layout.objects[fi][end];
                for j in i..ids.len() {
                    let fj = usize::from(ids[j]);
                    if layout.objects[fj].get(end) != Some(&object) {
                        break;
                    }
                    let segs = layout.segs[fj].len();
                    if !done[j] && chunk_end(splits[fj], segs, depth) == end {
                        done[j] = true;
                        group[n] = ids[j];
                        n += 1;
                    }
                }
            }
            if !first {
                out.push(b',');
            }
            first = false;
            out.push(b'"');
            for (k, s) in chunk.iter().enumerate() {
                if k > 0 {
                    out.push(b'.');
                }
                out.extend_from_slice(s.as_bytes());
            }
            out.extend_from_slice(b"\":");
            if leaf {
                self.value(out, self.ev.slots[fi].expect("present field"));
            } else {
                self.mixed(out, layout, splits, &group[..n], end + 1);
            }
        }
        out.push(b'}');
    }
}

struct ItoaBuf {
    buf: [u8; 24],
    start: usize,
}

impl ItoaBuf {
    fn as_slice(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

fn itoa_buf(i: i64) -> ItoaBuf {
    let mut buf = [0u8; 24];
    let mut pos = buf.len();
    let neg = i < 0;
    let mut n = i.unsigned_abs();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if neg {
        pos -= 1;
        buf[pos] = b'-';
    }
    ItoaBuf { buf, start: pos }
}

/// Appends the decimal digits of `i`.
pub(crate) fn push_int(out: &mut Vec<u8>, i: i64) {
    out.extend_from_slice(itoa_buf(i).as_slice());
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Bytes that need an escape in a JSON string: 1 always, 2 only with `\u` escaping.
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = if b < 0x20 || b == b'"' as usize || b == b'\\' as usize {
            1
        } else if b >= 0x80 || b == b'/' as usize {
            2
        } else {
            0
        };
        b += 1;
    }
    t
};

/// Whether any byte of `x` is a control character, `"` or `\\` (SWAR).
#[inline]
fn needs_escape(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    // Bytes below 0x20 (ASCII ones only: `!x & HIGH` drops bytes >= 0x80).
    let control = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
    control != 0
        || zero(x ^ (ONES * u64::from(b'"'))) != 0
        || zero(x ^ (ONES * u64::from(b'\\'))) != 0
}

/// `s` (UTF-8) as a JSON string. With `escape_unicode`, non-ASCII characters are written
/// as `\uXXXX` escapes (surrogate pairs above U+FFFF) and `/` as `\/`.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &[u8], escape_unicode: bool) {
    out.push(b'"');
    let limit = if escape_unicode { 2 } else { 1 };
    let mut start = 0;
    let mut i = 0;
    while i < s.len() {
        // Eight bytes at a time while none needs an escape (the common case).
        if !escape_unicode {
            while let Some(chunk) = s.get(i..i + 8) {
                let x = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
                if needs_escape(x) {
                    break;
                }
                i += 8;
            }
            if i >= s.len() {
                break;
            }
        }
        let b = s[i];
        let e = ESCAPE[usize::from(b)];
        if e == 0 || e > limit {
            i += 1;
            continue;
        }
        out.extend_from_slice(&s[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0..=0x1f => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 15)]);
            }
            _ => {
                // A UTF-8 sequence (input is valid UTF-8 by construction).
                let len = if b >= 0xF0 {
                    4
                } else if b >= 0xE0 {
                    3
                } else {
                    2
                };
                let end = (i + len).min(s.len());
                let ch = std::str::from_utf8(&s[i..end])
                    .ok()
                    .and_then(|c| c.chars().next())
                    .unwrap_or('\u{FFFD}');
                let mut units = [0u16; 2];
                for u in ch.encode_utf16(&mut units) {
                    out.extend_from_slice(b"\\u");
                    for shift in [12, 8, 4, 0] {
                        out.push(HEX[usize::from((*u >> shift) & 15)]);
                    }
                }
                i = end;
                start = i;
                continue;
            }
        }
        i += 1;
        start = i;
    }
    out.extend_from_slice(&s[start..]);
    out.push(b'"');
}

/// A scalar leaf of a flattened line.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Scalar<'a> {
    Str(Cow<'a, str>),
    Num(&'a str),
    Bool(bool),
    Null,
    /// An empty array (visited once, with no index).
    EmptyArray,
}

/// Visits every leaf of the JSON object `line` as (dotted path, array index, value).
/// Objects nest into the path (whether keys are nested or dotted); array elements share
/// their array's path. Fails (with the byte offset) on anything but one valid object.
pub(crate) fn walk(
    line: &[u8],
    visit: &mut dyn FnMut(&str, Option<usize>, &Scalar<'_>),
) -> Result<(), usize> {
    let text = std::str::from_utf8(line).map_err(|e| e.valid_up_to())?;
    let mut r = Reader {
        s: line,
        text,
        pos: 0,
        path: String::new(),
    };
    r.ws();
    if r.peek() != Some(b'{') {
        return Err(r.pos);
    }
    r.object(visit)?;
    r.ws();
    if r.pos != line.len() {
        return Err(r.pos);
    }
    Ok(())
}

struct Reader<'a> {
    s: &'a [u8],
    /// `s` as text (validated once).
    text: &'a str,
    pos: usize,
    path: String,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), usize> {
        self.ws();
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.pos)
        }
    }

    fn object(
        &mut self,
        visit: &mut dyn FnMut(&str, Option<usize>, &Scalar<'_>),
    ) -> Result<(), usize> {
        self.expect(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.ws();
            let k = self.string()?;
            self.expect(b':')?;
            let saved = self.path.len();
            if !self.path.is_empty() {
                self.path.push('.');
            }
            self.path.push_str(&k);
            self.value(visit, None)?;
            self.path.truncate(saved);
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.pos),
            }
        }
    }

    fn value(
        &mut self,
        visit: &mut dyn FnMut(&str, Option<usize>, &Scalar<'_>),
        index: Option<usize>,
    ) -> Result<(), usize> {
        self.ws();
        match self.peek().ok_or(self.pos)? {
            b'{' => self.object(visit),
            b'[' => {
                if index.is_some() {
                    return Err(self.pos); // nested arrays: never written
                }
                self.pos += 1;
                self.ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    visit(&self.path, None, &Scalar::EmptyArray);
                    return Ok(());
                }
                let mut k = 0;
                loop {
                    self.value(visit, Some(k))?;
                    k += 1;
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return Err(self.pos),
                    }
                }
            }
            b'"' => {
                let s = self.string()?;
                visit(&self.path, index, &Scalar::Str(s));
                Ok(())
            }
            b't' | b'f' | b'n' => {
                let rest = &self.s[self.pos..];
                let (lit, v) = if rest.starts_with(b"true") {
                    (4, Scalar::Bool(true))
                } else if rest.starts_with(b"false") {
                    (5, Scalar::Bool(false))
                } else if rest.starts_with(b"null") {
                    (4, Scalar::Null)
                } else {
                    return Err(self.pos);
                };
                self.pos += lit;
                visit(&self.path, index, &v);
                Ok(())
            }
            b'-' | b'0'..=b'9' => {
                let start = self.pos;
                while matches!(
                    self.peek(),
                    Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                ) {
                    self.pos += 1;
                }
                let text = self.text.get(start..self.pos).ok_or(start)?;
                if text.parse::<f64>().is_err() {
                    return Err(start);
                }
                visit(&self.path, index, &Scalar::Num(text));
                Ok(())
            }
            _ => Err(self.pos),
        }
    }

    fn string(&mut self) -> Result<Cow<'a, str>, usize> {
        if self.peek() != Some(b'"') {
            return Err(self.pos);
        }
        self.pos += 1;
        let start = self.pos;
        let s: &'a [u8] = self.s;
        // Fast path: no escapes.
        while let Some(&b) = s.get(self.pos) {
            match b {
                b'"' => {
                    let t = self.text.get(start..self.pos).ok_or(start)?;
                    self.pos += 1;
                    return Ok(Cow::Borrowed(t));
                }
                b'\\' => break,
                0..=0x1f => return Err(self.pos),
                _ => self.pos += 1,
            }
        }
        let mut buf: Vec<u8> = s[start..self.pos].to_vec();
        loop {
            let b = *s.get(self.pos).ok_or(self.pos)?;
            self.pos += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    let e = *s.get(self.pos).ok_or(self.pos)?;
                    self.pos += 1;
                    match e {
                        b'"' | b'\\' | b'/' => buf.push(e),
                        b'n' => buf.push(b'\n'),
                        b't' => buf.push(b'\t'),
                        b'r' => buf.push(b'\r'),
                        b'b' => buf.push(8),
                        b'f' => buf.push(12),
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xD800..0xDC00).contains(&cp) {
                                if s.get(self.pos) != Some(&b'\\')
                                    || s.get(self.pos + 1) != Some(&b'u')
                                {
                                    return Err(self.pos);
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.pos);
                                }
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                            }
                            let c = char::from_u32(cp).ok_or(self.pos)?;
                            let mut tmp = [0u8; 4];
                            buf.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
                        }
                        _ => return Err(self.pos - 1),
                    }
                }
                0..=0x1f => return Err(self.pos - 1),
                _ => buf.push(b),
            }
        }
        String::from_utf8(buf).map(Cow::Owned).map_err(|_| start)
    }

    fn hex4(&mut self) -> Result<u32, usize> {
        let h = self.s.get(self.pos..self.pos + 4).ok_or(self.pos)?;
        let t = std::str::from_utf8(h).map_err(|_| self.pos)?;
        let v = u32::from_str_radix(t, 16).map_err(|_| self.pos)?;
        self.pos += 4;
        Ok(v)
    }
}
