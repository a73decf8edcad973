//! `eqlc scan --threads N` against one thread (the single-threaded [`Scanner`] loop):
//! the same alerts in the same order in every format, the same skipped lines reported
//! with the same numbers, the same summary (timings and memory aside). On the bundled
//! streams, the rules' test streams, a benchmark-like stream with hostile lines, and
//! random streams with random thread counts and batch sizes (small batches make short
//! streams cross many batch boundaries).
//!
//! [`Scanner`]: rule_runtime::stream::Scanner

use eqlc::format::Format;
use eqlc::scan::{scan, Rules, ScanOptions};
use eqlc::summary::ScanSummary;
use proptest::prelude::*;
use rule_runtime::index::AtomKind;
use rule_runtime::parallel::BATCH_LINES;
use rule_runtime::time::{format_millis, parse_timestamp};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

/// What a scan wrote and said.
#[derive(Debug, PartialEq)]
struct Outcome {
    out: Vec<u8>,
    err: String,
    summary: ScanSummary,
}

/// A scan of `inputs` with the compiled rules on `threads` threads, batches of at most
/// `batch_lines` lines; `tweak` sets the other options.
fn scan_with(
    inputs: &[PathBuf],
    threads: usize,
    batch_lines: usize,
    tweak: &dyn Fn(&mut ScanOptions),
) -> Outcome {
    let mut options = ScanOptions::new(Rules::Compiled, inputs.to_vec());
    options.threads = threads;
    options.batch_lines = batch_lines;
    tweak(&mut options);
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut summary = match scan(&options, &mut out, &mut err) {
        Ok(s) => s,
        Err(e) => panic!("scan of {inputs:?} on {threads} threads failed: {e:?}"),
    };
    summary.seconds = 0.0;
    summary.peak_memory_bytes = None;
    Outcome {
        out,
        err: String::from_utf8_lossy(&err).into_owned(),
        summary,
    }
}

