//! NDJSON in, alerts out: the one reader every front end of eqlc uses (`eqlc scan`, the
//! vendored example, the benchmark, the test harness), and the loop that feeds a back
//! end's evaluation into the [`Engine`].
//!
//! # Lines
//!
//! [`LineReader`] splits a byte stream at `\n` and hands out one line at a time from a
//! reused buffer (no allocation per line once it has grown). A line is rejected, with
//! its number, when it is not valid UTF-8 or longer than the reader's limit (the rest of
//! a long line is skipped without being buffered); the back end rejects a line that is
//! not a JSON object (or nests too deeply). A rejected line is reported and counted by
//! reason, and every other line is processed. A line of JSON whitespace only is skipped
//! and counted as blank. The last line needs no newline.
//!
//! # Back ends
//!
//! A [`Backend`] turns a line into the stage hits of every rule and the event's time: the
//! compiled rule set ([`CompiledBackend`]: the one-pass JSON projector and the rule-set
//! index) or the reference interpreter (in `rule_compiler`). The [`Scanner`] pushes each
//! evaluated line into the engine, asking the back end for an event handle only when the
//! event hit some rule.

use std::fmt;
use std::io::{self, BufRead};
use std::sync::Arc;

use crate::alert::Alert;
use crate::engine::{Engine, EventTime};
use crate::event::EventJson;
use crate::fields::Fields;
use crate::json::{JsonErrorKind, JsonProjector};
use crate::ruleset::{RuleSet, Scratch};
use crate::state::SetHits;

/// The default longest line [`LineReader`] accepts: 16 MiB (Elastic Agent's default
/// `max_bytes` for a log line is 10 MiB; a longer event is not a real event).
pub const DEFAULT_MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// Why a line is not an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    /// The line is not valid UTF-8 (at this byte offset).
    InvalidUtf8 { offset: usize },
    /// The line is longer than the reader's limit (its length in bytes).
    TooLong { bytes: u64, limit: usize },
    /// The line is not JSON (what is wrong, and where).
    NotJson(String),
    /// The line is JSON but not an object (what it is).
    NotAnObject(&'static str),
    /// The line nests objects and arrays deeper than the limit.
    TooDeep(usize),
}

impl LineError {
    /// The reason, for counting rejected lines by reason.
    pub fn reason(&self) -> &'static str {
        match self {
            LineError::InvalidUtf8 { .. } => "invalid UTF-8",
            LineError::TooLong { .. } => "too long",
            LineError::NotJson(_) => "not JSON",
            LineError::NotAnObject(_) => "not an object",
            LineError::TooDeep(_) => "nested too deeply",
        }
    }

    /// Every reason, in the order summaries list them.
    pub const REASONS: [&'static str; 5] = [
        "invalid UTF-8",
        "too long",
        "not JSON",
        "not an object",
        "nested too deeply",
    ];
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::InvalidUtf8 { offset } => {
                write!(f, "not valid UTF-8 (at byte {offset})")
            }
            LineError::TooLong { bytes, limit } => {
                write!(
                    f,
                    "line of {bytes} bytes is longer than the limit of {limit} bytes"
                )
            }
            LineError::NotJson(m) => write!(f, "not valid JSON: {m}"),
            LineError::NotAnObject(k) => write!(f, "an event must be a JSON object, found {k}"),
            LineError::TooDeep(limit) => write!(f, "nests deeper than {limit} levels"),
        }
    }
}

impl std::error::Error for LineError {}

impl From<crate::json::JsonError> for LineError {
    fn from(e: crate::json::JsonError) -> LineError {
        match e.kind {
            JsonErrorKind::NotAnObject(k) => LineError::NotAnObject(k),
            JsonErrorKind::TooDeep => LineError::TooDeep(crate::json::MAX_DEPTH),
            JsonErrorKind::Syntax(m) => LineError::NotJson(format!("{m} at byte {}", e.offset)),
        }
    }
}

/// One line as [`LineReader`] gives it.
#[derive(Debug)]
pub enum Line<'a> {
    /// A line of text (without its `\n`).
    Text(&'a str),
    /// A line of JSON whitespace only.
    Blank,
    /// A line that cannot be an event.
    Bad(LineError),
}

/// Splits a byte stream into lines (see the module documentation).
#[derive(Debug)]
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    number: u64,
    bytes: u64,
    max_line_bytes: usize,
}

impl<R: BufRead> LineReader<R> {
    /// A reader with the default line limit.
    pub fn new(inner: R) -> Self {
        LineReader::with_limit(inner, DEFAULT_MAX_LINE_BYTES)
    }

    /// A reader that rejects lines longer than `max_line_bytes` bytes.
    pub fn with_limit(inner: R, max_line_bytes: usize) -> Self {
        LineReader {
            inner,
            buf: Vec::new(),
            number: 0,
            bytes: 0,
            max_line_bytes,
        }
    }

    /// The number of the line last returned (1-based).
    pub fn line_number(&self) -> u64 {
        self.number
    }

