//! Hand-written rules through the generator: every case is checked again with a fresh
//! interpreter (matches alert exactly as expected, near misses are silent), and the
//! expected near-miss kinds are produced.

use super::*;
use crate::ir::{lower_query, QueryIr, DEFAULT_CATEGORY_FIELD};
use serde_json::Value as Json;

fn rule(q: &str) -> RuleIr {
    let parsed = crate::parse_query(q).unwrap_or_else(|e| panic!("{q}: {e:?}"));
    lower_query("test-rule", "test", "test", DEFAULT_CATEGORY_FIELD, &parsed).unwrap()
}

/// Generates, re-checks every case, and returns the result.
fn gen(q: &str) -> (RuleIr, Generated) {
    let ir = rule(q);
    let g = generate(&ir, &GenOptions::default());
    for c in &g.cases {
        if let Err(e) = check_case(&ir, c) {
            panic!(
                "{q}\n{e}\n{}",
                serde_json::to_string_pretty(&c.events).unwrap()
            );
        }
        match c.kind {
            CaseKind::Match => assert!(!c.expect.is_empty(), "{}", c.name),
            CaseKind::NearMiss(_) => assert!(c.expect.is_empty(), "{}", c.name),
        }
    }
    assert!(g.matches().count() > 0, "{q}: no match; gaps {:#?}", g.gaps);
    (ir, g)
}

fn has_kinds(g: &Generated, kinds: &[NearMissKind]) {
    let got = g.near_miss_kinds();
    for k in kinds {
        assert!(
            got.contains(k),
            "{k:?} missing; got {got:?}\ncases: {:#?}\ngaps: {:#?}",
            g.cases.iter().map(|c| &c.name).collect::<Vec<_>>(),
            g.gaps
        );
    }
}

/// Every value of `path` in the matching cases' events (arrays flattened).
fn values_of(g: &Generated, path: &str) -> Vec<Json> {
    fn walk(v: &Json, path: &[&str], out: &mut Vec<Json>) {
        match (v, path.split_first()) {
            (Json::Array(xs), _) => xs.iter().for_each(|x| walk(x, path, out)),
            (v, None) => out.push(v.clone()),
            (Json::Object(m), Some((head, rest))) => {
                if let Some(x) = m.get(*head) {
                    walk(x, rest, out);
                }
                // Dotted keys.
                for k in 1..path.len() {
                    let key = path[..=k].join(".");
                    if let Some(x) = m.get(&key) {
                        walk(x, &path[k + 1..], out);
                    }
                }
            }
            _ => {}
        }
    }
    let parts: Vec<&str> = path.split('.').collect();
    let mut out = Vec::new();
    for c in g.matches() {
        for e in &c.events {
            walk(e, &parts, &mut out);
        }
    }
    out
}

#[test]
fn or_branches_each_get_a_match() {
    let (_, g) = gen(
        r#"process where process.name == "a.exe" or process.name == "b.exe" or (process.args : "x" and user.name == "root")"#,
    );
    assert_eq!(g.matches().count(), 3, "{:#?}", g.cases);
    let names = values_of(&g, "process.name");
    assert!(names.contains(&Json::from("a.exe")) && names.contains(&Json::from("b.exe")));
    assert!(values_of(&g, "user.name").contains(&Json::from("root")));
    has_kinds(&g, &[NearMissKind::AtomBroken, NearMissKind::CaseChanged]);
    assert!(g.gaps.is_empty(), "{:#?}", g.gaps);
}

#[test]
fn every_in_value_is_used() {
    let (_, g) = gen(
        r#"process where process.name in ("a.exe", "b.exe", "c.exe") and user.id != "S-1-5-18""#,
    );
    let names = values_of(&g, "process.name");
    for v in ["a.exe", "b.exe", "c.exe"] {
        assert!(names.contains(&Json::from(v)), "{v} not used: {names:?}");
    }
    has_kinds(
        &g,
        &[
            NearMissKind::AtomBroken,
            NearMissKind::ExclusionHit,
            NearMissKind::CaseChanged,
        ],
    );
}

