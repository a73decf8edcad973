//! The stream's figures, tested over 20,000 events with generous but failing-capable
//! bounds.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use serde_json::Value;
use streamgen::{Config, Generator, Shape, StreamStats, TAIL_BYTES};

const N: usize = 20_000;

fn stream(config: Config, n: usize) -> Vec<u8> {
    Generator::new(config).ndjson(n)
}

fn parse(bytes: &[u8]) -> Vec<(usize, Value)> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let v: Value = serde_json::from_slice(l)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(l)));
            assert!(v.is_object());
            (l.len(), v)
        })
        .collect()
}

/// A stream's bytes, its events (line length, value) and its figures.
type Parsed = (Vec<u8>, Vec<(usize, Value)>, StreamStats);

/// The default stream, generated and parsed once.
fn default_stream() -> &'static Parsed {
    static S: OnceLock<Parsed> = OnceLock::new();
    S.get_or_init(|| {
        let bytes = stream(Config::default(), N);
        let events = parse(&bytes);
        let stats = StreamStats::of(&bytes);
        (bytes, events, stats)
    })
}

/// A field of a nested event by dotted path.
fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

fn get_str<'a>(v: &'a Value, path: &str) -> Option<&'a str> {
    get(v, path).and_then(Value::as_str)
}

fn first_category(v: &Value) -> &str {
    get(v, "event.category")
        .and_then(|c| c.get(0))
        .and_then(Value::as_str)
        .unwrap_or("-")
}

fn between(what: &str, x: f64, lo: f64, hi: f64) {
    assert!(lo <= x && x <= hi, "{what}: {x:.4} not in [{lo}, {hi}]");
}

#[test]
fn deterministic() {
    let a = stream(Config::default(), 2_000);
    let b = stream(Config::default(), 2_000);
    assert_eq!(a, b);
    let c = stream(
        Config {
            seed: 2,
            ..Config::default()
        },
        2_000,
    );
    assert_ne!(a, c);
    // next_event and ndjson agree.
    let mut g = Generator::new(Config::default());
    let mut one = Vec::new();
    for _ in 0..2_000 {
        g.next_event(&mut one);
        one.push(b'\n');
    }
    assert_eq!(one, a);
    for shape in [Shape::Dotted, Shape::Mixed] {
        let config = Config {
            shape,
            late_share: 0.2,
            ..Config::default()
        };
        assert_eq!(stream(config.clone(), 1_000), stream(config, 1_000));
    }
}

#[test]
fn default_config() {
    let c = Config::default();
    assert_eq!(c.seed, 1);
    assert_eq!(c.shape, Shape::Nested);
    assert_eq!(c.late_share, 0.0);
    assert_eq!(c.start_ms, streamgen::DEFAULT_START_MS);
    assert!(c.rare.is_empty());
    let (_, events, _) = default_stream();
    assert_eq!(
        get_str(&events[0].1, "@timestamp").map(|t| &t[..13]),
        Some("2026-11-01T00")
    );
}

#[test]
fn every_line_is_one_object_in_every_shape() {
    for shape in [Shape::Nested, Shape::Dotted, Shape::Mixed] {
        let bytes = stream(
            Config {
                shape,
                seed: 11,
                ..Config::default()
            },
            3_000,
        );
        assert!(std::str::from_utf8(&bytes).is_ok());
        assert_eq!(bytes.last(), Some(&b'\n'));
        let events = parse(&bytes);
        assert_eq!(events.len(), 3_000);
        let nested = events
            .iter()
            .filter(|(_, v)| v.as_object().unwrap().values().any(Value::is_object))
            .count();
        let dotted = events
            .iter()
            .filter(|(_, v)| v.as_object().unwrap().keys().any(|k| k.contains('.')))
            .count();
        match shape {
            Shape::Nested => assert_eq!((nested, dotted), (3_000, 0)),
            Shape::Dotted => assert_eq!((nested, dotted), (0, 3_000)),
            Shape::Mixed => {
                assert!(nested > 1_500 && dotted > 1_500, "{nested} {dotted}");
            }
        }
        let stats = StreamStats::of(&bytes);
        assert_eq!(stats.invalid_lines, 0);
        assert_eq!(stats.events, 3_000);
    }
}

#[test]
fn category_mix() {
    let (_, events, stats) = default_stream();
    let mut mix: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, v) in events {
        *mix.entry(first_category(v)).or_default() += 1;
    }
    for (cat, share, tol) in [
        ("process", 0.45, 0.02),
        ("network", 0.25, 0.02),
        ("file", 0.20, 0.02),
        ("authentication", 0.05, 0.01),
        ("registry", 0.05, 0.01),
    ] {
        let n = mix.get(cat).copied().unwrap_or(0);
        between(cat, n as f64 / N as f64, share - tol, share + tol);
        assert_eq!(stats.per_category.get(cat), Some(&n));
    }
    assert_eq!(mix.len(), 5, "{mix:?}");
}

