//! Measures a stream: sizes, category mix, Windows and non-ASCII shares.

use std::collections::BTreeMap;
use std::fmt;

use crate::json::{walk, Scalar};

/// Events of at least this many bytes form the stream's tail.
pub const TAIL_BYTES: usize = 4096;

/// Figures of an NDJSON stream, as the benchmark reports them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamStats {
    /// Non-empty lines.
    pub events: usize,
    /// Total bytes, newlines included.
    pub bytes: usize,
    /// Median, 95th percentile and largest line length (bytes, newline excluded).
    pub median_bytes: usize,
    pub p95_bytes: usize,
    pub max_bytes: usize,
    /// Lines of at least [`TAIL_BYTES`] bytes.
    pub tail_events: usize,
    /// Events per first value of `event.category` (`"-"` when it is absent).
    pub per_category: BTreeMap<String, usize>,
    /// Events whose `host.os.type` is `"windows"`.
    pub windows_events: usize,
    /// Events with a non-ASCII character in a string (raw UTF-8 or `\u` escaped).
    pub non_ascii_events: usize,
    /// Events whose `@timestamp` is earlier than one seen before it.
    pub late_events: usize,
    /// Lines that are not one JSON object (not counted in the figures above but
    /// `events` and `bytes`).
    pub invalid_lines: usize,
}

impl StreamStats {
    /// Measures `ndjson` (one JSON object per line).
    pub fn of(ndjson: &[u8]) -> Self {
        let mut s = StreamStats {
            bytes: ndjson.len(),
            ..StreamStats::default()
        };
        let mut sizes = Vec::new();
        let mut max_ts = String::new();
        for line in ndjson.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            s.events += 1;
            sizes.push(line.len());
            let mut category: Option<String> = None;
            let mut windows = false;
            let mut non_ascii = false;
            let mut ts: Option<String> = None;
            let ok = walk(line, &mut |path, index, v| {
                if let Scalar::Str(text) = v {
                    non_ascii |= !text.is_ascii();
                    match path {
                        "event.category" if index.unwrap_or(0) == 0 => {
                            category = Some(text.to_string())
                        }
                        "host.os.type" => windows = text == "windows",
                        "@timestamp" => ts = Some(text.to_string()),
                        _ => {}
                    }
                }
            });
            if ok.is_err() {
                s.invalid_lines += 1;
                continue;
            }
            *s.per_category
                .entry(category.unwrap_or_else(|| "-".to_string()))
                .or_default() += 1;
            s.windows_events += usize::from(windows);
            s.non_ascii_events += usize::from(non_ascii);
            if let Some(ts) = ts {
                if ts < max_ts {
                    s.late_events += 1;
                } else {
                    max_ts = ts;
                }
            }
        }
        s.tail_events = sizes.iter().filter(|&&n| n >= TAIL_BYTES).count();
        sizes.sort_unstable();
        if let Some(&max) = sizes.last() {
            s.max_bytes = max;
            s.median_bytes = sizes[sizes.len() / 2];
            s.p95_bytes = sizes[(sizes.len() * 95 / 100).min(sizes.len() - 1)];
        }
        s
    }

    /// `count` as a share of [`StreamStats::events`].
    pub fn share(&self, count: usize) -> f64 {
        count as f64 / self.events.max(1) as f64
    }
}

impl fmt::Display for StreamStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} events, {} bytes; per event: median {} B, p95 {} B, max {} B; tail (>= {} B) {:.1}%",
            self.events,
            self.bytes,
            self.median_bytes,
            self.p95_bytes,
            self.max_bytes,
            TAIL_BYTES,
            100.0 * self.share(self.tail_events)
        )?;
        let mix: Vec<String> = self
            .per_category
            .iter()
            .map(|(c, n)| format!("{c} {:.1}%", 100.0 * self.share(*n)))
            .collect();
        writeln!(f, "categories: {}", mix.join(", "))?;
        write!(
            f,
            "windows {:.1}%, non-ASCII {:.2}%, late {:.2}%, invalid lines {}",
            100.0 * self.share(self.windows_events),
            100.0 * self.share(self.non_ascii_events),
            100.0 * self.share(self.late_events),
            self.invalid_lines
        )
    }
}
