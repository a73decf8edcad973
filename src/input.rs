//! The inputs `eqlc scan` reads: files, folders (recursively: `*.ndjson`, `*.jsonl`,
//! `*.json`, each optionally `.gz` or `.zst`), and standard input (`-`); gzip and zstd
//! recognised by their magic bytes whatever the name; and in each, one of three shapes:
//!
//! * **NDJSON** (one event per line; the usual case): streamed, never held whole;
//! * **a JSON array of events** (`[{…}, {…}]`), or **an Elasticsearch `_search`
//!   response** (`{"hits": {"hits": [{"_source": {…}}, …]}}`): parsed whole, each event
//!   written back as one line;
//! * **an Elasticsearch export as NDJSON of hits** (`{"_index": …, "_source": {…}}` per
//!   line, as `elasticdump` writes): each line's `_source` is the event.
//!
//! The shape is decided from the start of the (decompressed) data: a first line that is
//! a complete JSON object is NDJSON (of hits when it has `_index` and `_source`, a
//! `_search` response when it has `hits.hits`); anything else starting with `[` or `{`
//! is one JSON document.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

/// The extensions a folder is searched for (before a `.gz`/`.zst`).
pub const EVENT_EXTENSIONS: &[&str] = &["ndjson", "jsonl", "json"];

/// One input as named on the command line, expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    /// How messages name it.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".into(),
            Source::File(p) => p.display().to_string(),
        }
    }

    /// Its size on disk (compressed), if a file.
    pub fn size(&self) -> Option<u64> {
        match self {
            Source::Stdin => None,
            Source::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
        }
    }
}

/// Expands the command line's inputs: `-` (or nothing) is standard input; a folder is
/// every event file under it (sorted); a file is itself.
pub fn expand(inputs: &[PathBuf]) -> Result<Vec<Source>, String> {
    if inputs.is_empty() {
        return Ok(vec![Source::Stdin]);
    }
    let mut out = Vec::new();
    for p in inputs {
        if p.as_os_str() == "-" {
            out.push(Source::Stdin);
        } else if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found).map_err(|e| format!("{}: {e}", p.display()))?;
            found.sort();
            if found.is_empty() {
                return Err(format!(
                    "{}: no event files in this folder (*.ndjson, *.jsonl, *.json, optionally .gz or .zst)",
                    p.display()
                ));
            }
            out.extend(found.into_iter().map(Source::File));
        } else if p.is_file() {
            out.push(Source::File(p.clone()));
        } else {
            return Err(format!("{}: no such file or folder", p.display()));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else if is_event_file(&p) {
            out.push(p);
        }
    }
    Ok(())
}

fn is_event_file(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let base = name
        .strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".zst"))
        .unwrap_or(&name);
    EVENT_EXTENSIONS
        .iter()
        .any(|e| base.ends_with(&format!(".{e}")))
}

/// A reader that counts the bytes read through it (the compressed bytes, for
/// progress against the file size).
pub struct Counting<R> {
    inner: R,
    count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens a source: decompressed if gzip or zstd; `read` counts the raw bytes.
pub fn open(
    source: &Source,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
) -> Result<Box<dyn BufRead>, String> {
    let raw: Box<dyn Read> = match source {
        Source::Stdin => Box::new(io::stdin()),
        Source::File(p) => Box::new(File::open(p).map_err(|e| format!("{}: {e}", p.display()))?),
    };
    let mut buffered = BufReader::with_capacity(
        1 << 16,
        Counting {
            inner: raw,
            count: read,
        },
    );
    let magic = buffered
        .fill_buf()
        .map_err(|e| format!("{}: {e}", source.name()))?;
    if magic.starts_with(&[0x1f, 0x8b]) {
        let gz = flate2::bufread::MultiGzDecoder::new(buffered);
        Ok(Box::new(BufReader::with_capacity(1 << 16, gz)))
    } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let zst = ruzstd::decoding::StreamingDecoder::new(buffered)
            .map_err(|e| format!("{}: not a zstd stream: {e}", source.name()))?;
        Ok(Box::new(BufReader::with_capacity(1 << 16, zst)))
    } else {
        Ok(Box::new(buffered))
    }
}

/// The shape of an input's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One event per line.
    Ndjson,
    /// One Elasticsearch hit per line: the event is its `_source`.
    NdjsonHits,
    /// One JSON document: an array of events, or a `_search` response.
    Document,
}