#[test]
fn sizes() {
    let (bytes, events, stats) = default_stream();
    assert_eq!(stats.events, N);
    assert_eq!(stats.bytes, bytes.len());
    between("median bytes", stats.median_bytes as f64, 1_000.0, 1_800.0);
    between("tail share", stats.share(stats.tail_events), 0.03, 0.08);
    assert!(stats.max_bytes <= 17 * 1024, "max {}", stats.max_bytes);
    assert!(stats.max_bytes >= 12 * 1024, "max {}", stats.max_bytes);
    let tail = events.iter().filter(|(n, _)| *n >= TAIL_BYTES).count();
    assert_eq!(tail, stats.tail_events);
    // The tail is long command lines, script blocks and argument lists.
    for (n, v) in events.iter().filter(|(n, _)| *n >= 5_000) {
        let cmd = get_str(v, "process.command_line").map_or(0, str::len);
        let args = get(v, "process.args").map_or(0, |a| a.to_string().len());
        let script = get_str(v, "powershell.file.script_block_text").map_or(0, str::len);
        assert!(cmd + args + script > n / 2, "{n} bytes: {v}");
    }
}

#[test]
fn windows_share_hosts_and_users() {
    let (bytes, events, stats) = default_stream();
    between(
        "windows events",
        stats.share(stats.windows_events),
        0.29,
        0.38,
    );
    let mut hosts: HashMap<&str, &str> = HashMap::new();
    let mut users = HashSet::new();
    let mut escaped = 0;
    let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    for (k, (_, v)) in events.iter().enumerate() {
        let os = get_str(v, "host.os.type").unwrap_or("-");
        if let Some(h) = get_str(v, "host.name") {
            hosts.insert(h, os);
        }
        if let Some(u) = get_str(v, "user.name") {
            users.insert(u);
        }
        if os == "windows" && lines[k].windows(2).any(|w| w == b"\\\\") {
            escaped += 1;
        }
    }
    between("hosts", hosts.len() as f64, 800.0, 1_000.0);
    let win = hosts.values().filter(|o| **o == "windows").count();
    between("windows hosts", win as f64 / hosts.len() as f64, 0.28, 0.38);
    assert!(hosts.values().any(|o| *o == "macos"));
    between("users", users.len() as f64, 1_500.0, 5_100.0);
    // Backslash paths: JSON escapes in nearly every Windows event.
    between(
        "escaped windows",
        escaped as f64 / stats.windows_events as f64,
        0.9,
        1.0,
    );
}

#[test]
fn non_ascii_share() {
    let (_, events, stats) = default_stream();
    between(
        "non-ASCII",
        stats.share(stats.non_ascii_events),
        0.005,
        0.02,
    );
    let exotic_users = events
        .iter()
        .filter(|(_, v)| get_str(v, "user.name").is_some_and(|u| !u.is_ascii()))
        .count();
    assert!(exotic_users > 50, "{exotic_users}");
}

fn epoch_ms(ts: &str) -> i64 {
    let b = ts.as_bytes();
    assert_eq!(b.len(), 24, "{ts}");
    assert_eq!(
        (b[4], b[7], b[10], b[13], b[16], b[19], b[23]),
        (b'-', b'-', b'T', b':', b':', b'.', b'Z')
    );
    let n = |r: std::ops::Range<usize>| ts[r].parse::<i64>().expect("digits");
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    // days_from_civil
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400_000 + n(11..13) * 3_600_000 + n(14..16) * 60_000 + n(17..19) * 1000 + n(20..23)
}

#[test]
fn timestamps_monotone_unless_late() {
    let (_, events, stats) = default_stream();
    assert_eq!(stats.late_events, 0);
    let mut prev = 0;
    for (_, v) in events {
        let t = epoch_ms(get_str(v, "@timestamp").expect("@timestamp"));
        assert!(t > prev || prev == 0);
        assert!(prev == 0 || t - prev <= 20);
        prev = t;
    }
    assert_eq!(
        epoch_ms(get_str(&events[0].1, "@timestamp").unwrap()) - streamgen::DEFAULT_START_MS,
        epoch_ms(get_str(&events[0].1, "@timestamp").unwrap()) - 1_793_491_200_000
    );

    let late = Config {
        late_share: 0.1,
        start_ms: 1_700_000_000_000,
        ..Config::default()
    };
    let bytes = stream(late, N);
    let stats = StreamStats::of(&bytes);
    between("late", stats.share(stats.late_events), 0.08, 0.12);
    let mut max = 0;
    let mut late_seen = 0;
    for (_, v) in parse(&bytes) {
        let t = epoch_ms(get_str(&v, "@timestamp").unwrap());
        assert!(t >= 1_700_000_000_000 - 30_000);
        if t < max {
            late_seen += 1;
            between("lateness", (max - t) as f64, 900.0, 30_000.0);
        }
        max = max.max(t);
    }
    assert_eq!(late_seen, stats.late_events);
}

