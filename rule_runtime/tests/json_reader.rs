//! The JSON projector (`rule_runtime::json`) against its reference, `serde_json` +
//! `JsonEvent`: random JSON objects serialised by hand (so escapes, whitespace and
//! duplicate keys are under the test's control), random field tables over the same key
//! alphabet, and mutations of valid lines. Both must agree on accepting a line and, for
//! an accepted line, on every slot's values as a multiset.
//!
//! `PROPTEST_CASES=20000 cargo test -p rule_runtime --test json_reader` for a longer run;
//! `cargo test --release -p rule_runtime --test json_reader -- --ignored --nocapture`
//! prints a rough timing.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use rule_runtime::event::{Event, EventError, JsonEvent};
use rule_runtime::fields::{FieldTable, Fields};
use rule_runtime::json::{JsonErrorKind, JsonProjector, MAX_DEPTH};
use rule_runtime::value::Value;

/// A value comparable as a multiset member (floats by bits, so `-0.0 != 0.0`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum V {
    Null,
    Bool(bool),
    Int(i64),
    Float(u64),
    Str(String),
}

fn v(x: Value<'_>) -> V {
    match x {
        Value::Null => V::Null,
        Value::Bool(b) => V::Bool(b),
        Value::Int(i) => V::Int(i),
        Value::Float(f) => V::Float(f.to_bits()),
        Value::Str(s) => V::Str(s.into_owned()),
    }
}

/// Projects `line` with a projector and `Fields` that were used before (state must not
/// leak between lines) and checks it against `JsonEvent`. Returns whether it was
/// accepted.
fn check(
    line: &str,
    paths: &[String],
    projector: &mut JsonProjector,
    out: &mut Fields,
) -> Result<bool, TestCaseError> {
    let table = FieldTable::new(paths.iter().map(String::as_str));
    let ours = projector.project(line, &table, out);
    let reference = JsonEvent::parse(line);
    match (ours, reference) {
        (Ok(()), Ok(event)) => {
            let view = out.view(line);
            for (slot, path) in table.paths().enumerate() {
                let mut a: Vec<V> = view.slot(slot).iter().map(v).collect();
                let mut theirs = Vec::new();
                event.values(path, &mut theirs);
                let mut b: Vec<V> = theirs.into_iter().map(v).collect();
                a.sort();
                b.sort();
                prop_assert_eq!(a, b, "line {:?}, path {:?}", line, path);
            }
            Ok(true)
        }
        (Err(e), Err(r)) => {
            prop_assert!(out.is_empty());
            match (&r, e.kind) {
                (EventError::NotAnObject { found }, JsonErrorKind::NotAnObject(ours)) => {
                    prop_assert_eq!(*found, ours, "line {:?}", line)
                }
                (EventError::Syntax { message, .. }, JsonErrorKind::TooDeep) => {
                    prop_assert!(
                        message.contains("recursion limit"),
                        "{:?}: {}",
                        line,
                        message
                    )
                }
                (EventError::Syntax { message, .. }, JsonErrorKind::Syntax(_)) => {
                    prop_assert!(
                        !message.contains("recursion limit"),
                        "{:?}: {}",
                        line,
                        message
                    )
                }
                _ => prop_assert!(false, "line {:?}: serde_json: {}, ours: {}", line, r, e),
            }
            Ok(false)
        }
        (Ok(()), Err(r)) => Err(TestCaseError::fail(format!(
            "accepted {line:?}, serde_json: {r}"
        ))),
        (Err(e), Ok(_)) => Err(TestCaseError::fail(format!(
            "rejected {line:?} ({e}), serde_json accepts it"
        ))),
    }
}

// ---------------------------------------------------------------------------------------
// Random JSON, serialised by hand.

/// A character of a string or key and how to write it: 0 raw (escaped when JSON requires
/// it), 1 the short escape if it has one (`\/` for `/`), 2 a `\u` escape (a surrogate
/// pair beyond the BMP), lower-case hex, 3 the same in upper case.
#[derive(Debug, Clone)]
struct Piece(char, u8);

