//! Rule files: detection-rules TOML (`[metadata]`, `[rule]`, `[[rule.threat]]` …) and
//! bare `*.eql` files, loaded with all keys kept and the query located in the file.
//!
//! The query of a TOML rule is a string value (usually `'''…'''`); [`QueryMap`] maps a
//! byte offset inside the decoded query back to a byte offset inside the file, through
//! TOML's escapes and trimmed first newline, so diagnostics point at the file.

use crate::ast::Span;
use crate::diagnostic::{Code, Diagnostic};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The rule metadata eqlc uses, typed; everything else stays in [`LoadedRule::raw`].
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct RuleMeta {
    pub rule_id: String,
    pub name: String,
    pub description: String,
    pub severity: String,
    pub risk_score: Option<i64>,
    pub version: Option<i64>,
    pub language: String,
    pub rule_type: String,
    pub index: Vec<String>,
    pub tags: Vec<String>,
    /// Kept as metadata: it is not the EQL timestamp (see DESIGN.md, "Semantics").
    pub timestamp_override: Option<String>,
    /// The field that holds the event category for this rule (default `event.category`).
    pub event_category_override: Option<String>,
    pub building_block_type: Option<String>,
    pub threat: Vec<Threat>,
}

/// One `[[rule.threat]]` entry (MITRE ATT&CK mapping).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Threat {
    #[serde(default)]
    pub framework: String,
    #[serde(default)]
    pub tactic: Option<ThreatRef>,
    #[serde(default)]
    pub technique: Vec<Technique>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ThreatRef {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Technique {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub subtechnique: Vec<ThreatRef>,
}

/// The typed view of `[rule]` (serde ignores the keys not named here).
#[derive(Deserialize)]
struct RuleTable {
    rule_id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    severity: Option<String>,
    risk_score: Option<i64>,
    version: Option<i64>,
    language: Option<String>,
    #[serde(rename = "type")]
    rule_type: Option<String>,
    #[serde(default)]
    index: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    timestamp_override: Option<String>,
    event_category_override: Option<String>,
    building_block_type: Option<String>,
    #[serde(default)]
    threat: Vec<Threat>,
    query: Option<toml::Spanned<String>>,
}

#[derive(Deserialize)]
struct Document {
    rule: Option<toml::Spanned<RuleTable>>,
}

/// How a file's rule is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RuleFormat {
    /// detection-rules TOML.
    Toml,
    /// A bare EQL query; the file stem is its id and name.
    Eql,
}

/// Maps byte offsets in a decoded query to byte offsets in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryMap {
    /// The query is a verbatim slice of the file starting here.
    Offset(usize),
    /// Decoded byte `i` came from file byte `table[i]`; one extra entry for the end.
    Table(Vec<usize>),
}

impl QueryMap {
    pub fn to_file(&self, offset: usize) -> usize {
        match self {
            QueryMap::Offset(base) => base + offset,
            QueryMap::Table(t) => t.get(offset).or_else(|| t.last()).copied().unwrap_or(0),
        }
    }

    pub fn span_to_file(&self, span: Span) -> Span {
        let start = self.to_file(span.start);
        let end = self.to_file(span.end).max(start);
        Span::new(start, end)
    }
}

/// A rule file, loaded: its text, typed metadata, all of its keys, and its query.
#[derive(Debug, Clone)]
pub struct LoadedRule {
    /// The path as given (used in diagnostics).
    pub path: PathBuf,
    pub text: String,
    pub format: RuleFormat,
    pub meta: RuleMeta,
    /// The whole document, every key kept (empty for `.eql` files).
    pub raw: toml::Table,
    pub query: String,
    pub query_map: QueryMap,
}

impl LoadedRule {
    /// Move a diagnostic's span from the query into the file.
    pub fn locate(&self, mut d: Diagnostic) -> Diagnostic {
        d.span = d.span.map(|s| self.query_map.span_to_file(s));
        d
    }

