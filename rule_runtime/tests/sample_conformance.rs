//! Elasticsearch's sample conformance specs (`test_sample.toml`, `test_sample_multi.toml`)
//! run through the sample state machine, with every query's filters and join keys
//! encoded by hand as Rust closures over the JSON documents of `data/sample*.data`.
//!
//! The expected ids, join keys, `size` and `max_samples_per_key` are read from the spec
//! files themselves, read from the project's copy of the suite (`tests/conformance/es-eql`).

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use rule_runtime::sample::{SampleConfig, SampleMatcher};
use serde_json::Value as J;

/// The suite's `size` when a query does not set one.
const SUITE_SIZE: usize = 50;

/// A join-key value, ordered as Elasticsearch's composite aggregation orders one field's
/// values (a field holds one type, so the order across variants only has to put null
/// first).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum V {
    Null,
    Bool(bool),
    Num(i64),
    Ip(u32),
    Str(String),
}

impl V {
    /// The join key as the spec files spell it.
    fn render(&self) -> String {
        match self {
            V::Null => "null".to_owned(),
            V::Bool(b) => b.to_string(),
            V::Num(n) => n.to_string(),
            V::Ip(ip) => Ipv4Addr::from(*ip).to_string(),
            V::Str(s) => s.clone(),
        }
    }
}

type Key = Vec<V>;

/// One filter: its condition and its own `by` keys (`?` prefix = optional).
struct Filter {
    cond: fn(&J) -> bool,
    keys: &'static [&'static str],
}

/// One hand-encoded query.
struct Query {
    name: &'static str,
    top_keys: &'static [&'static str],
    filters: Vec<Filter>,
}

fn f(cond: fn(&J) -> bool, keys: &'static [&'static str]) -> Filter {
    Filter { cond, keys }
}

fn q(name: &'static str, top_keys: &'static [&'static str], filters: Vec<Filter>) -> Query {
    Query {
        name,
        top_keys,
        filters,
    }
}

// ---- field helpers (no multi-valued fields occur in these data sets) ----

fn field<'a>(d: &'a J, name: &str) -> Option<&'a J> {
    d.get(name).filter(|v| !v.is_null())
}

fn cat(d: &J, category: &str) -> bool {
    field(d, "event_type").and_then(J::as_str) == Some(category)
}

fn num(d: &J, name: &str) -> Option<i64> {
    field(d, name).and_then(J::as_i64)
}

fn gt(d: &J, name: &str, bound: i64) -> bool {
    num(d, name).is_some_and(|n| n > bound)
}

fn is_bool(d: &J, name: &str, value: bool) -> bool {
    field(d, name).and_then(J::as_bool) == Some(value)
}

fn text<'a>(d: &'a J, name: &str) -> Option<&'a str> {
    field(d, name).and_then(J::as_str)
}

fn eq(d: &J, name: &str, value: &str) -> bool {
    text(d, name) == Some(value)
}

fn id_is(d: &J, id: i64) -> bool {
    num(d, "id") == Some(id)
}

fn missing(d: &J, name: &str) -> bool {
    field(d, name).is_none()
}

// ---- key extraction ----

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A date key as epoch milliseconds: `dd-MM-yyyy`, `yyyy-MM-dd` or epoch millis.
fn date_millis(s: &str) -> Option<i64> {
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let parts: Vec<i64> = s
        .split('-')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let (y, m, d) = match parts[..] {
        [d, m, y] if y > 31 => (y, m, d),
        [y, m, d] => (y, m, d),
        _ => return None,
    };
    Some(days_from_civil(y, m, d) * 86_400_000)
}

/// One key field's value, typed as the indices' mappings type it.
fn key_value(d: &J, name: &str) -> Option<V> {
    let v = field(d, name)?;
    Some(match v {
        J::Bool(b) => V::Bool(*b),
        J::Number(n) => V::Num(n.as_i64()?),
        J::String(s) => match name {
            "ip" | "host_ip" => V::Ip(u32::from(s.parse::<Ipv4Addr>().ok()?)),
            "@timestamp_pretty" | "date" => V::Num(date_millis(s)?),
            _ => V::Str(s.clone()),
        },
        _ => return None,
    })
}