    /// The bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// The next line, or `None` at the end of the stream.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.buf.clear();
        let mut len: u64 = 0;
        let mut too_long = false;
        let mut any = false;
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i, true),
                None => (chunk.len(), false),
            };
            len += take as u64;
            if !too_long {
                if len > self.max_line_bytes as u64 {
                    too_long = true;
                    self.buf.clear();
                } else {
                    self.buf.extend_from_slice(&chunk[..take]);
                }
            }
            let consumed = if done { take + 1 } else { take };
            self.inner.consume(consumed);
            self.bytes += consumed as u64;
            if done {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        self.number += 1;
        if too_long {
            return Ok(Some(Line::Bad(LineError::TooLong {
                bytes: len,
                limit: self.max_line_bytes,
            })));
        }
        let text = match std::str::from_utf8(&self.buf) {
            Ok(t) => t,
            Err(e) => {
                return Ok(Some(Line::Bad(LineError::InvalidUtf8 {
                    offset: e.valid_up_to(),
                })))
            }
        };
        let trimmed = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
        if trimmed.is_empty() {
            return Ok(Some(Line::Blank));
        }
        Ok(Some(Line::Text(trimmed)))
    }
}

/// A back end: evaluates one line for every rule.
pub trait Backend {
    /// The handle rules keep and alerts carry.
    type Event: Clone + EventJson + 'static;

    /// Reads `line` (trimmed, valid UTF-8) as an event: every rule's stage hits go to
    /// `hits` (cleared first); returns the event's time, or why the line is not an event.
    fn evaluate(&mut self, line: &str, hits: &mut SetHits) -> Result<EventTime, LineError>;

    /// The handle of the event last evaluated (asked only when it hit something).
    fn event(&mut self, line: &str) -> Self::Event;
}

/// The compiled back end: the one-pass JSON projector onto the rule set's field table,
/// and the rule set's index. Events are kept as their line.
#[derive(Debug)]
pub struct CompiledBackend {
    rules: Arc<RuleSet>,
    projector: JsonProjector,
    fields: Fields,
    scratch: Scratch,
}

impl CompiledBackend {
    pub fn new(rules: RuleSet) -> CompiledBackend {
        CompiledBackend::shared(Arc::new(rules))
    }

    fn shared(rules: Arc<RuleSet>) -> CompiledBackend {
        let scratch = rules.scratch();
        CompiledBackend {
            rules,
            projector: JsonProjector::new(),
            fields: Fields::new(),
            scratch,
        }
    }

    /// Another back end over the same rule set, with its own projector and scratch
    /// space: one per worker thread of a [`crate::parallel::ParallelScanner`].
    pub fn worker(&self) -> CompiledBackend {
        CompiledBackend::shared(Arc::clone(&self.rules))
    }

    /// The rule set.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// How many rules' functions ran for the last event.
    pub fn candidates(&self) -> usize {
        RuleSet::candidates(&self.scratch)
    }

    /// The rules whose functions ran for the last event (positions in the rule set).
    pub fn last_candidates(&self) -> &[u32] {
        RuleSet::last_candidates(&self.scratch)
    }

    /// The index's work so far.
    pub fn index_stats(&self) -> crate::index::IndexStats {
        RuleSet::index_stats(&self.scratch)
    }
}

impl Backend for CompiledBackend {
    type Event = Arc<str>;

    fn evaluate(&mut self, line: &str, hits: &mut SetHits) -> Result<EventTime, LineError> {
        self.projector
            .project(line, self.rules.table(), &mut self.fields)?;
        let view = self.fields.view(line);
        self.rules.evaluate(view, &mut self.scratch, hits);
        Ok(self.rules.time(view))
    }

    fn event(&mut self, line: &str) -> Arc<str> {
        Arc::from(line)
    }
}

/// Counts of what a [`Scanner`] read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineStats {
    /// Lines read (blank and rejected ones included).
    pub lines: u64,
    /// Lines that were events.
    pub events: u64,
    /// Blank lines.
    pub blank: u64,
    /// Rejected lines, by reason (in [`LineError::REASONS`] order).
    pub rejected: [u64; 5],
    /// Events outside the time range ([`Scanner::set_time_range`]; untimed events
    /// included), not matched.
    pub outside_range: u64,
}

impl LineStats {
    /// All rejected lines.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.iter().sum()
    }

    /// Counts a rejected line.
    pub fn reject(&mut self, e: &LineError) {
        if let Some(i) = LineError::REASONS.iter().position(|r| *r == e.reason()) {
            self.rejected[i] += 1;
        }
    }
}

/// The bounds of [`Scanner::set_time_range`] (`None`: every event is matched).
pub type TimeRange = Option<(Option<i64>, Option<i64>)>;

/// Whether an event read at `time` is matched under `range` (an untimed event is not,
/// when a bound is set).
pub fn in_range(range: TimeRange, time: &EventTime) -> bool {
    match range {
        None => true,
        Some((from, to)) => time
            .as_ref()
            .is_ok_and(|(ts, _)| from.is_none_or(|f| *ts >= f) && to.is_none_or(|t| *ts < t)),
    }
}

