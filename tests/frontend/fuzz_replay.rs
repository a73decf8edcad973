//! The fuzz targets (`fuzz/`, cargo-fuzz on nightly) replayed on stable: the same code
//! (`fuzz/src/lib.rs`, included here) over the project's own rules, test streams and
//! event streams, hostile inputs written here, the kept corpus (`fuzz/corpus/<target>/`)
//! and every finding kept as a regression (`fuzz/regressions/<target>/`). A panic is a
//! finding.

#[allow(dead_code)]
#[path = "../../fuzz/src/lib.rs"]
mod eqlc_fuzz;

use std::path::{Path, PathBuf};

use eqlc_fuzz::{EventFixture, FrontEnd, Reached};

/// Files of `dir` (not recursive) ending in one of `exts`, sorted; none if absent.
fn files(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            exts.is_empty() || exts.iter().any(|x| name.ends_with(x))
        })
        .collect();
    out.sort();
    out
}

/// The kept corpus and the regressions of a target.
fn kept(target: &str) -> Vec<PathBuf> {
    let fuzz = crate::root().join("fuzz");
    let mut out = files(&fuzz.join("corpus").join(target), &[]);
    out.extend(files(&fuzz.join("regressions").join(target), &[]));
    out
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn rule_front_end_replay() {
    let front_end = FrontEnd::new(&crate::root());
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for p in files(&crate::root().join("rules"), &[".toml", ".eql"]) {
        inputs.push((p.display().to_string(), read(&p)));
    }
    for p in files(&crate::root().join("tests/compiled/kql_rules"), &[".toml"]) {
        inputs.push((p.display().to_string(), read(&p)));
    }
    for p in kept("rule_front_end") {
        inputs.push((p.display().to_string(), read(&p)));
    }
    let hostile: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"process where".to_vec(),
        format!(
            "process where {}true{}",
            "(".repeat(10_000),
            ")".repeat(10_000)
        )
        .into_bytes(),
        format!("process where {}true", "not ".repeat(10_000)).into_bytes(),
        format!("process where a == {}1", "-".repeat(10_000)).into_bytes(),
        b"process where process.name == \"\\u{110000}\"".to_vec(),
        b"process where process.name == \"unterminated".to_vec(),
        b"sequence by a with maxspan=99999999999999999999d [any where true] [any where true]"
            .to_vec(),
        b"process where 1e999999 > 0".to_vec(),
        b"process where x : \"\xff\xfe\"".to_vec(),
        b"any where length(concat(a, a, a, a, a, a, a, a, a, a)) > 9223372036854775807".to_vec(),
        b"[rule]\nquery = '''\n".to_vec(),
        // KQL.
        format!("{}a:b{}", "(".repeat(10_000), ")".repeat(10_000)).into_bytes(),
        format!("{}a:b", "not ".repeat(10_000)).into_bytes(),
        format!("a:{{{}}}", "b:{".repeat(5_000)).into_bytes(),
        b"process.name:\"unterminated".to_vec(),
        b"a:(b or c and) or :d and e:>=".to_vec(),
        b"a.*.b:\\ and c:\"\\t\\r\\n*?\" and d < 1e999999".to_vec(),
        b"f:\xff\xfe and g:\"\xc3\x28\"".to_vec(),
        b"[rule]\nlanguage = \"eql\"\nquery = \"process where \\uD800\"".to_vec(),
    ];
    for (i, h) in hostile.into_iter().enumerate() {
        inputs.push((format!("hostile #{i}"), h));
    }
    let mut interpreted = 0;
    for (name, data) in &inputs {
        let outcome = eqlc_fuzz::rule_front_end(&front_end, data);
        if [outcome.as_toml, outcome.as_eql, outcome.as_kql].contains(&Reached::Interpreted) {
            interpreted += 1;
        }
        let _ = name;
    }
    // The project's own rules go the whole way (the replay reaches the back ends).
    assert!(
        interpreted >= 15,
        "{interpreted} inputs reached the interpreter"
    );
}

#[test]
fn event_reader_engine_replay() {
    let fixture = EventFixture::new(&crate::root().join("rules")).unwrap_or_else(|e| panic!("{e}"));
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for p in files(&crate::root().join("examples/events"), &[".ndjson"]) {
        inputs.push(read(&p));
    }
    for p in kept("event_reader_engine") {
        inputs.push(read(&p));
    }
    let sample = read(&crate::root().join("examples/events/windows_credential_access.ndjson"));
    let mut hostile: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"\n\n\n".to_vec(),
        b"{".to_vec(),
        b"[]\n1\n\"x\"\nnull\n".to_vec(),
        b"{\"a\":1}\xff\n{\"b\":\"\xc3\x28\"}\n".to_vec(),
        format!("{}1{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
        format!("{{\"x\":{}1{}}}", "{\"y\":".repeat(200), "}".repeat(200)).into_bytes(),
        format!("{{\"process\":{{\"name\":\"{}\"}}}}\n", "a".repeat(10_000)).into_bytes(),
        b"{\"@timestamp\":\"9999-12-31T23:59:59Z\",\"event\":{\"category\":\"process\"}}\n"
            .to_vec(),
        b"{\"@timestamp\":-99999999999999999999,\"event\":{\"category\":\"process\"}}\n".to_vec(),
        b"{\"@timestamp\":1e308}\n{\"@timestamp\":\"\"}\n".to_vec(),
    ];
    // The sample stream with every line cut short, and reversed.
    hostile.push(
        sample
            .split(|b| *b == b'\n')
            .map(|l| &l[..l.len() / 2])
            .collect::<Vec<_>>()
            .join(&b'\n'),
    );
    hostile.push(
        sample
            .split(|b| *b == b'\n')
            .rev()
            .collect::<Vec<_>>()
            .join(&b'\n'),
    );
    inputs.extend(hostile);
    let mut alerts = 0;
    for data in &inputs {
        alerts += eqlc_fuzz::event_reader_engine(&fixture, data).alerts;
    }
    // The sample stream alerts through both back ends (the replay reaches the engine).
    assert!(alerts >= 1, "no alert in the replay");
}

#[test]
fn test_stream_yaml_replay() {
    let mut loaded = 0;
    for p in files(&crate::root().join("rules"), &[".test.yaml"])
        .into_iter()
        .chain(kept("test_stream_yaml"))
    {
        if eqlc_fuzz::test_stream_yaml(&read(&p)).is_ok() {
            loaded += 1;
        }
    }
    assert!(loaded >= 14, "{loaded} test streams loaded");
    // An alias bomb, deep nesting, bad UTF-8: errors, not crashes or hangs.
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        bomb.push_str(&format!(
            "{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n",
            c = (b'a' + i) as char,
            p = (b'a' + i - 1) as char
        ));
    }
    bomb.push_str("cases: *l\n");
    for data in [
        bomb.into_bytes(),
        format!("cases: {}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
        b"cases:\n  - name: \xff\n".to_vec(),
        b"cases:\n  - events: [{\"@timestamp\": +99999999999999999999d}]\n    expect: []\n"
            .to_vec(),
    ] {
        assert!(eqlc_fuzz::test_stream_yaml(&data).is_err());
    }
}
