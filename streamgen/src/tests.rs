//! Tests of the internals: the JSON writer and reader, key layouts, timestamps.

use std::collections::BTreeMap;

use crate::event::write_timestamp;
use crate::json::{walk, write_str, Scalar};
use crate::{Config, Generator, Shape};

/// Leaves of a line: (path, index, value as JSON text).
fn leaves(line: &[u8]) -> Vec<(String, Option<usize>, String)> {
    let mut out = Vec::new();
    walk(line, &mut |p, i, v| {
        let v = match v {
            Scalar::Str(s) => format!("{s:?}"),
            Scalar::Num(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Null => "null".to_string(),
            Scalar::EmptyArray => "[]".to_string(),
        };
        out.push((p.to_string(), i, v));
    })
    .unwrap_or_else(|at| panic!("invalid at {at}: {}", String::from_utf8_lossy(line)));
    out
}

fn lines(config: Config, n: usize) -> Vec<Vec<u8>> {
    let mut g = Generator::new(config);
    (0..n)
        .map(|_| {
            let mut v = Vec::new();
            g.next_event(&mut v);
            v
        })
        .collect()
}

fn shape(shape: Shape, seed: u64) -> Config {
    Config {
        seed,
        shape,
        late_share: 0.05,
        ..Config::default()
    }
}

#[test]
fn strings_escape_and_read_back() {
    let cases = [
        "plain",
        "C:\\Windows\\System32\\cmd.exe",
        "quote \" tab \t newline \n cr \r bell \u{7} nul \u{0}",
        "Jörg Δοκιμή 文档 emoji 🦀 slash / end",
        "",
    ];
    for s in cases {
        for escape_unicode in [false, true] {
            let mut out = Vec::new();
            write_str(&mut out, s.as_bytes(), escape_unicode);
            let back: String = serde_json::from_slice(&out).expect("valid JSON string");
            assert_eq!(back, s);
            if escape_unicode {
                assert!(out.is_ascii(), "{}", String::from_utf8_lossy(&out));
            }
            // And through our reader.
            let mut obj = b"{\"k\":".to_vec();
            obj.extend_from_slice(&out);
            obj.push(b'}');
            let l = leaves(&obj);
            assert_eq!(l, vec![("k".to_string(), None, format!("{s:?}"))]);
        }
    }
}

#[test]
fn reader_rejects_what_is_not_one_object() {
    for bad in [
        &b"[1,2]"[..],
        b"{\"a\":1",
        b"{\"a\":1}x",
        b"{\"a\":tru}",
        b"{\"a\":\"\\q\"}",
        b"{\"a\":\"\x01\"}",
        b"{a:1}",
        b"\"s\"",
        b"{\"a\":[1,[2]]}",
    ] {
        assert!(
            walk(bad, &mut |_, _, _| {}).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    let ok = br#" {"a":{"b.c":[1,"x",true,null]},"d":[],"e":-1.5e3} "#;
    let l = leaves(ok);
    assert_eq!(l.len(), 6);
    assert_eq!(l[0], ("a.b.c".to_string(), Some(0), "1".to_string()));
    assert_eq!(l[4], ("d".to_string(), None, "[]".to_string()));
}

#[test]
fn timestamps() {
    let mut out = Vec::new();
    write_timestamp(&mut out, crate::DEFAULT_START_MS);
    assert_eq!(out, b"2026-11-01T00:00:00.000Z");
    for (ms, text) in [
        (0, "1970-01-01T00:00:00.000Z"),
        (951_782_400_123, "2000-02-29T00:00:00.123Z"),
        (1_709_251_199_999, "2024-02-29T23:59:59.999Z"),
        (4_102_444_800_000, "2100-01-01T00:00:00.000Z"),
    ] {
        out.clear();
        write_timestamp(&mut out, ms);
        assert_eq!(String::from_utf8_lossy(&out), text);
    }
}

/// The three shapes carry the same fields and values, each field once.
#[test]
fn shapes_carry_the_same_leaves_once() {
    for seed in [1, 7] {
        let nested = lines(shape(Shape::Nested, seed), 3_000);
        let dotted = lines(shape(Shape::Dotted, seed), 3_000);
        let mixed = lines(shape(Shape::Mixed, seed), 3_000);
        for k in 0..nested.len() {
            let a = leaves(&nested[k]);
            assert_eq!(a, leaves(&dotted[k]), "dotted, event {k}");
            let mut m = leaves(&mixed[k]);
            let mut s = a.clone();
            m.sort();
            s.sort();
            assert_eq!(m, s, "mixed, event {k}");
            let mut paths: BTreeMap<&str, usize> = BTreeMap::new();
            for (p, i, _) in &a {
                if i.unwrap_or(0) == 0 {
                    *paths.entry(p).or_default() += 1;
                }
            }
            assert!(
                paths.values().all(|&n| n == 1),
                "a field twice in event {k}"
            );
        }
    }
}

#[test]
fn mixed_mixes_within_events() {
    let mixed = lines(shape(Shape::Mixed, 3), 2_000);
    let (mut nested_only, mut dotted_only, mut both, mut object_with_dotted_key) = (0, 0, 0, 0);
    for l in &mixed {
        let v: serde_json::Value = serde_json::from_slice(l).expect("JSON");
        let obj = v.as_object().expect("object");
        let has_obj = obj.values().any(|x| x.is_object());
        let has_dot = obj.keys().any(|k| k.contains('.'));
        match (has_obj, has_dot) {
            (true, false) => nested_only += 1,
            (false, true) => dotted_only += 1,
            (true, true) => both += 1,
            _ => {}
        }
        // {"process":{"parent.name":…}} : a dotted key inside an object.
        if obj
            .values()
            .filter_map(|x| x.as_object())
            .any(|o| o.keys().any(|k| k.contains('.')))
        {
            object_with_dotted_key += 1;
        }
    }
    assert!(nested_only > 200, "{nested_only}");
    assert!(dotted_only > 200, "{dotted_only}");
    assert!(both > 800, "{both}");
    assert!(object_with_dotted_key > 500, "{object_with_dotted_key}");
}

#[test]
fn escaped_unicode_events_exist() {
    let ls = lines(Config::default(), 20_000);
    let escaped = ls
        .iter()
        .filter(|l| l.windows(2).any(|w| w == b"\\u"))
        .count();
    let raw = ls.iter().filter(|l| !l.is_ascii()).count();
    // ~1% non-ASCII events, 40% of them \u-escaped.
    assert!((20..=200).contains(&escaped), "{escaped}");
    assert!((60..=300).contains(&raw), "{raw}");
    let tabs = ls
        .iter()
        .filter(|l| l.windows(2).any(|w| w == b"\\t"))
        .count();
    let quotes = ls
        .iter()
        .filter(|l| l.windows(2).any(|w| w == b"\\\""))
        .count();
    assert!(tabs > 100, "{tabs}");
    assert!(quotes > 1_000, "{quotes}");
}

mod props {
    use proptest::prelude::*;

    use super::leaves;
    use crate::{Config, Generator, Shape};

    fn events(config: Config, n: usize) -> Vec<Vec<u8>> {
        let mut g = Generator::new(config);
        (0..n)
            .map(|_| {
                let mut v = Vec::new();
                g.next_event(&mut v);
                v
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Any seed, late share and rare vocabulary (any text, any field name): every
        /// event is one valid JSON object, the same in all three shapes, deterministic.
        #[test]
        fn any_config_gives_valid_consistent_events(
            seed in any::<u64>(),
            late_share in 0.0f64..1.0,
            start_ms in 0i64..4_000_000_000_000,
            rare in proptest::collection::vec(
                (
                    prop_oneof![
                        Just("process.name".to_string()),
                        Just("process.args".to_string()),
                        Just("file.path".to_string()),
                        Just("destination.port".to_string()),
                        Just("source.ip".to_string()),
                        Just("event.type".to_string()),
                        Just("user.name".to_string()),
                        "[a-z.]{1,12}",
                    ],
                    proptest::collection::vec(any::<String>(), 0..4),
                ),
                0..6,
            ),
        ) {
            let base = Config { seed, late_share, start_ms, rare, ..Config::default() };
            let n = 60;
            let nested = events(Config { shape: Shape::Nested, ..base.clone() }, n);
            let dotted = events(Config { shape: Shape::Dotted, ..base.clone() }, n);
            let mixed = events(Config { shape: Shape::Mixed, ..base.clone() }, n);
            prop_assert_eq!(&nested, &events(Config { shape: Shape::Nested, ..base }, n));
            for k in 0..n {
                let v: serde_json::Value = serde_json::from_slice(&nested[k]).expect("JSON");
                prop_assert!(v.is_object());
                prop_assert!(!nested[k].contains(&b'\n'));
                let a = leaves(&nested[k]);
                prop_assert_eq!(&a, &leaves(&dotted[k]));
                let mut m = leaves(&mixed[k]);
                let mut s = a.clone();
                m.sort();
                s.sort();
                prop_assert_eq!(m, s);
            }
        }
    }
}