#[derive(Debug, Clone)]
enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(Vec<Piece>),
    Arr(Vec<J>),
    Obj(Vec<(Vec<Piece>, J)>),
}

fn write_pieces(pieces: &[Piece], s: &mut String) {
    s.push('"');
    for &Piece(c, style) in pieces {
        let short = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '/' => Some("\\/"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            _ => None,
        };
        let must_escape = c == '"' || c == '\\' || (c as u32) < 0x20;
        match (style, short) {
            (0, _) if !must_escape => s.push(c),
            (0 | 1, Some(e)) => s.push_str(e),
            (1, None) if !must_escape => s.push(c),
            _ => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    if style == 3 {
                        s.push_str(&format!("\\u{:04X}", u));
                    } else {
                        s.push_str(&format!("\\u{:04x}", u));
                    }
                }
            }
        }
    }
    s.push('"');
}

/// Serialises `j`; `ws` picks the whitespace between tokens.
fn write(j: &J, s: &mut String, ws: &mut impl FnMut(&mut String)) {
    match j {
        J::Null => s.push_str("null"),
        J::Bool(b) => s.push_str(if *b { "true" } else { "false" }),
        J::Num(n) => s.push_str(n),
        J::Str(p) => write_pieces(p, s),
        J::Arr(items) => {
            s.push('[');
            ws(s);
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                    ws(s);
                }
                write(item, s, ws);
                ws(s);
            }
            s.push(']');
        }
        J::Obj(members) => {
            s.push('{');
            ws(s);
            for (i, (k, item)) in members.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                    ws(s);
                }
                write_pieces(k, s);
                ws(s);
                s.push(':');
                ws(s);
                write(item, s, ws);
                ws(s);
            }
            s.push('}');
        }
    }
}

/// `j` as one line, with whitespace drawn from `seed` (mostly none).
fn line_of(j: &J, seed: u64) -> String {
    let mut state = seed | 1;
    let mut ws = move |s: &mut String| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        match state % 16 {
            0 => s.push(' '),
            1 => s.push_str(" \t"),
            2 => s.push_str("\r\n "),
            _ => {}
        }
    };
    let mut s = String::new();
    ws(&mut s);
    write(j, &mut s, &mut ws);
    ws(&mut s);
    s
}

fn segment() -> impl Strategy<Value = &'static str> {
    prop_oneof![4 => Just("a"), 4 => Just("b"), 2 => Just("c"), 1 => Just("")]
}

/// A dotted path of 1–3 segments (a table path).
fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), 1..=3).prop_map(|s| s.join("."))
}

/// A dotted key of 1–3 segments, mostly one (so that nested objects reach table paths).
fn dotted_key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::collection::vec(segment(), 1..=1),
        3 => prop::collection::vec(segment(), 2..=2),
        1 => prop::collection::vec(segment(), 3..=3),
    ]
    .prop_map(|s| s.join("."))
}

fn style() -> impl Strategy<Value = u8> {
    prop_oneof![8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8)]
}

/// A key: mostly a path of the table's alphabet (its characters written with random
/// escapes), sometimes a key no path reaches.
fn key() -> impl Strategy<Value = Vec<Piece>> {
    let text = prop_oneof![
        8 => dotted_key(),
        1 => Just("x".to_owned()),
        1 => Just("é\"\\/\n".to_owned()),
        1 => Just("a.b.c.d".to_owned()),
    ];
    (text, prop::collection::vec(style(), 8)).prop_map(|(t, styles)| {
        t.chars()
            .enumerate()
            .map(|(i, c)| Piece(c, styles[i % styles.len()]))
            .collect()
    })
}

fn string_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => prop::sample::select(vec![
            'a', 'z', ' ', '.', '"', '\\', '/', '\n', '\t', '\r', '\u{8}', '\u{c}', '\0',
            '\u{1}', '\u{1f}', '\u{7f}', 'é', '€', '😀', '\u{ffff}', '\u{10ffff}', '\u{fffd}',
            '\u{d7ff}', '\u{e000}',
        ]),
        1 => any::<char>(),
    ]
}