/// The key tuple of `d` for `keys`: none if a non-optional key is null.
fn key_tuple(d: &J, keys: &[&str]) -> Option<Key> {
    keys.iter()
        .map(|k| match k.strip_prefix('?') {
            Some(name) => Some(key_value(d, name).unwrap_or(V::Null)),
            None => key_value(d, k),
        })
        .collect()
}

// ---- the spec files ----

/// What a spec file says about one query.
struct Spec {
    alternatives: Vec<Vec<u64>>,
    join_keys: Vec<String>,
    size: Option<usize>,
    max_samples_per_key: Option<usize>,
}

/// The `[...]` value after `attr =` in `block`, trailing commas removed.
fn array_after(block: &str, attr: &str) -> Option<J> {
    let start = block.find(attr)?;
    let rest = &block[start + attr.len()..];
    let open = rest.find('[')?;
    let mut depth = 0usize;
    let mut end = None;
    for (i, c) in rest[open..].char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    end = Some(open + i + 1);
                    break;
                }
            }
            _ => {}
        }
    }
    let compact: String = rest[open..end?]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    serde_json::from_str(&compact.replace(",]", "]")).ok()
}

fn number_attr(block: &str, attr: &str) -> Option<usize> {
    block.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == attr).then(|| v.trim().parse().ok())?
    })
}