#[test]
fn entity_ids_unique_per_start_and_reused() {
    let (_, events, _) = default_stream();
    let mut started: HashSet<&str> = HashSet::new();
    let mut seen: HashSet<&str> = HashSet::new();
    let (mut acting, mut reused) = (0, 0);
    for (_, v) in events {
        let cat = first_category(v);
        let id = get_str(v, "process.entity_id");
        let start = get(v, "event.type")
            .and_then(Value::as_array)
            .is_some_and(|t| t.iter().any(|x| x == "start"));
        match (cat, id) {
            ("process", Some(id)) => {
                if start {
                    assert!(started.insert(id), "entity id {id} started twice");
                }
                seen.insert(id);
            }
            ("file" | "network", Some(id)) => {
                acting += 1;
                reused += usize::from(seen.contains(id));
            }
            ("file" | "network", None) => acting += 1,
            _ => {}
        }
    }
    assert!(started.len() > 7_000, "{}", started.len());
    between("entity id reuse", reused as f64 / acting as f64, 0.62, 0.78);
}

#[test]
fn process_fields() {
    let (_, events, _) = default_stream();
    let (mut starts, mut counted, mut win_pe, mut win_starts, mut multi_type) = (0, 0, 0, 0, 0);
    let (mut win_endpoint, mut signed, mut with_pid) = (0, 0, 0);
    let mut names: HashSet<String> = HashSet::new();
    for (_, v) in events {
        if get(v, "event.type")
            .and_then(Value::as_array)
            .is_some_and(|t| t.len() > 1)
        {
            multi_type += 1;
        }
        if first_category(v) != "process"
            || get_str(v, "event.action").is_some_and(|a| a.contains("Remote"))
        {
            continue;
        }
        let start = get(v, "event.type").and_then(|t| t.get(0)) == Some(&Value::from("start"));
        if !start {
            continue;
        }
        starts += 1;
        if let Some(n) = get_str(v, "process.name") {
            names.insert(n.to_lowercase());
        }
        if let (Some(args), Some(count)) = (
            get(v, "process.args").and_then(Value::as_array),
            get(v, "process.args_count").and_then(Value::as_i64),
        ) {
            if !args.is_empty() {
                assert_eq!(args.len() as i64, count, "{v}");
                counted += 1;
            }
        }
        if get_str(v, "host.os.type") == Some("windows") {
            win_starts += 1;
            if get_str(v, "process.pe.original_file_name").is_some()
                && get_str(v, "process.hash.sha256").is_some()
            {
                win_pe += 1;
            }
            if get_str(v, "event.dataset") == Some("endpoint.events.process") {
                win_endpoint += 1;
                signed += usize::from(get(v, "process.code_signature.subject_name").is_some());
            }
        }
        with_pid += usize::from(get(v, "process.pid").and_then(Value::as_i64).is_some());
    }
    assert!(starts > 6_000, "{starts}");
    between(
        "args_count checked",
        counted as f64 / starts as f64,
        0.95,
        1.0,
    );
    between(
        "windows PE data",
        win_pe as f64 / win_starts as f64,
        0.9,
        1.0,
    );
    between("signed", signed as f64 / win_endpoint as f64, 0.9, 1.0);
    between("with pid", with_pid as f64 / starts as f64, 0.97, 1.0);
    between("process names", names.len() as f64, 80.0, 160.0);
    between(
        "multi-valued event.type",
        multi_type as f64 / N as f64,
        0.02,
        0.2,
    );
}

#[test]
fn dirt_case_nulls_empty_arrays() {
    let (bytes, events, _) = default_stream();
    // Random case: Linux process names are lower case in the catalog.
    let (mut linux, mut odd_case) = (0, 0);
    for (_, v) in events {
        if get_str(v, "host.os.type") == Some("linux") {
            if let Some(n) = get_str(v, "process.name") {
                linux += 1;
                odd_case += usize::from(n.chars().any(|c| c.is_ascii_uppercase()));
            }
        }
    }
    between("odd case", odd_case as f64 / linux as f64, 0.03, 0.15);
    let lines: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let nulls = lines
        .iter()
        .filter(|l| l.windows(5).any(|w| w == b":null"))
        .count();
    let empty = lines
        .iter()
        .filter(|l| l.windows(3).any(|w| w == b":[]"))
        .count();
    between("nulls", nulls as f64 / N as f64, 0.002, 0.01);
    between("empty arrays", empty as f64 / N as f64, 0.003, 0.03);
    // 2% miss one field: count events of a fixed kind lacking a field the kind has.
    let mut fields: HashMap<String, usize> = HashMap::new();
    let mut kind_total = 0;
    for (_, v) in events {
        if get_str(v, "event.dataset") == Some("endpoint.events.file")
            && get_str(v, "host.os.type") == Some("linux")
        {
            kind_total += 1;
            let mut paths = Vec::new();
            flatten(v, String::new(), &mut paths);
            for p in paths {
                *fields.entry(p).or_default() += 1;
            }
        }
    }
    let core = [
        "user.name",
        "process.pid",
        "process.entity_id",
        "process.name",
        "file.path",
        "host.id",
        "agent.id",
    ];
    let missing: usize = core
        .iter()
        .map(|f| kind_total - fields.get(*f).copied().unwrap_or(0))
        .sum();
    assert!(
        missing > 0 && missing < kind_total / 20,
        "{missing} of {kind_total}"
    );
}