fn string() -> impl Strategy<Value = Vec<Piece>> {
    prop::collection::vec(
        (string_char(), style()).prop_map(|(c, s)| Piece(c, s)),
        0..8,
    )
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "0", "-0", "-0.0", "0.0", "1", "-1", "1.0", "1E2", "1e+2", "1e-2", "2.5E-3",
            "9223372036854775807", "9223372036854775808", "-9223372036854775808",
            "-9223372036854775809", "18446744073709551615", "18446744073709551616",
            "-18446744073709551616", "123456789012345678901234567890", "1e-400", "-1e-400",
            "0e999999999999", "1e-99999999999", "1.7976931348623157e308",
            "1.7976931348623158e308", "4.9e-324", "2.4703282292062327e-324",
            "2.4703282292062328e-324", "0.1", "100000000000000000000000e-30",
        ]).prop_map(str::to_owned),
        // Rarely out of range (the whole line is then rejected).
        1 => prop::sample::select(vec!["1e400", "-1.8e308", "1e999999999999"]).prop_map(str::to_owned),
        3 => any::<i64>().prop_map(|i| i.to_string()),
        1 => any::<u64>().prop_map(|i| i.to_string()),
        2 => any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| format!("{f:?}")),
        2 => any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| format!("{f:e}")),
        3 => "-?(0|[1-9][0-9]{0,24})(\\.[0-9]{1,24})?([eE][+-]?[0-9]{1,2})?",
    ]
}

fn leaf() -> impl Strategy<Value = J> {
    prop_oneof![
        1 => Just(J::Null),
        1 => any::<bool>().prop_map(J::Bool),
        3 => number().prop_map(J::Num),
        3 => string().prop_map(J::Str),
    ]
}

fn value() -> impl Strategy<Value = J> {
    leaf().prop_recursive(4, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(J::Arr),
            prop::collection::vec((key(), inner), 0..5).prop_map(J::Obj),
        ]
    })
}

/// `j` wrapped in `n` arrays and objects (`{"a":…}`, `{"b.c":…}`).
fn wrap(mut j: J, n: usize, shape: u64) -> J {
    for i in 0..n {
        j = match (shape >> (i % 64)) & 3 {
            0 | 1 => J::Arr(vec![j]),
            2 => J::Obj(vec![(vec![Piece('a', 0)], j)]),
            _ => J::Obj(vec![(vec![Piece('b', 0), Piece('.', 2), Piece('c', 0)], j)]),
        };
    }
    j
}

/// A random top-level object (now and then with a member nested close to the limit),
/// serialised.
fn event_line() -> impl Strategy<Value = String> {
    let deep = prop_oneof![
        12 => Just(None),
        1 => (MAX_DEPTH - 4..=MAX_DEPTH + 2, any::<u64>(), leaf(), key()).prop_map(Some),
    ];
    (
        prop::collection::vec((key(), value()), 0..8),
        deep,
        any::<u64>(),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(mut members, deep, seed, at)| {
            if let Some((levels, shape, leaf, k)) = deep {
                // The top-level object is one level; the wrapped leaf is the rest.
                let j = wrap(leaf, levels - 1, shape);
                members.insert(at.index(members.len() + 1), (k, j));
            }
            line_of(&J::Obj(members), seed)
        })
}

fn table() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(path(), 1..=8)
}

/// A key of the given text, its characters written with escapes picked by `bits`.
fn key_of(text: &str, bits: u64) -> Vec<Piece> {
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            let style = match (bits >> (2 * (i % 32))) & 0xF {
                0 => 2,
                1 => 3,
                2 => 1,
                _ => 0,
            };
            Piece(c, style)
        })
        .collect()
}