fn spec(file: &str, name: &str) -> Spec {
    let blocks: Vec<String> = file
        .split("[[queries]]")
        .map(|b| {
            b.lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    let needle = format!("name = \"{name}\"");
    let block = blocks
        .iter()
        .find(|b| b.lines().any(|l| l.trim() == needle))
        .unwrap_or_else(|| panic!("query {name} not in spec file"));
    let ids = array_after(block, "expected_event_ids").expect("expected_event_ids");
    let as_ids = |v: &J| -> Vec<u64> {
        v.as_array()
            .expect("id list")
            .iter()
            .map(|x| x.as_u64().expect("id"))
            .collect()
    };
    let list = ids.as_array().expect("array");
    let alternatives = if list.first().is_some_and(J::is_array) {
        list.iter().map(as_ids).collect()
    } else {
        vec![as_ids(&ids)]
    };
    let join_keys = array_after(block, "join_keys")
        .map(|v| {
            v.as_array()
                .expect("join_keys")
                .iter()
                .map(|x| x.as_str().expect("key string").to_owned())
                .collect()
        })
        .unwrap_or_default();
    Spec {
        alternatives,
        join_keys,
        size: number_attr(block, "size"),
        max_samples_per_key: number_attr(block, "max_samples_per_key"),
    }
}

fn spec_names(file: &str) -> BTreeSet<String> {
    file.lines()
        .filter_map(|l| l.trim().strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .map(str::to_owned)
        .collect()
}

/// The project's copy of Elasticsearch's suite (`tests/conformance/es-eql`, with its
/// PROVENANCE.json), so the test stands alone in a fresh clone.
fn suite_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance/es-eql")
}

fn load(dir: &Path, files: &[&str]) -> Vec<J> {
    let mut docs = Vec::new();
    for file in files {
        let path = dir.join("data").join(file);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let parsed: J = serde_json::from_str(&text).expect("data file is JSON");
        docs.extend(
            parsed
                .as_array()
                .expect("array of documents")
                .iter()
                .cloned(),
        );
    }
    docs
}

/// Runs `query` over `docs` in `config`'s mode; returns each sample's (key, doc ids).
fn run(query: &Query, docs: &[J], config: SampleConfig) -> (Vec<(Key, Vec<u64>)>, bool) {
    let mut matcher: SampleMatcher<Key, usize> =
        SampleMatcher::new(query.filters.len(), config).expect("valid sample");
    let mut samples = Vec::new();
    for (index, doc) in docs.iter().enumerate() {
        let keys: Vec<(usize, Vec<Key>)> = query
            .filters
            .iter()
            .enumerate()
            .filter(|(_, filter)| (filter.cond)(doc))
            .map(|(i, filter)| {
                let names: Vec<&str> = query.top_keys.iter().chain(filter.keys).copied().collect();
                (i, key_tuple(doc, &names).into_iter().collect())
            })
            .collect();
        matcher.on_event(
            &index,
            index as u64,
            keys.iter().map(|(i, k)| (*i, k.as_slice())),
            &mut samples,
        );
    }
    samples.extend(matcher.flush());
    let cut = matcher.stats().keys_cut_by_size > 0;
    let out = samples
        .into_iter()
        .map(|s| {
            let ids = s
                .events
                .iter()
                .map(|&i| docs[i]["id"].as_u64().expect("id"))
                .collect();
            (s.key, ids)
        })
        .collect();
    (out, cut)
}

/// Checks one query in batch mode against the spec and in stream mode for consistency.
fn check(file: &str, docs: &[J], query: &Query) -> String {
    let spec = spec(file, query.name);
    let size = spec.size.unwrap_or(SUITE_SIZE);
    let per_key = spec.max_samples_per_key.unwrap_or(1);
    let (batch, cut) = run(query, docs, SampleConfig::batch(size, per_key));
    let ids: Vec<u64> = batch.iter().flat_map(|(_, ids)| ids.clone()).collect();
    let keys: Vec<String> = batch
        .iter()
        .flat_map(|(k, _)| k.iter().map(V::render))
        .collect();
    assert!(
        spec.alternatives.contains(&ids),
        "{}: got ids {ids:?}, expected one of {:?}",
        query.name,
        spec.alternatives
    );
    assert_eq!(keys, spec.join_keys, "{}: join keys", query.name);

    // Stream mode: one sample per key tuple, for exactly the keys batch mode found.
    let (stream, _) = run(query, docs, SampleConfig::stream());
    let by_id = |id: u64| docs.iter().find(|d| d["id"].as_u64() == Some(id));
    for (key, ids) in &stream {
        let distinct: BTreeSet<u64> = ids.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            ids.len(),
            "{}: repeated document",
            query.name
        );
        for (filter, id) in query.filters.iter().zip(ids) {
            let doc = by_id(*id).expect("known id");
            assert!((filter.cond)(doc), "{}: {id} fails its filter", query.name);
            let names: Vec<&str> = query.top_keys.iter().chain(filter.keys).copied().collect();
            assert_eq!(key_tuple(doc, &names).as_ref(), Some(key), "{}", query.name);
        }
    }
    let stream_keys: BTreeSet<Key> = stream.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(
        stream_keys.len(),
        stream.len(),
        "{}: key emitted twice",
        query.name
    );
    if !cut && size > 0 {
        let batch_keys: BTreeSet<Key> = batch.iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(stream_keys, batch_keys, "{}: stream keys", query.name);
    }
    format!("{}: {ids:?}", query.name)
}

fn sample_queries() -> Vec<Query> {
    let success_or_alert_21_24_11: fn(&J) -> bool =
        |d| cat(d, "alert") && (id_is(d, 21) || id_is(d, 24) || id_is(d, 11));
    let one_key_optional_2 = |name| {
        q(
            name,
            &["host", "?os"],
            vec![
                f(|d| cat(d, "success"), &[]),
                f(success_or_alert_21_24_11, &[]),
            ],
        )
    };
    vec![
        q(
            "anyRulesWithOneDifferentNameKey",
            &["host"],
            vec![
                f(|d| gt(d, "uptime", 0), &["os"]),
                f(|d| gt(d, "port", 100), &["op_sys"]),
                f(|d| is_bool(d, "bool", true), &["os"]),
            ],
        ),
        q(
            "complexFilters",
            &["host"],
            vec![
                f(
                    |d| {
                        gt(d, "uptime", 0)
                            && eq(d, "host", "doom")
                            && (gt(d, "uptime", 15) || is_bool(d, "bool", true))
                    },
                    &["os"],
                ),
                f(
                    |d| {
                        (gt(d, "port", 100) && eq(d, "ip", "10.0.0.5"))
                            || text(d, "op_sys").is_some_and(|s| s.eq_ignore_ascii_case("REDHAT"))
                    },
                    &["op_sys"],
                ),
                f(|d| is_bool(d, "bool", true), &["os"]),
            ],
        ),
        q(
            "anyRulesWithORFilters",
            &["bool", "host"],
            vec![
                f(|d| gt(d, "uptime", 0) || is_bool(d, "bool", false), &[]),
                f(|d| gt(d, "port", 10000) || is_bool(d, "bool", false), &[]),
            ],
        ),
        q(
            "failureEventTypeWithORFilters",
            &["bool", "host"],
            vec![
                f(
                    |d| cat(d, "failure") && (gt(d, "uptime", 0) || is_bool(d, "bool", false)),
                    &[],
                ),
                f(|d| gt(d, "port", 10000) || is_bool(d, "bool", false), &[]),
            ],
        ),
        q(
            "alertEventTypeRulesWithORFilters",
            &["bool", "host"],
            vec![
                f(
                    |d| cat(d, "alert") && (gt(d, "uptime", 0) || is_bool(d, "bool", false)),
                    &[],
                ),
                f(
                    |d| cat(d, "alert") && (gt(d, "port", 10000) || is_bool(d, "bool", false)),
                    &[],
                ),
            ],
        ),
        q(
            "ipAsKey",
            &["host"],
            vec![
                f(|d| is_bool(d, "bool", true), &["host_ip"]),
                f(|d| gt(d, "uptime", 0), &["ip"]),
                f(|d| gt(d, "port", 100), &["ip"]),
            ],
        ),
        q(
            "keywordAsKey",
            &["missing_keyword"],
            vec![
                f(|d| cat(d, "success"), &["host"]),
                f(|d| cat(d, "failure") && eq(d, "host", "doom"), &["host"]),
            ],
        ),
        q(
            "simpleIpAsKey",
            &[],
            vec![
                f(|d| cat(d, "success"), &["ip"]),
                f(
                    |d| {
                        cat(d, "alert")
                            && text(d, "os").is_some_and(|s| s.to_lowercase().starts_with("win"))
                    },
                    &["host_ip"],
                ),
            ],
        ),
        q(
            "customDateFormatAsKey_SameIndexResults",
            &["@timestamp_pretty"],
            vec![f(|d| cat(d, "alert"), &[]), f(|d| cat(d, "failure"), &[])],
        ),
        q(
            "customDateFormatsAsKey_DifferentIndicesResults",
            &["@timestamp_pretty"],
            vec![
                f(|d| cat(d, "alert"), &[]),
                f(|d| cat(d, "failure") && eq(d, "op_sys", "redhat"), &[]),
            ],
        ),
        q(
            "customDateFormatsAsKey_DifferentKeyNames",
            &[],
            vec![
                f(
                    |d| cat(d, "success") && text(d, "os").is_some_and(|s| s.contains("10")),
                    &["date"],
                ),
                f(
                    |d| cat(d, "failure") && eq(d, "os", "redhat"),
                    &["@timestamp_pretty"],
                ),
            ],
        ),
        q(
            "nullValueAsJoinKey",
            &["missing_keyword"],
            vec![
                f(
                    |d| cat(d, "alert") && missing(d, "missing_keyword") && id_is(d, 110),
                    &[],
                ),
                f(|d| cat(d, "alert") && is_bool(d, "bool", false), &[]),
            ],
        ),
        q(
            "optionalFieldAsKeyAndFirstFilter",
            &["?x"],
            vec![
                f(
                    |d| cat(d, "failure") && missing(d, "x") && id_is(d, 17),
                    &[],
                ),
                f(|d| cat(d, "failure") && id_is(d, 27), &[]),
                f(|d| id_is(d, 37), &[]),
            ],
        ),
        q(
            "optionalFieldAsKeyAndSecondFilter",
            &["?x"],
            vec![f(|d| id_is(d, 11), &[]), f(|d| missing(d, "x"), &[])],
        ),
        q(
            "optionalFieldAsQueryKeys",
            &["?x"],
            vec![
                f(|d| cat(d, "success") && id_is(d, 18), &["?y"]),
                f(|d| cat(d, "failure") && id_is(d, 17), &["?z"]),
            ],
        ),
        q(
            "optionalFieldAsKeyAndMultipleConditions",
            &["?x", "?y"],
            vec![
                f(
                    |d| cat(d, "failure") && (missing(d, "x") || missing(d, "y")) && id_is(d, 17),
                    &[],
                ),
                f(
                    |d| cat(d, "success") && missing(d, "y") && missing(d, "x") && id_is(d, 18),
                    &[],
                ),
            ],
        ),
        q(
            "optionalFieldAsQueryKeysOnly",
            &["host"],
            vec![
                f(|d| cat(d, "success") && id_is(d, 38), &["?z"]),
                // `?x == ?y` holds when both are missing (the expected result needs 28).
                f(
                    |d| cat(d, "success") && field(d, "x") == field(d, "y") && id_is(d, 28),
                    &["?y"],
                ),
                f(|d| cat(d, "alert") && id_is(d, 11), &["?x"]),
            ],
        ),
        q(
            "allKeysOptional",
            &["?host", "?os"],
            vec![f(|d| cat(d, "success"), &[]), f(|d| cat(d, "alert"), &[])],
        ),
        q(
            "oneKeyOptional_1",
            &["?host", "os"],
            vec![f(|d| cat(d, "success"), &[]), f(|d| cat(d, "alert"), &[])],
        ),
        one_key_optional_2("oneKeyOptional_2"),
        q(
            "noOptionalKeys",
            &["host", "os"],
            vec![f(|d| cat(d, "success"), &[]), f(|d| cat(d, "alert"), &[])],
        ),
        one_key_optional_2("size0"),
        one_key_optional_2("size2"),
        one_key_optional_2("size3"),
        one_key_optional_2("sizeBig"),
    ]
}

fn multi_queries() -> Vec<Query> {
    let plain = |name, keys| {
        q(
            name,
            keys,
            vec![f(|d| cat(d, "alert_1"), &[]), f(|d| cat(d, "alert_2"), &[])],
        )
    };
    vec![
        plain("oneSamplePerKey", &["os"]),
        plain("oneSamplePerKey_optional", &["?os"]),
        plain("twoSamplesPerKeyOutOfThree", &["os"]),
        plain("twoSamplesPerKeyOutOfThree_optional", &["?os"]),
        q(
            "twoSamplesPerKeyOutOfThree_withCondition",
            &["os"],
            vec![
                f(|d| cat(d, "alert_1") && !eq(d, "host", "farcry"), &[]),
                f(|d| cat(d, "alert_2"), &[]),
            ],
        ),
        q(
            "twoSamplesPerKeyOutOfThree2",
            &["os"],
            vec![f(|d| cat(d, "alert_2"), &[]), f(|d| cat(d, "alert_1"), &[])],
        ),
        plain("threeSamplesPerKey", &["os"]),
        plain("moreSamplesPerKey", &["os"]),
        q(
            "twoSamplesPerKeyOutOfThree_inlineByKey",
            &[],
            vec![
                f(|d| cat(d, "alert_1"), &["os"]),
                f(|d| cat(d, "alert_2"), &["os"]),
            ],
        ),
    ]
}

fn run_file(spec_file: &str, data: &[&str], queries: Vec<Query>) {
    let dir = suite_dir();
    let text = std::fs::read_to_string(dir.join(spec_file)).expect("spec file");
    let docs = load(&dir, data);
    let covered: BTreeSet<String> = queries.iter().map(|q| q.name.to_owned()).collect();
    assert_eq!(
        covered,
        spec_names(&text),
        "{spec_file}: every query encoded"
    );
    for query in &queries {
        println!("{spec_file}#{}", check(&text, &docs, query));
    }
}

#[test]
fn test_sample_toml() {
    run_file(
        "test_sample.toml",
        &["sample1.data", "sample2.data", "sample3.data"],
        sample_queries(),
    );
}

#[test]
fn test_sample_multi_toml() {
    run_file(
        "test_sample_multi.toml",
        &["sample-multi.data"],
        multi_queries(),
    );
}

#[test]
fn date_keys_normalise_formats() {
    assert_eq!(date_millis("17-12-2022"), Some(1_671_235_200_000));
    assert_eq!(date_millis("2022-12-17"), Some(1_671_235_200_000));
    assert_eq!(date_millis("1671235200000"), Some(1_671_235_200_000));
}
