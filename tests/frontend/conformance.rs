//! Elasticsearch's own EQL test queries (copied to `tests/conformance/es-eql`, with
//! their PROVENANCE.json): every active query parses and checks; every commented-out
//! (unsupported) query is classified: rejected naming the feature, or valid syntax that
//! Elasticsearch skips for another reason.

use rule_compiler::checker::check_query;
use rule_compiler::diagnostic::{Code, Diagnostic};
use rule_compiler::parse_query;
use std::path::PathBuf;

fn suite() -> PathBuf {
    crate::root().join("tests/conformance/es-eql")
}

/// Parse and check; all errors.
fn errors(query: &str) -> Vec<Diagnostic> {
    match parse_query(query) {
        Ok(q) => check_query(&q, None)
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect(),
        Err(e) => e,
    }
}

/// ES's spec loader accepts bare `null` in `join_keys` arrays; strict TOML does not.
fn spec_text(name: &str) -> String {
    let text = std::fs::read_to_string(suite().join(name)).unwrap();
    text.lines()
        .map(|l| {
            if l.trim_start().starts_with("join_keys") {
                l.replace("[null", "[\"null\"")
                    .replace(", null", ", \"null\"")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn active_queries(file: &str) -> Vec<(String, String)> {
    let doc: toml::Table = toml::from_str(&spec_text(file)).unwrap();
    doc["queries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["name"].as_str().unwrap().to_string(),
                q["query"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const SPEC_FILES: &[&str] = &[
    "test_queries.toml",
    "additional_test_queries.toml",
    "test_queries_date.toml",
    "test_queries_date_nanos.toml",
    "test_extra.toml",
    "test_missing_events.toml",
    "test_sample.toml",
    "test_sample_multi.toml",
    "test_failing_shards.toml",
];

#[test]
fn every_active_query_parses_and_checks() {
    let mut count = 0;
    let mut failures = Vec::new();
    for file in SPEC_FILES {
        for (name, query) in active_queries(file) {
            count += 1;
            let errs = errors(&query);
            if !errs.is_empty() {
                failures.push(format!(
                    "{file}#{name}:\n{}",
                    errs.iter()
                        .map(|d| d.render("query", &query))
                        .collect::<String>()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // 320 active queries: 301 in the files the conformance runner uses, and 19 in
    // test_failing_shards.toml (README of the suite).
    assert_eq!(count, 320);
}

/// The suite's copy in the project matches `../shared` when that is present.
#[test]
fn project_copy_matches_shared() {
    let Some(shared) = crate::shared("conformance/es-eql") else {
        return;
    };
    for file in SPEC_FILES.iter().chain(&["PROVENANCE.json", "README.md"]) {
        let a = std::fs::read(suite().join(file)).unwrap();
        let b = std::fs::read(shared.join(file)).unwrap();
        assert!(
            a == b,
            "tests/conformance/es-eql/{file} differs from ../shared"
        );
    }
}

/// How eqlc must treat one commented-out (`#[[queries]]`) block of test_queries.toml.
enum Expect {
    /// Rejected with an error whose message names this feature.
    Rejected(&'static str),
    /// Valid Elasticsearch EQL; the suite skips it for this reason.
    Valid(&'static str),
}
use Expect::*;

const UNMAPPED: &str = "valid syntax; ES rejects the query because the field is not in the index mapping (a stream has no mapping)";
const ENDGAME_NULL: &str = "valid syntax; the expectation is Endgame's three-valued `not`, which ES disabled (eql-semantics.md B.5)";
const ENDGAME_CASE: &str = "valid syntax; the expectation is Endgame's case-insensitive string ordering, ES compares case-sensitively";

fn classification(name: &str) -> Option<Expect> {
    Some(match name {
        "missingField1" | "equalsNullHead" | "fakeField" | "fakeFieldWithHead1"
        | "fakeFieldWithHead2" | "invalidFieldName" | "badFieldWithLength" => Valid(UNMAPPED),
        "notExitCodeGtWithHead2" | "notExitCodeGtWithHead3" => Valid(ENDGAME_NULL),
        "processWithStringComparisonCaseInsensitive1"
        | "processWithStringComparisonCaseInsensitive2"
        | "processWithStringComparisonCaseInsensitive3"
        | "processWithStringComparisonCaseInsensitive4" => Valid(ENDGAME_CASE),
        "nestedSetComparisons" => Valid(
            "valid syntax; comparing `true` with an `in` predicate is an Endgame idiom whose expectation ES does not test",
        ),
        "lengthCaseInsensitiveAndBetween" => Valid(
            "valid syntax; the expectation is Endgame's `between` result, which differs from ES's",
        ),
        "lteAndGtWithFilter" | "filtersLteAndGt" | "filterLteAndGtWithHead"
        | "headWithFiltersAndTail" | "processWithStringEqualityCaseInsensitive1"
        | "fourSequencesByPidWithUntil3" | "doubleSameSequenceWithByAndFilter"
        | "stringEqualsCaseInsensitive1" => Rejected("the pipe `| filter`"),
        "processNameIN" | "processNameINCaseInsensitive1" | "processNameINCaseInsensitive2"
        | "processNameINWithUnique1" | "processNameINWithUnique2"
        | "processNameINWithUniqueHeadAndTail1" | "processNameINWithUniqueHeadAndTail2"
        | "processNameINWithUnique3" | "processNameINWithTwoUniqueFields1"
        | "processNameINWithTwoUniqueFields2" | "anyWithUnique" | "fileByUniquePid1" => {
            Rejected("the pipe `| unique`")
        }
        "simpleTailWithSort" | "simpleHeadWithSort1" | "simpleHeadwithSort2"
        | "simpleHeadwithSort3" | "twoHeadsWithSort" | "twoSortsWithHead" | "uniqueCount2" => {
            Rejected("the pipe `| sort`")
        }
        "uniqueCount1" | "uniqueCount3" | "uniqueCountAndFilter" => {
            Rejected("the pipe `| unique_count`")
        }
        "processWithMultipleConditions2" | "compareTwoFields1" | "compareTwoFields2"
        | "stringEqualsCaseInsensitive2" | "fieldsComparisonCaseInsensitive" | "moduloEquals"
        | "fieldComparisonCaseInsensitive" => Rejected("comparing a field with another field"),
        "twoINs" | "twoINsCaseInsensitive" => Rejected("a field inside an `in (…)` list"),
        "lengthCaseInsensitive1" | "lengthCaseInsensitive2" | "arrayCaseInsensitive1"
        | "arrayCaseInsensitive2" | "arrayCaseInsensitive3" | "arrayEquality1"
        | "arrayEquality2" => Rejected("array indexing"),
        "descendant1" | "descendant2" | "descendant3" | "multipleConditionsWithDescendant1"
        | "INWithDescendant" | "multipleConditionsWithDescendant2" => {
            Rejected("lineage `descendant of [...]`")
        }
        "childOf1" | "childOf2" | "nestedChildOf1" | "nestedChildOf2" => {
            Rejected("lineage `child of [...]`")
        }
        "fileByUniquePid2" | "eventOfProcess" => Rejected("lineage `event of [...]`"),
        "sequenceNonFieldBasedJoin" | "sequenceMultipleNonFieldBasedJoins" => {
            Rejected("a join key that is not a field")
        }
        "doubleJoinWithByUntilAndHead" | "twoJoins1" | "threeJoins1" | "threeJoins2"
        | "threeJoinsWithUntil1" | "threeJoinsWithUntil2" | "twoJoins2" | "twoJoins3"
        | "twoJoins4" | "twoJoins5" | "twoSequencesWithHead" => Rejected("`join`"),
        "threeSequencesWithHead" => Rejected("`fork`"),
        "arrayContainsCaseInsensitive1" | "arrayContainsCaseInsensitive2"
        | "arrayContainsCaseInsensitive3" | "arrayContainsCaseInsensitive4"
        | "arrayContainsCaseInsensitive5" => Rejected("`arrayContains`"),
        "arrayCount1" | "arrayCount2" => Rejected("`arrayCount`"),
        "arraySearch1" | "arraySearchCaseSensitive" | "arraySearchCaseInsensitive1"
        | "arraySearchCaseInsensitive2" | "arraySearchWithMysteriousField1"
        | "arraySearchWithMysteriousField2" | "arraySearchWithMysteriousField3"
        | "arraySearchWithMysteriousField4" | "arraySearchWithMysteriousField5"
        | "arraySearchWithMysteriousField6" | "arraySearchWithMysteriousField7"
        | "arraySearchWithMysteriousField8" => Rejected("`arraySearch`"),
        "matchLite1" | "matchLite2" | "matchLite3" | "matchLite4" => Rejected("`matchLite`"),
        "match1" => Rejected("`match`"),
        "safeWrapper" => Rejected("`safe`"),
        _ => return None,
    })
}

/// The commented-out `#[[queries]]` blocks, uncommented and parsed: (name, query).
fn commented_blocks() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(suite().join("test_queries.toml")).unwrap();
    let mut blocks: Vec<Vec<&str>> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        if line.starts_with("#[[queries]]") {
            blocks.push(vec!["[[queries]]"]);
            open = true;
        } else if open && line.starts_with('#') {
            if let Some(b) = blocks.last_mut() {
                b.push(&line[1..]);
            }
        } else {
            open = false;
        }
    }
    blocks
        .into_iter()
        .map(|b| {
            let doc: toml::Table = toml::from_str(&b.join("\n")).unwrap_or_else(|e| {
                panic!("commented block does not parse: {e}\n{}", b.join("\n"))
            });
            let q = &doc["queries"].as_array().unwrap()[0];
            (
                q["name"].as_str().unwrap().to_string(),
                q["query"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn unsupported_queries_are_rejected_by_name() {
    let blocks = commented_blocks();
    assert_eq!(
        blocks.len(),
        112,
        "test_queries.toml has 112 commented-out queries"
    );
    let mut problems = Vec::new();
    let (mut rejected, mut valid) = (0, 0);
    for (name, query) in &blocks {
        let errs = errors(query);
        match classification(name) {
            None => problems.push(format!("{name}: not classified in this test")),
            Some(Valid(reason)) => {
                valid += 1;
                if !errs.is_empty() {
                    problems.push(format!(
                        "{name} ({reason}) should be accepted, got:\n{}",
                        errs.iter()
                            .map(|d| d.render("query", query))
                            .collect::<String>()
                    ));
                }
            }
            Some(Rejected(feature)) => {
                rejected += 1;
                let named = errs.iter().any(|d| {
                    matches!(d.code, Code::Unsupported | Code::FieldComparison)
                        && d.message.contains(feature)
                });
                if !named {
                    problems.push(format!(
                        "{name} should be rejected naming {feature}, got: {:?}",
                        errs.iter().map(|d| &d.message).collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!((rejected, valid), (97, 15));
}

/// The features of `eql-semantics.md` section H are rejected by name even when written
/// in the middle of an otherwise valid query.
#[test]
fn endgame_features_are_rejected_by_name() {
    let cases = [
        ("process where a = 1", "`=` as an operator"),
        ("process where a == 'x'", "a single-quoted string"),
        ("process where a[0] == 1", "array indexing `[0]`"),
        ("process where wildcard(a, \"x*\")", "`wildcard`"),
        ("join [a where true] [b where true]", "`join`"),
        ("process where true | count", "the pipe `| count`"),
        (
            "sequence [a where true] by x * 2 [b where true] by y",
            "a join key that is not a field",
        ),
    ];
    for (q, feature) in cases {
        let errs = errors(q);
        assert!(
            errs.iter()
                .any(|d| d.code == Code::Unsupported && d.message.contains(feature)),
            "{q}: expected an error naming {feature}, got {:?}",
            errs.iter().map(|d| &d.message).collect::<Vec<_>>()
        );
    }
}