    /// The file name without extension, as used for module names.
    pub fn stem(&self) -> String {
        file_stem(&self.path)
    }
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A file that could not be loaded, with its text (when it could be read) so the
/// diagnostics can be rendered.
#[derive(Debug, Clone)]
pub struct LoadError {
    pub path: PathBuf,
    pub text: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// Read and load one rule file (`.toml` or `.eql`).
pub fn load_rule_file(path: &Path) -> Result<LoadedRule, LoadError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            return Err(LoadError {
                path: path.to_path_buf(),
                text: String::new(),
                diagnostics: vec![Diagnostic::error(
                    Code::Io,
                    None,
                    format!("cannot read the rule file: {e}"),
                )
                .with_help("check that the file exists, is readable and is UTF-8 text")],
            })
        }
    };
    let format = if path.extension().is_some_and(|e| e == "eql") {
        RuleFormat::Eql
    } else {
        RuleFormat::Toml
    };
    load_rule_str(path, text, format)
}

/// Load a rule from its text.
pub fn load_rule_str(
    path: &Path,
    text: String,
    format: RuleFormat,
) -> Result<LoadedRule, LoadError> {
    match format {
        RuleFormat::Eql => {
            let stem = file_stem(path);
            Ok(LoadedRule {
                path: path.to_path_buf(),
                meta: RuleMeta {
                    rule_id: stem.clone(),
                    name: stem,
                    severity: "medium".into(),
                    risk_score: Some(47),
                    language: "eql".into(),
                    rule_type: "eql".into(),
                    ..RuleMeta::default()
                },
                raw: toml::Table::new(),
                query: text.clone(),
                query_map: QueryMap::Offset(0),
                format,
                text,
            })
        }
        RuleFormat::Toml => load_toml(path, text),
    }
}

fn toml_error(e: toml::de::Error) -> Diagnostic {
    let span = e.span().map(|r| Span::new(r.start, r.end));
    let msg = e.message().trim().to_string();
    Diagnostic::error(Code::Toml, span, format!("invalid TOML: {msg}"))
        .with_help("fix the TOML syntax; see https://toml.io")
}

fn load_toml(path: &Path, text: String) -> Result<LoadedRule, LoadError> {
    let fail = |text: String, diagnostics: Vec<Diagnostic>| LoadError {
        path: path.to_path_buf(),
        text,
        diagnostics,
    };
    let raw: toml::Table = match toml::from_str(&text) {
        Ok(t) => t,
        Err(e) => return Err(fail(text, vec![toml_error(e)])),
    };
    let doc: Document = match toml::from_str(&text) {
        Ok(d) => d,
        Err(e) => {
            let d = toml_error(e);
            let d = Diagnostic {
                code: Code::RuleKey,
                message: d.message.replacen("invalid TOML: ", "", 1),
                help: Some(
                    "see the detection-rules schema: rule_id, name and risk_score have fixed types"
                        .into(),
                ),
                ..d
            };
            return Err(fail(text, vec![d]));
        }
    };
    let Some(rule) = doc.rule else {
        return Err(fail(
            text,
            vec![Diagnostic::error(Code::RuleKey, Span::new(0, 0), "no `[rule]` table")
                .with_help("a detection rule has a `[rule]` table with `rule_id`, `name`, `language = \"eql\"` and `query`")],
        ));
    };
    let rule_span = Span::new(rule.span().start, rule.span().start);
    let rule = rule.into_inner();
    let mut errors = Vec::new();

    let language = rule.language.clone().unwrap_or_default();
    let rule_type = rule.rule_type.clone().unwrap_or_default();
    let lang_ok = language == "eql" || (language.is_empty() && rule_type == "eql");
    if language == "kuery" {
        // KQL rules load whatever their type: `query` rules compile, the other types
        // are reported by name when checked (ruleset::check_rule).
    } else if !lang_ok {
        let what = if language.is_empty() {
            "a rule without `language`".to_string()
        } else {
            format!("rules in `{language}`")
        };
        let at = find_key(&text, "language").unwrap_or(rule_span);
        errors.push(
            Diagnostic::error(Code::Language, at, format!("{what} are not supported yet"))
                .with_help("eqlc compiles EQL rules (`language = \"eql\"`, `type = \"eql\"`) and KQL `query` rules (`language = \"kuery\"`)"),
        );
    } else if !rule_type.is_empty() && rule_type != "eql" {
        let at = find_key(&text, "type").unwrap_or(rule_span);
        errors.push(
            Diagnostic::error(
                Code::Language,
                at,
                format!("rules of type `{rule_type}` are not supported yet"),
            )
            .with_help("eqlc compiles EQL rules: `type = \"eql\"`"),
        );
    }
    let mut require = |key: &str, v: &Option<String>| {
        if v.as_deref().is_none_or(str::is_empty) {
            errors.push(
                Diagnostic::error(Code::RuleKey, rule_span, format!("`[rule]` has no `{key}`"))
                    .with_help(format!("add `{key} = \"…\"` to the `[rule]` table")),
            );
        }
    };
    require("rule_id", &rule.rule_id);
    require("name", &rule.name);
    let Some(query) = rule.query else {
        errors.push(
            Diagnostic::error(Code::RuleKey, rule_span, "`[rule]` has no `query`")
                .with_help("add the EQL query: `query = '''process where …'''`"),
        );
        return Err(fail(text, errors));
    };
    if !errors.is_empty() {
        return Err(fail(text, errors));
    }
    let qspan = query.span();
    let query_text = query.into_inner();
    let query_map = map_string_literal(&text, qspan.start, qspan.end, &query_text);
    Ok(LoadedRule {
        path: path.to_path_buf(),
        meta: RuleMeta {
            rule_id: rule.rule_id.unwrap_or_default(),
            name: rule.name.unwrap_or_default(),
            description: rule.description.unwrap_or_default(),
            severity: rule.severity.unwrap_or_default(),
            risk_score: rule.risk_score,
            version: rule.version,
            language,
            rule_type,
            index: rule.index,
            tags: rule.tags,
            timestamp_override: rule.timestamp_override,
            event_category_override: rule.event_category_override,
            building_block_type: rule.building_block_type,
            threat: rule.threat,
        },
        raw,
        query: query_text,
        query_map,
        format: RuleFormat::Toml,
        text,
    })
}