/// A line as a worker thread evaluated it ([`crate::parallel`]), for
/// [`Scanner::push_evaluated`].
#[derive(Debug)]
pub enum Evaluated<E> {
    /// A line of JSON whitespace only.
    Blank,
    /// A line that is not an event.
    Bad(LineError),
    /// An event: its time, and its handle with what it hit when it hit a rule (and was
    /// inside the time range).
    Event {
        time: EventTime,
        hit: Option<(E, SetHits)>,
    },
}

/// Lines into the engine: evaluates each line with the back end and pushes it.
pub struct Scanner<B: Backend> {
    backend: B,
    engine: Engine<B::Event>,
    hits: SetHits,
    alerts: Vec<Alert<B::Event>>,
    stats: LineStats,
    range: TimeRange,
}

impl<B: Backend> Scanner<B> {
    pub fn new(backend: B, engine: Engine<B::Event>) -> Self {
        Scanner {
            backend,
            engine,
            hits: SetHits::new(),
            alerts: Vec::new(),
            stats: LineStats::default(),
            range: None,
        }
    }

    /// Matches only events whose timestamp is at least `from` and below `to` (epoch
    /// milliseconds; `None`: unbounded); the others (and untimed events, when a bound is
    /// set) are counted in [`LineStats::outside_range`] and skipped.
    pub fn set_time_range(&mut self, from: Option<i64>, to: Option<i64>) {
        self.range = (from.is_some() || to.is_some()).then_some((from, to));
    }

    /// One line as the reader gave it; the alerts it makes final are kept for
    /// [`Scanner::drain_alerts`]. A rejected line is counted and returned as the error.
    pub fn push(&mut self, line: Line<'_>) -> Result<(), LineError> {
        self.stats.lines += 1;
        let text = match line {
            Line::Text(t) => t,
            Line::Blank => {
                self.stats.blank += 1;
                return Ok(());
            }
            Line::Bad(e) => {
                self.stats.reject(&e);
                return Err(e);
            }
        };
        match self.backend.evaluate(text, &mut self.hits) {
            Ok(time) => {
                if !self.admit(&time) {
                    self.hits.clear();
                    return Ok(());
                }
                let backend = &mut self.backend;
                self.engine.push(
                    time,
                    &mut self.hits,
                    || backend.event(text),
                    &mut self.alerts,
                );
                Ok(())
            }
            Err(e) => {
                self.stats.reject(&e);
                Err(e)
            }
        }
    }

    /// One line evaluated elsewhere (on a worker thread, [`crate::parallel`]): counted
    /// and pushed exactly as [`Scanner::push`] would have the line it came from.
    pub fn push_evaluated(&mut self, line: Evaluated<B::Event>) -> Result<(), LineError> {
        self.stats.lines += 1;
        match line {
            Evaluated::Blank => {
                self.stats.blank += 1;
                Ok(())
            }
            Evaluated::Bad(e) => {
                self.stats.reject(&e);
                Err(e)
            }
            Evaluated::Event { time, hit } => {
                if self.admit(&time) {
                    self.engine.push_hit(time, hit, &mut self.alerts);
                }
                Ok(())
            }
        }
    }

    /// Counts an event and says whether it is inside the time range (counting it when
    /// not).
    fn admit(&mut self, time: &EventTime) -> bool {
        self.stats.events += 1;
        if in_range(self.range, time) {
            true
        } else {
            self.stats.outside_range += 1;
            false
        }
    }

    /// The time range set by [`Scanner::set_time_range`].
    pub fn time_range(&self) -> TimeRange {
        self.range
    }

    /// The alerts made final so far, in order (they are removed).
    pub fn drain_alerts(&mut self) -> std::vec::Drain<'_, Alert<B::Event>> {
        self.alerts.drain(..)
    }

    /// End of input: every alert still waiting is made final.
    pub fn flush(&mut self) {
        self.engine.flush(&mut self.alerts);
    }

    /// The engine, to configure it (`Engine::set_max_timestamp`).
    pub fn engine_mut(&mut self) -> &mut Engine<B::Event> {
        &mut self.engine
    }

    /// The engine (its statistics and counters).
    pub fn engine(&self) -> &Engine<B::Event> {
        &self.engine
    }

    /// The back end.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// What was read so far.
    pub fn stats(&self) -> &LineStats {
        &self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], limit: usize) -> Vec<String> {
        let mut r = LineReader::with_limit(input, limit);
        let mut out = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            out.push(match l {
                Line::Text(t) => t.to_string(),
                Line::Blank => "<blank>".to_string(),
                Line::Bad(e) => format!("<{}>", e.reason()),
            });
        }
        out
    }

    #[test]
    fn lines_are_split_checked_and_bounded() {
        assert_eq!(
            lines(b"{\"a\":1}\r\n\n  \n\xff\xfe{}\n0123456789abc\n{}", 10),
            vec![
                "{\"a\":1}",
                "<blank>",
                "<blank>",
                "<invalid UTF-8>",
                "<too long>",
                "{}"
            ]
        );
        assert_eq!(lines(b"", 10), Vec::<String>::new());
        assert_eq!(lines(b"\n", 10), vec!["<blank>"]);
    }
}