/// Looks at the first line of `reader` (without consuming it) to decide the shape.
pub fn sniff(reader: &mut dyn BufRead) -> io::Result<Shape> {
    let buf = reader.fill_buf()?;
    let start = buf
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(buf.len());
    let rest = &buf[start..];
    if rest.first() == Some(&b'[') {
        return Ok(Shape::Document);
    }
    let line_end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let first = &rest[..line_end];
    match serde_json::from_slice::<Json>(first) {
        Ok(Json::Object(m)) => {
            if m.get("hits")
                .and_then(|h| h.get("hits"))
                .is_some_and(Json::is_array)
            {
                Ok(Shape::Document)
            } else if m.contains_key("_index") && m.get("_source").is_some_and(Json::is_object) {
                Ok(Shape::NdjsonHits)
            } else {
                Ok(Shape::Ndjson)
            }
        }
        // A first line that is not a whole object but starts one: a pretty-printed
        // document (a `_search` response saved from Kibana's console, say).
        Err(_) if rest.first() == Some(&b'{') && line_end < rest.len() => {
            let whole_line_is_open = first.iter().all(|b| b.is_ascii_whitespace() || *b == b'{');
            Ok(if whole_line_is_open {
                Shape::Document
            } else {
                Shape::Ndjson
            })
        }
        _ => Ok(Shape::Ndjson),
    }
}

/// The events of one JSON document (an array of events, or a `_search` response), each
/// as one line of JSON; `Err` if it is neither.
pub fn document_events(reader: &mut dyn Read) -> Result<Vec<String>, String> {
    let doc: Json = serde_json::from_reader(reader).map_err(|e| format!("not JSON: {e}"))?;
    let items = match doc {
        Json::Array(items) => items,
        Json::Object(mut m) => match m
            .remove("hits")
            .and_then(|mut h| h.get_mut("hits").map(Json::take))
        {
            Some(Json::Array(hits)) => hits
                .into_iter()
                .map(|mut h| h.get_mut("_source").map(Json::take).unwrap_or(Json::Null))
                .collect(),
            _ => {
                return Err("a JSON object that is not a `_search` response (no hits.hits)".into())
            }
        },
        _ => return Err("neither an array of events nor a `_search` response".into()),
    };
    Ok(items.iter().map(Json::to_string).collect())
}

/// The event of one line of an export of hits: its `_source` (the line itself if it
/// has none).
pub fn hit_source(line: &str) -> Option<String> {
    match serde_json::from_str::<Json>(line) {
        Ok(Json::Object(mut m)) => match m.remove("_source") {
            Some(s @ Json::Object(_)) => Some(s.to_string()),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> Shape {
        sniff(&mut text.as_bytes()).unwrap()
    }

    #[test]
    fn shapes() {
        assert_eq!(shape("{\"a\":1}\n{\"a\":2}\n"), Shape::Ndjson);
        assert_eq!(shape("  [{\"a\":1}]"), Shape::Document);
        assert_eq!(shape("{\"hits\":{\"hits\":[]}}"), Shape::Document);
        assert_eq!(
            shape("{\n  \"took\": 3,\n  \"hits\": {}\n}"),
            Shape::Document
        );
        assert_eq!(
            shape("{\"_index\":\"x\",\"_source\":{\"a\":1}}\n"),
            Shape::NdjsonHits
        );
        assert_eq!(shape("not json\n{\"a\":1}"), Shape::Ndjson);
        assert_eq!(shape(""), Shape::Ndjson);
    }

    #[test]
    fn documents() {
        let e = document_events(&mut "[{\"a\":1},{\"b\":2}]".as_bytes()).unwrap();
        assert_eq!(e, vec!["{\"a\":1}", "{\"b\":2}"]);
        let e = document_events(
            &mut "{\"hits\":{\"total\":2,\"hits\":[{\"_id\":\"1\",\"_source\":{\"a\":1}}]}}"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(e, vec!["{\"a\":1}"]);
        assert!(document_events(&mut "{\"x\":1}".as_bytes()).is_err());
        assert_eq!(
            hit_source("{\"_index\":\"i\",\"_source\":{\"a\":1}}").unwrap(),
            "{\"a\":1}"
        );
    }

    #[test]
    fn event_files() {
        assert!(is_event_file(Path::new("a/b.ndjson")));
        assert!(is_event_file(Path::new("b.JSONL.gz")));
        assert!(is_event_file(Path::new("b.json.zst")));
        assert!(!is_event_file(Path::new("b.txt")));
        assert!(!is_event_file(Path::new("b.gz")));
    }
}
