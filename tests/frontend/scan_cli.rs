//! `eqlc scan` end to end (the binary spawned): every output format, every input shape
//! and compression, the selection and time filters, the exit codes, the summary and
//! `--stats`, and a stream full of hostile lines that must lose no event.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const SAMPLE: &str = "examples/events/windows_credential_access.ndjson";
const SEED_ID: &str = "c5c9f591-d111-4cf8-baec-c26a39bc31ef";

fn eqlc(args: &[&str], stdin: &[u8]) -> (i32, Vec<u8>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_eqlc"))
        .args(args)
        .current_dir(crate::root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("eqlc runs");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    let _ = writer.join();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn sample() -> Vec<u8> {
    std::fs::read(crate::root().join(SAMPLE)).unwrap()
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("eqlc-scan-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The alerts' rule ids and event timestamps, order kept.
fn alert_keys(stdout: &[u8]) -> Vec<String> {
    text(stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            format!("{} {}", v["rule"]["id"], v["timestamp"])
        })
        .collect()
}

#[test]
fn formats_jsonl_json_csv_table() {
    let (code, out, err) = eqlc(&["scan", "--format", "jsonl", SAMPLE], b"");
    assert_eq!(code, 0, "{err}");
    assert_eq!(alert_keys(&out).len(), 1);
    assert!(text(&out).contains(SEED_ID));

    let (code, out, _) = eqlc(&["scan", "--format", "json", SAMPLE], b"");
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["rule"]["id"], SEED_ID);

    let (_, out, _) = eqlc(&["scan", "-q", "--format", "csv", SAMPLE], b"");
    insta::assert_snapshot!("scan_csv", text(&out));

    let (_, out, _) = eqlc(&["scan", "-q", "--format", "table", SAMPLE], b"");
    insta::assert_snapshot!("scan_table", text(&out));

    // Piped, `auto` is JSON lines.
    let (_, out, _) = eqlc(&["scan", "-q", SAMPLE], b"");
    assert!(text(&out).starts_with("{\"rule\":"), "{}", text(&out));

    // No alert: an empty JSON array, a CSV header.
    let (_, out, _) = eqlc(&["scan", "-q", "--format", "json", "-"], b"{\"x\":1}\n");
    assert_eq!(text(&out).trim(), "[]");
    let (_, out, _) = eqlc(&["scan", "-q", "--format", "csv", "-"], b"{\"x\":1}\n");
    assert!(text(&out).starts_with("timestamp,rule_id,rule_name,severity"));
}

#[test]
fn inputs_stdin_gzip_zstd_folders_arrays_search_responses() {
    let want = {
        let (_, out, _) = eqlc(&["scan", "-q", SAMPLE], b"");
        alert_keys(&out)
    };
    assert_eq!(want.len(), 1);
    let dir = temp("inputs");
    // stdin, named `-` or not at all.
    assert_eq!(alert_keys(&eqlc(&["scan", "-q", "-"], &sample()).1), want);
    assert_eq!(alert_keys(&eqlc(&["scan", "-q"], &sample()).1), want);
    // gzip and zstd, recognised by their bytes whatever the name.
    let gz = dir.join("events.ndjson.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&sample()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let zst = dir.join("events.bin");
    std::fs::write(
        &zst,
        ruzstd::encoding::compress_to_vec(
            &sample()[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        ),
    )
    .unwrap();
    for p in [&gz, &zst] {
        let (code, out, err) = eqlc(&["scan", "-q", p.to_str().unwrap()], b"");
        assert_eq!(code, 0, "{err}");
        assert_eq!(alert_keys(&out), want, "{}", p.display());
    }
    // A folder: its event files, recursively (events.bin is not one).
    let sub = dir.join("nested/deeper");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::copy(crate::root().join(SAMPLE), sub.join("a.jsonl")).unwrap();
    std::fs::write(dir.join("notes.txt"), "not events").unwrap();
    let (code, out, err) = eqlc(&["scan", dir.to_str().unwrap()], b"");
    assert_eq!(code, 0, "{err}");
    // events.ndjson.gz and nested/deeper/a.jsonl: the same alert twice.
    assert_eq!(alert_keys(&out).len(), 2, "{err}");
    assert!(err.contains("from 2 inputs"), "{err}");
    // A JSON array, a `_search` response (pretty-printed), an export of hits.
    let events: Vec<serde_json::Value> = text(&sample())
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let array = dir.join("array.json");
    std::fs::write(&array, serde_json::to_string(&events).unwrap()).unwrap();
    let hits: Vec<serde_json::Value> = events
        .iter()
        .enumerate()
        .map(|(i, e)| serde_json::json!({"_index": "logs-x", "_id": i.to_string(), "_source": e}))
        .collect();
    let search = dir.join("search.json");
    std::fs::write(
        &search,
        serde_json::to_string_pretty(
            &serde_json::json!({"took": 3, "hits": {"total": {"value": 17}, "hits": hits}}),
        )
        .unwrap(),
    )
    .unwrap();
    let export = dir.join("export.ndjson");
    std::fs::write(
        &export,
        hits.iter()
            .map(|h| h.to_string() + "\n")
            .collect::<String>(),
    )
    .unwrap();
    for p in [&array, &search, &export] {
        let (code, out, err) = eqlc(&["scan", p.to_str().unwrap()], b"");
        assert_eq!(code, 0, "{err}");
        assert_eq!(alert_keys(&out), want, "{}: {err}", p.display());
        assert!(err.contains("read 17 events"), "{}: {err}", p.display());
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn selection_and_time_filters() {
    let count = |args: &[&str]| {
        let mut a = vec!["scan", "-q"];
        a.extend_from_slice(args);
        a.push(SAMPLE);
        let (code, out, err) = eqlc(&a, b"");
        assert_eq!(code, 0, "{err}");
        alert_keys(&out).len()
    };
    assert_eq!(
        count(&["--rule", "credential_access_suspicious_comsvcs_imageload"]),
        1
    );
    assert_eq!(count(&["--rule", SEED_ID]), 1);
    assert_eq!(count(&["--rule", "*comsvcs*"]), 1);
    assert_eq!(count(&["--min-severity", "high"]), 1);
    assert_eq!(count(&["--tag", "sysmon only"]), 1);
    assert_eq!(count(&["--from", "2026-11-02T09:00:00Z"]), 1);
    // The attack's second event is at 09:00:10.1: a range ending before it loses it.
    assert_eq!(count(&["--to", "2026-11-02T09:00:10Z"]), 0);
    assert_eq!(count(&["--from", "2026-11-02T10:00:00Z"]), 0);
    let (code, _, err) = eqlc(&["scan", "--to", "2026-11-02T09:00:10Z", SAMPLE], b"");
    assert_eq!(code, 0);
    assert!(err.contains("outside --from/--to not matched"), "{err}");
    // Nothing selected is an error.
    let (code, _, err) = eqlc(&["scan", "--rule", "no-such-rule", SAMPLE], b"");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no rule compiled into eqlc is selected"),
        "{err}"
    );
}

#[test]
fn exit_codes() {
    // 0: alerts alone do not fail a scan.
    assert_eq!(eqlc(&["scan", "-q", SAMPLE], b"").0, 0);
    // 1: --fail-on-alert with an alert; --strict with a rejected line.
    assert_eq!(eqlc(&["scan", "-q", "--fail-on-alert", SAMPLE], b"").0, 1);
    assert_eq!(
        eqlc(&["scan", "-q", "--fail-on-alert", "-"], b"{\"x\":1}\n").0,
        0
    );
    assert_eq!(
        eqlc(&["scan", "-q", "--strict", "-"], b"{\"x\":1}\nnope\n").0,
        1
    );
    assert_eq!(eqlc(&["scan", "-q", "--strict", "-"], b"{\"x\":1}\n").0, 0);
    // 2: usage, a missing input, a bad time.
    assert_eq!(eqlc(&["scan", "--no-such-option"], b"").0, 2);
    assert_eq!(eqlc(&["scan", "no/such/file.ndjson"], b"").0, 2);
    assert_eq!(eqlc(&["scan", "--from", "yesterday", SAMPLE], b"").0, 2);
    assert_eq!(eqlc(&["frobnicate"], b"").0, 2);
    // --version names the rule set.
    let (code, out, _) = eqlc(&["--version"], b"");
    assert_eq!(code, 0);
    assert!(
        text(&out).contains("rules: ") && text(&out).contains("hash "),
        "{}",
        text(&out)
    );
}

#[test]
fn summary_and_stats() {
    let dir = temp("stats");
    let stats = dir.join("stats.json");
    let mut input = sample();
    input.extend_from_slice(b"not json\n[1]\n");
    let (code, _, err) = eqlc(&["scan", "--stats", stats.to_str().unwrap(), "-"], &input);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("eqlc: read 17 events"), "{err}");
    assert!(err.contains("1 alert from"), "{err}");
    assert!(err.contains("(high 1)"), "{err}");
    assert!(
        err.contains("top rules: Potential Credential Access via Renamed COM+ Services DLL (1)"),
        "{err}"
    );
    assert!(
        err.contains("skipped 2 lines that were not events: 1 not JSON, 1 not an object"),
        "{err}"
    );
    // Internal counters only when asked.
    assert!(!err.contains("engine counters"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    assert_eq!(v["events"], 17);
    assert_eq!(v["lines"], 19);
    assert_eq!(v["alerts"], 1);
    assert_eq!(v["alerts_by_severity"]["high"], 1);
    assert_eq!(v["skipped"]["not JSON"], 1);
    assert_eq!(v["skipped"]["not an object"], 1);
    let (_, _, err) = eqlc(&["scan", "-v", SAMPLE], b"");
    assert!(err.contains("engine counters:"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let mut input = Vec::new();
    for _ in 0..200 {
        input.extend_from_slice(&sample());
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_eqlc"))
        .args(["scan", "--reorder-window", "0", "-"])
        .current_dir(crate::root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    // Read one line, then close the pipe, as `| head -1` does.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    let _ = std::io::Read::read(&mut stdout, &mut first);
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let _ = writer.join();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// A failed write (a full disk: `/dev/full`) is an error on stderr and exit 2, never a
/// panic.
#[test]
fn a_full_disk_is_an_error_not_a_panic() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("note: /dev/full is absent here; the full-disk test did not run");
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_eqlc"))
        .args(["scan", "--format", "jsonl", SAMPLE])
        .current_dir(crate::root())
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot write"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// The sample stream with malformed lines of every kind between its events must give
/// exactly the alerts of the clean stream, and count each rejected line by reason.
#[test]
fn hostile_lines_lose_no_event() {
    let clean = sample();
    let (_, clean_out, _) = eqlc(&["scan", "-q", "--format", "jsonl", "-"], &clean);
    let want = alert_keys(&clean_out);
    assert_eq!(want.len(), 1);
    let mut hostile = Vec::new();
    let lines: Vec<&[u8]> = clean
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let long = {
        let mut l = b"{\"message\":\"".to_vec();
        l.extend(std::iter::repeat_n(b'x', 20 * 1024 * 1024));
        l.extend_from_slice(b"\"}");
        l
    };
    let bad: Vec<Vec<u8>> = vec![
        b"\xff\xfe\x00{\"x\":1}".to_vec(),
        b"not json at all".to_vec(),
        b"[1, 2, 3]".to_vec(),
        deep.into_bytes(),
        deep_object.into_bytes(),
        long,
        b"{\"truncated\": ".to_vec(),
        b"\"a string\"".to_vec(),
    ];
    for (i, line) in lines.iter().enumerate() {
        hostile.extend_from_slice(&bad[i % bad.len()]);
        hostile.push(b'\n');
        hostile.extend_from_slice(line);
        hostile.push(b'\n');
    }
    // A truncated last line with no newline.
    hostile.extend_from_slice(b"{\"@timestamp\": \"2026-11-02T09:");
    let dir = temp("hostile");
    let stats = dir.join("stats.json");
    let (code, out, err) = eqlc(
        &[
            "scan",
            "--format",
            "jsonl",
            "--max-line-bytes",
            "1048576",
            "--stats",
            stats.to_str().unwrap(),
            "-",
        ],
        &hostile,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(alert_keys(&out), want, "{err}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    assert_eq!(v["events"], 17, "{v}");
    // 17 bad lines interleaved (cycling through 8 kinds) plus the truncated last line.
    let per_kind = |k: usize| (0..17).filter(|i| i % 8 == k).count() as u64;
    assert_eq!(v["skipped"]["invalid UTF-8"], per_kind(0), "{v}");
    assert_eq!(
        v["skipped"]["not JSON"],
        per_kind(1) + per_kind(6) + 1,
        "{v}"
    );
    assert_eq!(
        v["skipped"]["not an object"],
        per_kind(2) + per_kind(7),
        "{v}"
    );
    assert_eq!(
        v["skipped"]["nested too deeply"],
        per_kind(3) + per_kind(4),
        "{v}"
    );
    assert_eq!(v["skipped"]["too long"], per_kind(5), "{v}");
    // The first few are reported with their line numbers, then only counted.
    assert!(err.contains("<stdin>:1: skipped: "), "{err}");
    assert!(err.contains("more lines are skipped"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// One event whose join-key field holds 1,000 values, for a rule joining on that field
/// three times: bounded time and memory, the cut counted.
#[test]
fn a_thousand_valued_join_key_is_bounded() {
    let dir = temp("keys");
    std::fs::write(
        dir.join("k.eql"),
        "sequence by process.entity_id, process.entity_id, process.entity_id with maxspan=1m\n  [process where true]\n  [process where true]\n",
    )
    .unwrap();
    let ids: Vec<String> = (0..1000).map(|i| format!("\"id-{i}\"")).collect();
    let event = |t: &str| {
        format!(
            "{{\"@timestamp\":\"2026-01-01T00:00:0{t}Z\",\"event\":{{\"category\":\"process\"}},\"process\":{{\"entity_id\":[{}]}}}}\n",
            ids.join(",")
        )
    };
    let input = format!("{}{}", event("1"), event("2"));
    let started = std::time::Instant::now();
    let (code, out, err) = eqlc(
        &[
            "scan",
            "--rules",
            dir.to_str().unwrap(),
            "--stats",
            dir.join("s.json").to_str().unwrap(),
            "-",
        ],
        input.as_bytes(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(started.elapsed().as_secs() < 60);
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("s.json")).unwrap()).unwrap();
    assert!(
        v["peak_memory_bytes"].as_u64().unwrap_or(0) < 2 << 30,
        "{v}"
    );
    assert!(
        v["counters"]["key_tuples_capped"].as_u64().unwrap() >= 1,
        "{v}"
    );
    assert!(
        err.contains("joined under its first 1,024 key combinations"),
        "{err}"
    );
    assert!(!text(&out).is_empty());
    std::fs::remove_dir_all(&dir).ok();
}

/// Events dated year 9999 are counted and do not expire everything else.
#[test]
fn an_event_in_year_9999_does_not_stall_time() {
    let mut input = Vec::new();
    let lines: Vec<&[u8]> = sample()
        .leak()
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    for (i, l) in lines.iter().enumerate() {
        if i == 1 {
            input.extend_from_slice(
                b"{\"@timestamp\":\"9999-12-31T23:59:59Z\",\"event\":{\"category\":\"process\"}}\n",
            );
        }
        input.extend_from_slice(l);
        input.push(b'\n');
    }
    let (code, out, err) = eqlc(&["scan", "--format", "jsonl", "-"], &input);
    assert_eq!(code, 0, "{err}");
    assert_eq!(alert_keys(&out).len(), 1, "{err}");
    assert!(
        err.contains("1 event was dated more than a day ahead"),
        "{err}"
    );
}

/// Adversarial key distributions through one two-stage sequence rule (interpreted, the
/// reference semantics) with a small key cap: state stays bounded, what the cap cuts is
/// counted, and what fits still alerts.
fn scan_sequence(name: &str, input: &[u8], max_keys: &str) -> serde_json::Value {
    scan_sequence_with(name, input, &["--max-sequence-keys", max_keys])
}

fn scan_sequence_with(name: &str, input: &[u8], options: &[&str]) -> serde_json::Value {
    let dir = temp(name);
    std::fs::write(
        dir.join("seq.eql"),
        "sequence by process.entity_id with maxspan=1h\n  [process where event.type == \"start\"]\n  [network where true]\n",
    )
    .unwrap();
    let stats = dir.join("s.json");
    let mut args = vec!["scan", "--rules", dir.to_str().unwrap()];
    args.extend_from_slice(options);
    args.extend(["--format", "jsonl", "--stats", stats.to_str().unwrap(), "-"]);
    let (code, _, err) = eqlc(&args, input);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    v
}

fn seq_event(ms: u64, kind: &str, key: &str) -> String {
    let (category, ty) = match kind {
        "start" => ("process", "start"),
        _ => ("network", "connection"),
    };
    format!(
        "{{\"@timestamp\":{ms},\"event\":{{\"category\":\"{category}\",\"type\":\"{ty}\"}},\"process\":{{\"entity_id\":\"{key}\"}}}}\n"
    )
}

#[test]
fn every_event_a_new_key_is_bounded_by_the_key_cap() {
    let n = 50_000u64;
    let mut input = String::new();
    for i in 0..n {
        input.push_str(&seq_event(1_000_000 + i, "start", &format!("k{i}")));
    }
    // The newest key still completes; the oldest was evicted long ago.
    input.push_str(&seq_event(1_000_000 + n, "net", &format!("k{}", n - 1)));
    input.push_str(&seq_event(1_000_001 + n, "net", "k0"));
    let v = scan_sequence("newkeys", input.as_bytes(), "1000");
    assert_eq!(v["alerts"], 1, "{v}");
    assert_eq!(v["counters"]["sequence_evicted_keys"], n - 1000, "{v}");
    assert!(
        v["notices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["name"] == "sequence_evicted_keys"),
        "{v}"
    );
}

#[test]
fn keys_of_64_kib_are_bounded_by_the_key_cap() {
    let mut input = String::new();
    for i in 0..2_000u64 {
        let key = format!("{i:08}{}", "k".repeat(64 * 1024 - 8));
        input.push_str(&seq_event(1_000_000 + i, "start", &key));
    }
    let v = scan_sequence_with(
        "bigkeys",
        input.as_bytes(),
        &["--max-sequence-keys", "100", "--max-held-events", "100"],
    );
    assert_eq!(v["events"], 2_000, "{v}");
    assert_eq!(v["counters"]["sequence_evicted_keys"], 1_900, "{v}");
    // All 2,000 fall inside one reorder window: all but the last 100 are let go early.
    assert_eq!(v["counters"]["held_overflow"], 1_900, "{v}");
    // 2,000 keys of 64 KiB would hold 125 MiB; 100 of them hold 6.25 MiB.
    let peak = v["peak_memory_bytes"].as_u64().unwrap_or(0);
    assert!(peak < 100 << 20, "peak memory {peak} bytes: {v}");
}

#[test]
fn a_key_alternating_between_stages_forever_keeps_no_state() {
    let n = 20_000u64;
    let mut input = String::new();
    for i in 0..n {
        let kind = if i % 2 == 0 { "start" } else { "net" };
        input.push_str(&seq_event(1_000_000 + i, kind, "same"));
    }
    let v = scan_sequence("alternating", input.as_bytes(), "10");
    // Every start/network pair is one sequence; nothing piles up or is evicted.
    assert_eq!(v["alerts"], n / 2, "{v}");
    assert_eq!(
        v["counters"]["sequence_evicted_keys"].as_u64().unwrap_or(0),
        0,
        "{v}"
    );
}

/// `--threads N` writes what `--threads 1` writes, byte for byte, in every format; it
/// reports the same skipped lines and its `--stats` are the same (timings and memory
/// aside). On the sample and a benchmark-like stream with hostile lines.
#[test]
fn threads_write_what_one_thread_writes() {
    let dir = temp("threads");
    let stream = dir.join("stream.ndjson");
    std::fs::write(&stream, crate::threads::bench_like(3_000)).unwrap();
    let stream = stream.to_string_lossy().into_owned();
    let limit = crate::threads::MAX_LINE_BYTES.to_string();
    for format in ["jsonl", "json", "csv", "table"] {
        let run = |threads: &str| {
            let stats = dir.join(format!("stats-{format}-{threads}.json"));
            let (code, out, err) = eqlc(
                &[
                    "scan",
                    "--threads",
                    threads,
                    "--format",
                    format,
                    "--max-line-bytes",
                    &limit,
                    "--stats",
                    stats.to_str().unwrap(),
                    SAMPLE,
                    &stream,
                ],
                b"",
            );
            assert_eq!(code, 0, "{err}");
            let mut stats: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
            let fields = stats.as_object_mut().unwrap();
            fields.remove("seconds");
            fields.remove("peak_memory_bytes");
            let skipped: Vec<String> = err
                .lines()
                .filter(|l| l.contains("skipped"))
                .map(str::to_string)
                .collect();
            (text(&out), skipped, stats)
        };
        let one = run("1");
        assert!(one.2["alerts"].as_u64().unwrap() > 0, "{:?}", one.2);
        assert!(!one.1.is_empty());
        for threads in ["2", "3"] {
            assert_eq!(run(threads), one, "--threads {threads} --format {format}");
        }
    }
    let (code, _, err) = eqlc(&["scan", "--threads", "0", SAMPLE], b"");
    assert_eq!(code, 2, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