#[test]
fn wildcards_are_filled_and_every_pattern_used() {
    let (_, g) = gen(
        r#"file where file.path : ("C:\\Users\\*\\x?.exe", "*.dll") and file.name like "Report*.DOC""#,
    );
    assert_eq!(g.matches().count(), 2);
    let paths = values_of(&g, "file.path");
    assert!(
        paths.contains(&Json::from("c:\\users\\gen\\xa.exe")),
        "{paths:?}"
    );
    assert!(paths.contains(&Json::from("sample.dll")), "{paths:?}");
    // `like` is case-sensitive: a case change of file.name is a near miss.
    has_kinds(&g, &[NearMissKind::AtomBroken, NearMissKind::CaseChanged]);
    assert!(g
        .near_misses()
        .any(|c| c.name.contains("case changed") && c.name.contains("file.name")));
}

#[test]
fn insensitive_comparisons_get_no_case_near_miss() {
    let (_, g) = gen(r#"process where process.name : "CMD.exe" and process.args in~ ("/C")"#);
    assert!(!g.near_miss_kinds().contains(&NearMissKind::CaseChanged));
    assert!(g.gaps.iter().any(|gap| gap.what == "case changed"));
    let (_, g) = gen(r#"process where process.name == "CMD.exe""#);
    has_kinds(&g, &[NearMissKind::CaseChanged]);
}

#[test]
fn ranges_numbers_and_arithmetic() {
    let (_, g) = gen(
        r#"network where destination.port >= 1024 and destination.port < 1030 and process.pid > 4 and process.pid % 2 == 0 and length(process.name) > 12"#,
    );
    let ports = values_of(&g, "destination.port");
    assert!(
        ports
            .iter()
            .all(|p| p.as_i64().is_some_and(|p| (1024..1030).contains(&p))),
        "{ports:?}"
    );
    has_kinds(&g, &[NearMissKind::AtomBroken]);
    assert!(
        g.gaps.iter().all(|gap| gap.what != "atom broken"),
        "{:#?}",
        g.gaps
    );
}

#[test]
fn cidr_match_and_its_negation() {
    let (_, g) = gen(
        r#"network where cidrMatch(destination.ip, "10.0.0.0/8", "192.168.0.0/16") and not cidrMatch(source.ip, "127.0.0.0/8", "::1")"#,
    );
    assert_eq!(g.matches().count(), 2);
    let ips = values_of(&g, "destination.ip");
    assert!(
        ips.contains(&Json::from("10.0.0.1")) && ips.contains(&Json::from("192.168.0.1")),
        "{ips:?}"
    );
    has_kinds(&g, &[NearMissKind::AtomBroken, NearMissKind::ExclusionHit]);
}

#[test]
fn regexes_generate_matching_strings() {
    let (_, g) = gen(
        r#"process where process.command_line regex~ """.*curl .*http.*""" and file.path regex ("""/var/run/\w+\.(pid|lock)""", """/tmp/[a-z]{3}""")"#,
    );
    assert_eq!(g.matches().count(), 2);
    let paths = values_of(&g, "file.path");
    assert!(paths.contains(&Json::from("/var/run/a.pid")), "{paths:?}");
    has_kinds(&g, &[NearMissKind::AtomBroken, NearMissKind::CaseChanged]);
}

#[test]
fn optional_fields_and_null_tests() {
    let (_, g) = gen(
        r#"process where ?process.parent.name == null and process.name != null and ?user.domain != "x" and process.executable == null"#,
    );
    assert!(values_of(&g, "process.parent.name").is_empty());
    assert!(!values_of(&g, "process.name").is_empty());
    has_kinds(&g, &[NearMissKind::AtomBroken, NearMissKind::ExclusionHit]);
}

#[test]
fn two_positives_on_one_field_make_an_array() {
    let (_, g) = gen(
        r#"process where process.args : "-enc" and process.args : "-nop" and not process.args : "-safe""#,
    );
    let c = g.matches().next().unwrap();
    let args = &c.events[0]["process"]["args"];
    assert!(args.is_array(), "{args}");
    has_kinds(&g, &[NearMissKind::AtomBroken, NearMissKind::ExclusionHit]);
}

#[test]
fn sequence_with_per_stage_keys() {
    let (ir, g) = gen(r#"sequence by host.id with maxspan=10s
             [process where process.name == "a.exe"] by process.entity_id
             [network where destination.port == 443] by process.entity_id"#);
    let m = g.matches().next().unwrap();
    assert_eq!(m.expect, vec![vec![Some(0), Some(1)]]);
    assert_eq!(m.events[0]["@timestamp"], Json::from(EPOCH));
    assert_eq!(m.events[0]["host"]["id"], m.events[1]["host"]["id"]);
    has_kinds(
        &g,
        &[
            NearMissKind::AtomBroken,
            NearMissKind::JoinKeyChanged,
            NearMissKind::StagesSwapped,
            NearMissKind::MaxspanExceeded,
            NearMissKind::CaseChanged,
        ],
    );
    // The maxspan near miss spans exactly maxspan + 1.
    let c = g
        .near_misses()
        .find(|c| c.kind == CaseKind::NearMiss(NearMissKind::MaxspanExceeded))
        .unwrap();
    let t =
        |e: &Json| rule_runtime::time::parse_timestamp(e["@timestamp"].as_str().unwrap()).unwrap();
    assert_eq!(t(&c.events[1]) - t(&c.events[0]), 10_001);
    let _ = ir;
}

#[test]
fn positional_keys_may_be_different_fields() {
    let (_, g) = gen(r#"sequence with maxspan=1m
             [file where file.extension == "exe"] by file.path
             [process where true] by process.executable"#);
    let m = g.matches().next().unwrap();
    assert_eq!(
        m.events[0]["file"]["path"],
        m.events[1]["process"]["executable"]
    );
    has_kinds(
        &g,
        &[NearMissKind::JoinKeyChanged, NearMissKind::MaxspanExceeded],
    );
}

#[test]
fn runs_expand_to_repeated_stages() {
    let (_, g) = gen(
        r#"sequence by user.name with maxspan=1m [authentication where event.outcome == "failure"] with runs=3"#,
    );
    let m = g.matches().next().unwrap();
    assert_eq!(m.events.len(), 3);
    assert_eq!(m.expect, vec![vec![Some(0), Some(1), Some(2)]]);
    has_kinds(
        &g,
        &[
            NearMissKind::AtomBroken,
            NearMissKind::JoinKeyChanged,
            NearMissKind::MaxspanExceeded,
        ],
    );
    // Swapping identical stages cannot stop the alert: reported, not faked.
    assert!(g.gaps.iter().any(|gap| gap.what == "stages swapped"));
}

#[test]
fn until_event_breaks_the_sequence() {
    let (_, g) = gen(r#"sequence by process.entity_id
             [process where process.name == "a"]
             [file where file.name == "b"]
           until [process where event.type == "end"]"#);
    has_kinds(
        &g,
        &[NearMissKind::UntilInserted, NearMissKind::StagesSwapped],
    );
    let c = g
        .near_misses()
        .find(|c| c.kind == CaseKind::NearMiss(NearMissKind::UntilInserted))
        .unwrap();
    assert_eq!(c.events.len(), 3);
}

#[test]
fn missing_events_leading_middle_trailing() {
    for q in [
        r#"sequence by host.id with maxspan=1m ![process where process.name == "x"] [process where process.name == "a"] [process where process.name == "b"]"#,
        r#"sequence by host.id with maxspan=1m [process where process.name == "a"] ![process where process.name == "x"] [process where process.name == "b"]"#,
        r#"sequence by host.id with maxspan=1m [process where process.name == "a"] [process where process.name == "b"] ![process where process.name == "x"]"#,
        r#"sequence by host.id with maxspan=1m ![process where process.name == "x"] [process where process.name == "a"] ![process where process.name == "y"]"#,
    ] {
        let (ir, g) = gen(q);
        let m = g.matches().next().unwrap();
        let QueryIr::Sequence(s) = &ir.query else {
            panic!()
        };
        for (i, st) in s.stages.iter().enumerate() {
            assert_eq!(
                m.expect[0][i].is_none(),
                st.kind == crate::ir::StageKind::Missing,
                "{q}: {:?}",
                m.expect
            );
        }
        has_kinds(
            &g,
            &[NearMissKind::MissingPresent, NearMissKind::AtomBroken],
        );
    }
}

#[test]
fn samples_share_keys() {
    let (_, g) = gen(
        r#"sample by host.id [process where process.name == "a"] [network where destination.port == 22]"#,
    );
    let m = g.matches().next().unwrap();
    assert_eq!(m.expect, vec![vec![Some(0), Some(1)]]);
    assert_eq!(m.events[0]["host"]["id"], m.events[1]["host"]["id"]);
    has_kinds(
        &g,
        &[NearMissKind::JoinKeyChanged, NearMissKind::AtomBroken],
    );
}

#[test]
fn multi_field_literals_are_searched() {
    let (_, g) = gen(
        r#"authentication where user.name : "*$" and startswith~(host.name, substring(user.name, 0, -1)) and not endswith(string(source.ip), string(host.ip))"#,
    );
    assert!(g.matches().count() > 0);
    has_kinds(&g, &[NearMissKind::AtomBroken]);
}

#[test]
fn generation_is_deterministic_and_seeded() {
    let list: Vec<String> = (0..200).map(|i| format!("\"v{i}.exe\"")).collect();
    let q = format!("process where process.name in ({})", list.join(", "));
    let ir = rule(&q);
    let options = GenOptions {
        max_branches: 8,
        ..GenOptions::default()
    };
    let a = generate(&ir, &options);
    let b = generate(&ir, &options);
    assert_eq!(a, b);
    assert_eq!(a.matches().count(), 8);
    assert!(
        a.gaps.iter().any(|g| g.category() == "branch cap reached"),
        "{:#?}",
        a.gaps
    );
    let c = generate(&ir, &GenOptions { seed: 7, ..options });
    assert_ne!(a.cases[0].events, c.cases[0].events);
}

#[test]
fn near_misses_can_be_switched_off() {
    let ir = rule(r#"process where process.name == "a""#);
    let g = generate(
        &ir,
        &GenOptions {
            near_misses: false,
            ..GenOptions::default()
        },
    );
    assert_eq!(g.cases.len(), 1);
    assert!(g.near_misses().next().is_none());
}

#[test]
fn a_false_condition_is_a_gap() {
    let ir = rule(r#"process where false"#);
    let g = generate(&ir, &GenOptions::default());
    assert!(g.cases.is_empty());
    assert_eq!(g.gaps[0].reason, "condition is always false");
}

#[test]
fn a_conjunctive_exclusion_is_hit_as_a_whole() {
    let (_, g) = gen(
        r#"process where process.name == "a.exe" and not (process.parent.name == "b.exe" and user.name == "svc")"#,
    );
    let hit = g
        .near_misses()
        .find(|c| c.kind == CaseKind::NearMiss(NearMissKind::ExclusionHit))
        .unwrap_or_else(|| panic!("no exclusion hit: {:#?}", g.cases));
    let e = &hit.events[0];
    assert_eq!(e["process"]["parent"]["name"], Json::from("b.exe"), "{e}");
    assert_eq!(e["user"]["name"], Json::from("svc"), "{e}");
    assert_eq!(e["process"]["name"], Json::from("a.exe"), "{e}");
}

#[test]
fn atom_near_misses_spread_over_literals() {
    let (_, g) = gen(
        r#"process where host.os.type == "linux" and process.name == "curl" and process.args == "-o" and user.id == "0""#,
    );
    let broken: Vec<&str> = g
        .near_misses()
        .filter(|c| c.kind == CaseKind::NearMiss(NearMissKind::AtomBroken))
        .map(|c| c.name.as_str())
        .collect();
    assert!(broken.len() >= 3, "{broken:#?}");
    // The generic host.os.type literal comes after the specific ones.
    assert!(broken[0].contains("process.name"), "{broken:#?}");
}

#[test]
#[ignore]
fn tmp_dump_rules() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
    let (rules, _) = crate::codegen::rules_from_dir(&dir).unwrap();
    let only = std::env::var("DUMP_RULE").unwrap_or_default();
    for r in &rules {
        if !r.file.contains(&only) {
            continue;
        }
        let g = generate(&r.ir, &GenOptions::default());
        println!("=== {}", r.file);
        for c in &g.cases {
            println!(
                "{}\n  {}",
                c.name,
                serde_json::to_string(&c.events).unwrap()
            );
        }
        for gap in &g.gaps {
            println!("GAP {} -- {}", gap.what, gap.reason);
        }
    }
}