/// The span of `key =` at the start of a line, for diagnostics about a key's value.
fn find_key(text: &str, key: &str) -> Option<Span> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix(key) {
            if rest.trim_start().starts_with('=') {
                let start = offset + (line.len() - trimmed.len());
                return Some(Span::new(
                    start,
                    start + line.trim_end().len() - (line.len() - trimmed.len()),
                ));
            }
        }
        offset += line.len();
    }
    None
}

/// Build the offset map for the TOML string literal at `text[start..end]` whose decoded
/// value is `decoded`. If the literal cannot be re-decoded identically (a TOML escape
/// this function does not know), every offset maps to the literal's start: the line is
/// still right for the first line of the query.
pub fn map_string_literal(text: &str, start: usize, end: usize, decoded: &str) -> QueryMap {
    let lit = &text[start..end];
    let fallback = QueryMap::Offset(start);
    for delim in ["'''", "\"\"\"", "'", "\""] {
        if !(lit.starts_with(delim) && lit.ends_with(delim) && lit.len() >= 2 * delim.len()) {
            continue;
        }
        let mut body_start = start + delim.len();
        let mut body = &text[body_start..end - delim.len()];
        if delim.len() == 3 {
            // A newline right after the opening delimiter is trimmed.
            if let Some(rest) = body.strip_prefix("\r\n") {
                body_start += 2;
                body = rest;
            } else if let Some(rest) = body.strip_prefix('\n') {
                body_start += 1;
                body = rest;
            }
        }
        if delim.starts_with('\'') {
            return if body == decoded {
                QueryMap::Offset(body_start)
            } else {
                fallback
            };
        }
        return match decode_basic(body, body_start, delim.len() == 3) {
            Some((s, table)) if s == decoded => QueryMap::Table(table),
            _ => fallback,
        };
    }
    fallback
}