/// A member reaching `path` (or, from `shape`, a path that shares its first segments):
/// its segments grouped into dotted keys of nested objects, some objects wrapped in
/// arrays (with siblings), ending at `leaf`.
fn member_for(path: &str, shape: u64, leaf: J, sibling: J) -> (Vec<Piece>, J) {
    let mut segments: Vec<&str> = path.split('.').collect();
    // Now and then stop short of the path, or go past it.
    match shape & 15 {
        0 => {
            segments.pop();
        }
        1 => segments.push("b"),
        _ => {}
    }
    if segments.is_empty() {
        segments.push("a");
    }
    // Group the segments into keys: a break after segment i when bit i is set.
    let mut keys: Vec<String> = vec![segments[0].to_owned()];
    for (i, seg) in segments.iter().enumerate().skip(1) {
        if (shape >> (4 + i)) & 1 == 1 {
            keys.push((*seg).to_owned());
        } else {
            let last = keys.len() - 1;
            keys[last].push('.');
            keys[last].push_str(seg);
        }
    }
    let mut j = leaf;
    for (i, k) in keys.iter().enumerate().rev().take(keys.len() - 1) {
        j = J::Obj(vec![(key_of(k, shape >> 20), j)]);
        // Wrap the object in an array, maybe with a sibling element.
        match (shape >> (12 + 2 * i)) & 3 {
            0 => j = J::Arr(vec![j]),
            1 => j = J::Arr(vec![sibling.clone(), j]),
            _ => {}
        }
    }
    (key_of(&keys[0], shape >> 40), j)
}

/// A table and a line written to reach its paths (in every mix of nested objects,
/// dotted keys and arrays), with a few unrelated members, duplicates likely.
fn targeted() -> impl Strategy<Value = (String, Vec<String>)> {
    table()
        .prop_flat_map(|paths| {
            let n = paths.len();
            let reach = prop::collection::vec((0..n, any::<u64>(), value(), leaf()), 1..8);
            let others =
                prop::collection::vec((key(), value(), any::<prop::sample::Index>()), 0..3);
            (Just(paths), reach, others, any::<u64>())
        })
        .prop_map(|(paths, reach, others, seed)| {
            let mut members: Vec<(Vec<Piece>, J)> = reach
                .into_iter()
                .map(|(i, shape, leaf, sibling)| member_for(&paths[i], shape, leaf, sibling))
                .collect();
            for (k, j, at) in others {
                members.insert(at.index(members.len() + 1), (k, j));
            }
            (line_of(&J::Obj(members), seed), paths)
        })
}