/// Scans `inputs` on one thread and on several (with several batch sizes): everything
/// must be the same. Returns the one-thread outcome.
fn assert_same(label: &str, inputs: &[PathBuf], tweak: &dyn Fn(&mut ScanOptions)) -> Outcome {
    let one = scan_with(inputs, 1, BATCH_LINES, tweak);
    for (threads, batch_lines) in [(2, BATCH_LINES), (2, 1), (3, 7), (4, 100)] {
        let many = scan_with(inputs, threads, batch_lines, tweak);
        assert!(
            one.out == many.out,
            "{label}: {threads} threads (batches of {batch_lines}) wrote other alerts than one:\n--- one\n{}\n--- {threads}\n{}",
            String::from_utf8_lossy(&one.out),
            String::from_utf8_lossy(&many.out)
        );
        assert_eq!(
            one.err, many.err,
            "{label}: {threads} threads (batches of {batch_lines}) reported other lines"
        );
        assert_eq!(
            one.summary, many.summary,
            "{label}: {threads} threads (batches of {batch_lines}) summed up otherwise"
        );
    }
    one
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("eqlc-threads-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every event of the rules' test streams, case after case, with its case's times.
fn test_stream_cases() -> Vec<Vec<String>> {
    let mut cases = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(crate::root().join("rules"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".test.yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "the rules have test streams");
    for f in files {
        let file = rule_test::spec::load(&f).unwrap_or_else(|e| panic!("{e}"));
        cases.extend(file.cases.into_iter().map(|c| c.lines));
    }
    cases
}

/// `line` with its `@timestamp` moved by `shift` milliseconds (as it is when it has
/// none).
fn shifted(line: &str, shift: i64) -> String {
    let Ok(Json::Object(mut m)) = serde_json::from_str::<Json>(line) else {
        return line.to_string();
    };
    if let Some(ts) = m
        .get("@timestamp")
        .and_then(Json::as_str)
        .and_then(parse_timestamp)
    {
        m.insert(
            "@timestamp".into(),
            Json::String(format_millis(ts.saturating_add(shift))),
        );
    }
    Json::Object(m).to_string()
}

/// The literals the compiled rules look for, per field (a rare vocabulary for
/// `streamgen`, so that the index and the rules do real work).
fn rare_vocabulary() -> Vec<(String, Vec<String>)> {
    let spec = &eqlc::compiled::RULE_SET;
    let mut by_field: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for atom in spec.atoms {
        let value = match atom.kind {
            AtomKind::Text | AtomKind::Folded | AtomKind::Ip | AtomKind::Number => {
                atom.literal.to_string()
            }
            AtomKind::Like | AtomKind::LikeFolded => {
                atom.literal.replace('*', "").replace('?', "a")
            }
            AtomKind::Category | AtomKind::Bool => continue,
        };
        let Some(field) = spec.fields.get(atom.slot as usize) else {
            continue;
        };
        let list = by_field.entry(field.to_string()).or_default();
        if !value.is_empty() && list.len() < 4 && !list.contains(&value) {
            list.push(value);
        }
    }
    by_field.into_iter().collect()
}

/// A benchmark-like stream: `streamgen` events (some late, the rules' literals mixed
/// in), the rules' test cases spliced in every 150 events on the stream's clock, and
/// hostile lines (not JSON, not objects, invalid UTF-8, blank, too long for a 64 KiB
/// limit, dated year 9999, untimed).
pub fn bench_like(events: usize) -> Vec<u8> {
    let mut generator = streamgen::Generator::new(streamgen::Config {
        seed: 0x7_4EAD5,
        late_share: 0.02,
        rare: rare_vocabulary(),
        rare_share: 0.05,
        ..streamgen::Config::default()
    });
    let cases = test_stream_cases();
    let mut out = Vec::new();
    let mut clock = streamgen::DEFAULT_START_MS;
    for i in 0..events {
        let mut event = Vec::new();
        generator.next_event(&mut event);
        if let Some(ts) = serde_json::from_slice::<Json>(&event)
            .ok()
            .and_then(|v| v["@timestamp"].as_str().and_then(parse_timestamp))
        {
            clock = clock.max(ts);
        }
        out.extend_from_slice(&event);
        if !event.ends_with(b"\n") {
            out.push(b'\n');
        }
        if i % 150 == 75 {
            let case = &cases[(i / 150) % cases.len()];
            let first = case
                .first()
                .and_then(|l| serde_json::from_str::<Json>(l).ok())
                .and_then(|v| v["@timestamp"].as_str().and_then(parse_timestamp))
                .unwrap_or(clock);
            for line in case {
                out.extend_from_slice(shifted(line, clock - first).as_bytes());
                out.push(b'\n');
            }
        }
        match i % 997 {
            13 => out.extend_from_slice(b"{\"@timestamp\": \"2026-11-01T00:00:01Z\", oops\n"),
            101 => out.extend_from_slice(b"[1, 2, 3]\n"),
            211 => out.extend_from_slice(b"{\"process\": {\"name\": \"caf\xe9.exe\"}}\n"),
            307 => out.extend_from_slice(b"   \n"),
            401 => {
                out.extend_from_slice(b"{\"pad\": \"");
                out.extend(std::iter::repeat_n(b'x', 70_000));
                out.extend_from_slice(b"\"}\n");
            }
            503 => out.extend_from_slice(
                b"{\"@timestamp\": \"9999-12-31T00:00:00Z\", \"event\": {\"category\": \"process\"}}\n",
            ),
            601 => out.extend_from_slice(b"{\"event\": {\"category\": \"process\"}}\n"),
            _ => {}
        }
    }
    out
}

/// `MAX_LINE_BYTES` for the hostile streams: the 70 KB line is too long.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

#[test]
fn bundled_streams_every_format() {
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(crate::root().join("examples/events"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ndjson"))
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty());
    for format in [Format::Jsonl, Format::Json, Format::Csv, Format::Table] {
        let one = assert_same(&format!("examples/events as {format:?}"), &inputs, &|o| {
            o.format = format;
        });
        assert!(one.summary.alerts > 0, "the bundled stream alerts");
    }
}

#[test]
fn test_streams_of_the_rules() {
    let dir = temp("test-streams");
    // Each case on its own, a file per rule's test stream, and all of them in one
    // stream (their times overlap: late events for the window).
    let cases = test_stream_cases();
    let mut all = String::new();
    let mut inputs = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let text = case.join("\n") + "\n";
        all.push_str(&text);
        let path = dir.join(format!("case-{i:03}.ndjson"));
        std::fs::write(&path, text).unwrap();
        inputs.push(path);
    }
    let one = assert_same("the test cases, one file each", &inputs, &|_| {});
    assert!(one.summary.alerts > 0);
    let whole = dir.join("all.ndjson");
    std::fs::write(&whole, all).unwrap();
    for window in [
        0,
        5_000,
        rule_runtime::engine::EngineConfig::UNBOUNDED_WINDOW,
    ] {
        let one = assert_same(
            &format!("the test cases in one stream, window {window}"),
            std::slice::from_ref(&whole),
            &|o| o.engine.reorder_window_ms = window,
        );
        assert!(one.summary.alerts > 0);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bench_like_stream_with_hostile_lines() {
    let dir = temp("bench-like");
    let path = dir.join("stream.ndjson");
    std::fs::write(&path, bench_like(6_000)).unwrap();
    let inputs = [path];
    let one = assert_same("bench-like stream", &inputs, &|o| {
        o.max_line_bytes = MAX_LINE_BYTES;
    });
    let s = &one.summary;
    assert!(s.alerts > 0, "{s:?}");
    for reason in ["not JSON", "not an object", "invalid UTF-8", "too long"] {
        assert!(
            s.skipped.get(reason).copied().unwrap_or(0) > 0,
            "{reason}: {s:?}"
        );
    }
    for counter in ["late", "future", "untimed", "hit_events"] {
        assert!(s.counters[counter] > 0, "{counter}: {s:?}");
    }
    assert!(
        one.err
            .contains("stream.ndjson:15: skipped: not valid JSON"),
        "{}",
        one.err
    );
    // The time range and the held-events cap are applied alike.
    let from = parse_timestamp("2026-11-01T00:00:20Z");
    let to = parse_timestamp("2026-11-01T00:01:10Z");
    let one = assert_same("bench-like stream, --from/--to", &inputs, &|o| {
        o.max_line_bytes = MAX_LINE_BYTES;
        o.from = from;
        o.to = to;
    });
    assert!(one.summary.outside_time_range > 0);
    let one = assert_same("bench-like stream, --max-held-events 3", &inputs, &|o| {
        o.max_line_bytes = MAX_LINE_BYTES;
        o.max_held_events = 3;
    });
    assert!(one.summary.counters["held_overflow"] > 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A line of a random stream.
fn line_strategy(hits: Vec<String>) -> impl Strategy<Value = Vec<u8>> {
    let n = hits.len();
    prop_oneof![
        6 => (0..n, -20_000i64..20_000).prop_map(move |(i, shift)| shifted(&hits[i], shift).into_bytes()),
        2 => (0i64..60_000).prop_map(|ms| {
            format!(
                "{{\"@timestamp\":\"{}\",\"event\":{{\"category\":\"process\"}},\"process\":{{\"name\":\"a.exe\"}}}}",
                format_millis(1_767_225_600_000 + ms)
            )
            .into_bytes()
        }),
        1 => Just(b"{\"event\":{\"category\":\"process\"}}".to_vec()),
        1 => Just(b"not json".to_vec()),
        1 => Just(b"[true]".to_vec()),
        1 => Just(b"\xff{}".to_vec()),
        1 => Just(Vec::new()),
        1 => Just(vec![b'7'; 300]),
    ]
}

/// Writes `files` (each a list of lines) under `dir`, each after an event line (a
/// first line `[true]` would make the file a JSON document).
fn write_streams(dir: &Path, files: &[Vec<Vec<u8>>]) -> Vec<PathBuf> {
    files
        .iter()
        .enumerate()
        .map(|(i, lines)| {
            let path = dir.join(format!("{i}.ndjson"));
            let mut text = b"{\"@timestamp\":\"2026-01-01T00:00:00Z\"}\n".to_vec();
            text.extend(lines.join(&b'\n'));
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_streams_and_thread_counts(
        files in prop::collection::vec(
            prop::collection::vec(
                line_strategy(test_stream_cases().into_iter().flatten().collect()),
                0..120,
            ),
            1..4,
        ),
        threads in 2usize..6,
        batch_lines in 1usize..40,
        window in prop_oneof![Just(0u64), Just(5_000u64)],
    ) {
        let dir = temp(&format!("random-{threads}-{batch_lines}-{}", files.len()));
        let inputs = write_streams(&dir, &files);
        let tweak = |o: &mut ScanOptions| {
            o.engine.reorder_window_ms = window;
            o.max_line_bytes = 256;
        };
        let one = scan_with(&inputs, 1, BATCH_LINES, &tweak);
        let many = scan_with(&inputs, threads, batch_lines, &tweak);
        let _ = std::fs::remove_dir_all(&dir);
        prop_assert_eq!(
            String::from_utf8_lossy(&one.out),
            String::from_utf8_lossy(&many.out),
            "alerts on {} threads, batches of {}", threads, batch_lines
        );
        prop_assert_eq!(&one.err, &many.err, "reported lines");
        prop_assert_eq!(&one.summary, &many.summary, "summary");
    }
}