/// Decode a TOML basic string body, recording the file offset of each decoded byte.
fn decode_basic(body: &str, base: usize, multiline: bool) -> Option<(String, Vec<usize>)> {
    let mut out = String::with_capacity(body.len());
    let mut table = Vec::with_capacity(body.len() + 1);
    let push = |out: &mut String, table: &mut Vec<usize>, c: char, at: usize| {
        out.push(c);
        table.extend(std::iter::repeat_n(at, c.len_utf8()));
    };
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < body.len() {
        let c = body[i..].chars().next()?;
        if c != '\\' {
            push(&mut out, &mut table, c, base + i);
            i += c.len_utf8();
            continue;
        }
        let e = *bytes.get(i + 1)? as char;
        let simple = match e {
            'b' => Some('\u{8}'),
            't' => Some('\t'),
            'n' => Some('\n'),
            'f' => Some('\u{c}'),
            'r' => Some('\r'),
            'e' => Some('\u{1b}'),
            '"' => Some('"'),
            '\\' => Some('\\'),
            _ => None,
        };
        if let Some(ch) = simple {
            push(&mut out, &mut table, ch, base + i);
            i += 2;
            continue;
        }
        let hex_len = match e {
            'x' => 2,
            'u' => 4,
            'U' => 8,
            _ => 0,
        };
        if hex_len > 0 {
            let hex = body.get(i + 2..i + 2 + hex_len)?;
            let ch = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
            push(&mut out, &mut table, ch, base + i);
            i += 2 + hex_len;
            continue;
        }
        if multiline && (e == ' ' || e == '\t' || e == '\n' || e == '\r') {
            // Line-ending backslash: skip whitespace and newlines up to the next
            // non-whitespace character.
            let rest = &body[i + 1..];
            let skip = rest
                .find(|c: char| !c.is_whitespace())
                .unwrap_or(rest.len());
            i += 1 + skip;
            continue;
        }
        return None;
    }
    table.push(base + body.len());
    Some((out, table))
}

/// Every rule file under the given paths (files are taken as they are; folders are
/// walked recursively for `*.toml` and `*.eql`, hidden entries skipped), sorted.
pub fn collect_rule_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out)?;
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = e.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "toml" || x == "eql") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> LoadedRule {
        load_rule_str(Path::new("t.toml"), text.to_string(), RuleFormat::Toml).unwrap()
    }

    #[test]
    fn literal_query_maps_with_offset() {
        let text = "[rule]\nrule_id = \"x\"\nname = \"n\"\nlanguage = \"eql\"\nquery = '''\nprocess where\n  foo\n'''\n";
        let r = load(text);
        let q = r.query.find("foo").unwrap();
        let f = r.query_map.to_file(q);
        assert_eq!(&text[f..f + 3], "foo");
    }

    #[test]
    fn basic_multiline_query_maps_through_escapes() {
        let text = "[rule]\nrule_id = \"x\"\nname = \"n\"\nlanguage = \"eql\"\nquery = \"\"\"\nprocess where a : \"C:\\\\x\\\\*\" and \\\n   foo\n\"\"\"\n";
        let r = load(text);
        assert!(r.query.contains("C:\\x\\*"), "{}", r.query);
        let q = r.query.find("foo").unwrap();
        let f = r.query_map.to_file(q);
        assert_eq!(&text[f..f + 3], "foo");
        let q = r.query.find("*").unwrap();
        let f = r.query_map.to_file(q);
        assert_eq!(&text[f..f + 1], "*");
    }

    #[test]
    fn other_language_is_not_supported() {
        let text = "[rule]\nrule_id = \"x\"\nname = \"n\"\nlanguage = \"esql\"\ntype = \"esql\"\nquery = 'from x'\n";
        let e = load_rule_str(Path::new("t.toml"), text.into(), RuleFormat::Toml).unwrap_err();
        assert_eq!(e.diagnostics[0].code, Code::Language);
        assert!(e.diagnostics[0].message.contains("esql"));
    }

    #[test]
    fn kql_rules_load_whatever_their_type() {
        for t in ["query", "new_terms"] {
            let text = format!("[rule]\nrule_id = \"x\"\nname = \"n\"\nlanguage = \"kuery\"\ntype = \"{t}\"\nquery = 'a:b'\n");
            let r = load(&text);
            assert_eq!(r.meta.language, "kuery");
            assert_eq!(r.meta.rule_type, t);
        }
    }
}