/// Ways to break a line: cut it, insert a character, delete a character.
#[derive(Debug, Clone)]
enum Mutation {
    Truncate(prop::sample::Index),
    Insert(prop::sample::Index, char),
    Delete(prop::sample::Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let c = prop_oneof![
        6 => prop::sample::select(vec![
            '{', '}', '[', ']', ':', ',', '"', '\\', ' ', '\t', '\u{c}', '\u{a0}', '0', '1',
            '-', '+', '.', 'e', 'E', 'u', 'n', 't', 'x', 'd', '8', '\u{1}', '\n', 'é',
        ]),
        1 => any::<char>(),
    ];
    prop_oneof![
        1 => any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        3 => (any::<prop::sample::Index>(), c).prop_map(|(i, c)| Mutation::Insert(i, c)),
        2 => any::<prop::sample::Index>().prop_map(Mutation::Delete),
    ]
}

fn mutate(line: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = line.chars().collect();
    for m in mutations {
        match m {
            Mutation::Truncate(i) => {
                let at = i.index(chars.len() + 1);
                chars.truncate(at);
            }
            Mutation::Insert(i, c) => {
                let at = i.index(chars.len() + 1);
                chars.insert(at, *c);
            }
            Mutation::Delete(i) => {
                if !chars.is_empty() {
                    let at = i.index(chars.len());
                    chars.remove(at);
                }
            }
        }
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_events_agree_with_serde_json(
        line in event_line(),
        paths in table(),
        dirty in event_line(),
    ) {
        let (mut p, mut out) = (JsonProjector::new(), Fields::new());
        check(&dirty, &paths, &mut p, &mut out)?;
        check(&line, &paths, &mut p, &mut out)?;
    }

    #[test]
    fn targeted_events_agree_with_serde_json(
        (line, paths) in targeted(),
        dirty in event_line(),
    ) {
        let (mut p, mut out) = (JsonProjector::new(), Fields::new());
        check(&dirty, &paths, &mut p, &mut out)?;
        check(&line, &paths, &mut p, &mut out)?;
    }

    #[test]
    fn mutated_events_agree_with_serde_json(
        line in event_line(),
        mutations in prop::collection::vec(mutation(), 1..=3),
        paths in table(),
    ) {
        let (mut p, mut out) = (JsonProjector::new(), Fields::new());
        let broken = mutate(&line, &mutations);
        check(&line, &paths, &mut p, &mut out)?;
        check(&broken, &paths, &mut p, &mut out)?;
    }

    #[test]
    fn arbitrary_text_agrees_with_serde_json(text in "[ \\[\\]{}:,\"\\\\a-c.0-9eE+\\-ntrufls/\t\u{1}é]{0,24}", paths in table()) {
        let (mut p, mut out) = (JsonProjector::new(), Fields::new());
        check(&text, &paths, &mut p, &mut out)?;
        check(&format!("{{\"a\":{text}}}"), &paths, &mut p, &mut out)?;
        check(&format!("{{\"a\":\"{text}\"}}"), &paths, &mut p, &mut out)?;
    }
}

/// How often generated lines are accepted (the mix should exercise both outcomes).
#[test]
fn generated_lines_are_mostly_valid() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut p, mut out) = (JsonProjector::new(), Fields::new());
    let (mut accepted, mut broken_accepted) = (0, 0);
    for _ in 0..300 {
        let line = event_line().new_tree(&mut runner).unwrap().current();
        let paths = table().new_tree(&mut runner).unwrap().current();
        let ms = prop::collection::vec(mutation(), 1..=3)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        accepted += usize::from(check(&line, &paths, &mut p, &mut out).unwrap());
        let broken = mutate(&line, &ms);
        broken_accepted += usize::from(check(&broken, &paths, &mut p, &mut out).unwrap());
    }
    eprintln!("accepted {accepted}, mutated accepted {broken_accepted}");
    assert!(accepted > 150, "{accepted} of 300 generated lines accepted");
    assert!(
        (10..270).contains(&broken_accepted),
        "{broken_accepted} of 300 mutated lines accepted"
    );
}