fn flatten(v: &Value, prefix: String, out: &mut Vec<String>) {
    match v.as_object() {
        Some(o) => {
            for (k, x) in o {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(x, p, out);
            }
        }
        None => out.push(prefix),
    }
}

#[test]
fn rare_vocabulary() {
    let config = Config {
        seed: 5,
        rare: vec![
            (
                "process.name".into(),
                vec!["mimikatz.exe".into(), "psexec.exe".into()],
            ),
            ("destination.port".into(), vec!["4444".into()]),
            ("process.args".into(), vec!["-enc".into()]),
            ("file.name".into(), vec!["evil \"quoted\" \\ né.hta".into()]),
            ("source.ip".into(), vec!["192.168.0.0/16".into()]),
            ("no.such.field".into(), vec!["x".into()]),
        ],
        ..Config::default()
    };
    let bytes = stream(config, N);
    let events = parse(&bytes);
    let count = |path: &str, hit: &dyn Fn(&Value) -> bool| {
        let (mut eligible, mut hits) = (0, 0);
        for (_, v) in &events {
            if let Some(x) = get(v, path) {
                eligible += 1;
                hits += usize::from(hit(x));
            }
        }
        (eligible, hits)
    };
    let (e, h) = count("process.name", &|x| {
        x == "mimikatz.exe" || x == "psexec.exe"
    });
    between("rare process.name", h as f64 / e as f64, 0.005, 0.02);
    let (e, h) = count("destination.port", &|x| x == 4444);
    between("rare destination.port", h as f64 / e as f64, 0.004, 0.025);
    let (e, h) = count("process.args", &|x| {
        x.as_array().is_some_and(|a| a.iter().any(|s| s == "-enc"))
    });
    between("rare process.args", h as f64 / e as f64, 0.005, 0.02);
    let (e, h) = count("file.name", &|x| x == "evil \"quoted\" \\ né.hta");
    between("rare file.name", h as f64 / e as f64, 0.004, 0.025);
    let (e, h) = count("source.ip", &|x| x == "192.168.0.0");
    between("rare source.ip", h as f64 / e as f64, 0.004, 0.025);
    // Names and paths agree.
    for (_, v) in &events {
        if let (Some(n @ ("mimikatz.exe" | "psexec.exe")), Some(exe)) =
            (get_str(v, "process.name"), get_str(v, "process.executable"))
        {
            assert!(exe.ends_with(n), "{exe} / {n}");
        }
        if let (Some(n), Some(p)) = (get_str(v, "file.name"), get_str(v, "file.path")) {
            if n.starts_with("evil") {
                assert!(p.ends_with(n), "{p} / {n}");
            }
        }
    }
}

#[test]
fn stats_of_handmade_input() {
    let input = b"{\"@timestamp\":\"2026-11-01T00:00:01.000Z\",\"event\":{\"category\":[\"process\"]},\"host\":{\"os\":{\"type\":\"windows\"}}}\n\
        {\"@timestamp\":\"2026-11-01T00:00:00.500Z\",\"event.category\":\"file\",\"user.name\":\"J\\u00f6rg\"}\r\n\
        \n\
        not json\n\
        {\"x\":1}";
    let s = StreamStats::of(input);
    assert_eq!(s.events, 4);
    assert_eq!(s.invalid_lines, 1);
    assert_eq!(s.bytes, input.len());
    assert_eq!(s.windows_events, 1);
    assert_eq!(s.non_ascii_events, 1);
    assert_eq!(s.late_events, 1);
    assert_eq!(s.per_category.get("process"), Some(&1));
    assert_eq!(s.per_category.get("file"), Some(&1));
    assert_eq!(s.per_category.get("-"), Some(&1));
    assert_eq!(
        s.max_bytes,
        input.split(|&b| b == b'\n').map(<[u8]>::len).max().unwrap()
    );
    let shown = s.to_string();
    assert!(shown.contains("4 events"), "{shown}");
}
