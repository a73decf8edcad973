//! Machine-readable reports of a run: JSON (`--json`) and JUnit XML (`--junit`, one
//! testsuite per rule, one testcase per case, rule-level checks as a testcase of their
//! own).

use std::fmt::Write;

use quick_xml::escape::escape;
use serde::Serialize;

use crate::harness::{Origin, RuleReport};

/// The whole run as JSON.
#[derive(Debug, Serialize)]
pub struct RunReport<'a> {
    pub rules_dir: String,
    pub passed: usize,
    pub failed: usize,
    pub rules: &'a [RuleReport],
}

/// The JSON report.
pub fn json(report: &RunReport<'_>) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

fn origin_class(o: &Origin) -> &'static str {
    match o {
        Origin::TestStream => "test_stream",
        Origin::GeneratedMatch => "generated.match",
        Origin::GeneratedNearMiss => "generated.near_miss",
    }
}

/// The JUnit XML report.
pub fn junit(rules: &[RuleReport]) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let tests: usize = rules.iter().map(|r| r.cases.len() + 1).sum();
    let failures: usize = rules
        .iter()
        .map(|r| {
            r.cases.iter().filter(|c| c.failure.is_some()).count()
                + usize::from(!r.rule_failures.is_empty())
        })
        .sum();
    let _ = writeln!(
        x,
        "<testsuites name=\"test-rules\" tests=\"{tests}\" failures=\"{failures}\">"
    );
    for r in rules {
        let fails = r.cases.iter().filter(|c| c.failure.is_some()).count()
            + usize::from(!r.rule_failures.is_empty());
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{fails}\">",
            escape(r.file.as_str()),
            r.cases.len() + 1
        );
        let _ = writeln!(
            x,
            "    <properties><property name=\"rule_id\" value=\"{}\"/><property name=\"rule_name\" value=\"{}\"/></properties>",
            escape(r.id.as_str()),
            escape(r.name.as_str())
        );
        let _ = write!(
            x,
            "    <testcase classname=\"{}\" name=\"rule checks\"",
            escape(r.file.as_str())
        );
        if r.rule_failures.is_empty() {
            x.push_str("/>\n");
        } else {
            let text = r.rule_failures.join("\n");
            let _ = writeln!(
                x,
                "><failure message=\"{}\">{}</failure></testcase>",
                escape(first_line(&text)),
                escape(text.as_str())
            );
        }
        for c in &r.cases {
            let _ = write!(
                x,
                "    <testcase classname=\"{}.{}\" name=\"{}\"",
                escape(r.file.as_str()),
                origin_class(&c.origin),
                escape(c.name.as_str())
            );
            match &c.failure {
                None => x.push_str("/>\n"),
                Some(f) => {
                    let _ = writeln!(
                        x,
                        "><failure message=\"{}\">{}</failure></testcase>",
                        escape(first_line(f)),
                        escape(f.as_str())
                    );
                }
            }
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}