/// A 1.5 KB ECS process event and a table of about 30 fields.
fn ecs_event() -> (String, Vec<&'static str>) {
    let line = r#"{"@timestamp":"2024-05-01T12:34:56.789Z","agent":{"id":"9e2f0f1c-1b2a-4c3d-8e9f-0a1b2c3d4e5f","type":"endpoint","version":"8.13.2"},"ecs":{"version":"8.11.0"},"event":{"action":"start","category":["process"],"dataset":"endpoint.events.process","id":"NqKo3c1Rz8Xh2Y4q","kind":"event","module":"endpoint","outcome":"success","type":["start"],"ingested":"2024-05-01T12:35:01Z"},"host":{"architecture":"x86_64","hostname":"WIN-DC01","id":"3f2504e0-4f89-11d3-9a0c-0305e82c3301","ip":["10.0.0.12","fe80::1c2b:3a4d:5e6f:7a8b"],"mac":["00-50-56-C0-00-08"],"name":"win-dc01","os":{"family":"windows","full":"Windows Server 2019 Datacenter 1809 (10.0.17763.5696)","kernel":"1809 (10.0.17763.5696)","name":"Windows","platform":"windows","type":"windows","version":"1809"}},"process":{"args":["C:\\Windows\\System32\\rundll32.exe","C:\\Windows\\System32\\comsvcs.dll,","MiniDump","624","C:\\Users\\Public\\lsass.dmp","full"],"args_count":6,"command_line":"\"C:\\Windows\\System32\\rundll32.exe\" C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\Users\\Public\\lsass.dmp full","entity_id":"ZGE0YzJmNmEtNjU5Zi00","executable":"C:\\Windows\\System32\\rundll32.exe","name":"rundll32.exe","pe":{"original_file_name":"RUNDLL32.EXE","company":"Microsoft Corporation","product":"Microsoft® Windows® Operating System"},"pid":4242,"parent":{"args":["C:\\Windows\\system32\\cmd.exe"],"command_line":"C:\\Windows\\system32\\cmd.exe","entity_id":"ZGE0YzJmNmEtNjU5Zi0x","executable":"C:\\Windows\\System32\\cmd.exe","name":"cmd.exe","pid":4100},"working_directory":"C:\\Windows\\system32\\","hash":{"sha256":"b53f3c0cd32d7f20849850768da6431e5f876b7bfa61db0aa0700b02873393fa"}},"user":{"domain":"CORP","id":"S-1-5-21-1004336348-1177238915-682003330-512","name":"Administrator"},"data_stream":{"dataset":"endpoint.events.process","namespace":"default","type":"logs"}}"#;
    let paths = vec![
        "@timestamp",
        "event.category",
        "event.type",
        "event.action",
        "event.kind",
        "event.outcome",
        "event.dataset",
        "host.os.family",
        "host.os.name",
        "host.os.type",
        "host.name",
        "host.ip",
        "process.name",
        "process.executable",
        "process.args",
        "process.args_count",
        "process.command_line",
        "process.pid",
        "process.entity_id",
        "process.pe.original_file_name",
        "process.parent.name",
        "process.parent.executable",
        "process.parent.command_line",
        "process.parent.args",
        "process.parent.entity_id",
        "process.working_directory",
        "process.hash.sha256",
        "user.name",
        "user.domain",
        "user.id",
        "dll.name",
        "file.path",
    ];
    (line.to_owned(), paths)
}

#[test]
fn ecs_event_agrees_with_serde_json() {
    let (line, paths) = ecs_event();
    let paths: Vec<String> = paths.into_iter().map(str::to_owned).collect();
    let (mut p, mut out) = (JsonProjector::new(), Fields::new());
    assert!(check(&line, &paths, &mut p, &mut out).unwrap());
    let table = FieldTable::new(paths.iter().map(String::as_str));
    p.project(&line, &table, &mut out).unwrap();
    let view = out.view(&line);
    let name = table.slot_of("process.parent.name").unwrap();
    assert_eq!(view.slot(name).strs().collect::<Vec<_>>(), ["cmd.exe"]);
}

/// Rough timing (release mode): projector vs serde_json + `fill_from_event`.
#[test]
#[ignore]
fn timing() {
    use std::hint::black_box;
    use std::time::Instant;
    let (line, paths) = ecs_event();
    let table = FieldTable::new(paths.iter().copied());
    let (mut p, mut out) = (JsonProjector::new(), Fields::new());
    let n = 200_000;
    for (name, iters) in [("warm-up", n / 10), ("projector", n)] {
        let t = Instant::now();
        for _ in 0..iters {
            p.project(black_box(&line), &table, &mut out).unwrap();
            black_box(out.view(&line).slot(0).len());
        }
        let ns = t.elapsed().as_nanos() as f64 / iters as f64;
        println!(
            "{name}: {ns:.0} ns per {}-byte event, {} fields",
            line.len(),
            table.len()
        );
    }
    let t = Instant::now();
    let m = n / 10;
    for _ in 0..m {
        let e = JsonEvent::parse(black_box(&line)).unwrap();
        out.fill_from_event(&e, &table);
        black_box(out.view("").slot(0).len());
    }
    let ns = t.elapsed().as_nanos() as f64 / m as f64;
    println!("serde_json + fill_from_event: {ns:.0} ns per event");
    let t = Instant::now();
    for _ in 0..m {
        let v: serde_json::Value = serde_json::from_str(black_box(&line)).unwrap();
        black_box(&v);
    }
    let ns = t.elapsed().as_nanos() as f64 / m as f64;
    println!("serde_json::from_str alone: {ns:.0} ns per event");
}
