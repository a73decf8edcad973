//! A rule set: every rule file under some paths, loaded, parsed and checked together
//! (duplicate `rule_id`s are a rule-set error). This is what `eqlc check` prints and
//! what the back ends start from.

use crate::ast::{Query, Span};
use crate::checker::check_query;
use crate::diagnostic::{render_capped_with, Code, Diagnostic, RenderOptions, Severity};
use crate::ir::{lower_rule, LowerError, RuleIr};
use crate::parser::parse_query;
use crate::schema::Schema;
use crate::source::{collect_rule_files, load_rule_file, LoadedRule};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One rule file after checking.
#[derive(Debug, Clone)]
pub struct CheckedFile {
    pub path: PathBuf,
    /// The file's text (empty if it could not be read).
    pub text: String,
    /// The loaded rule, if the file loaded.
    pub rule: Option<LoadedRule>,
    /// The parsed query, if it parsed (EQL rules).
    pub query: Option<Query>,
    /// The lowered rule of a KQL `query` rule (KQL is typed while it is lowered, so
    /// checking lowers it), if it lowered without errors.
    pub ir: Option<RuleIr>,
    /// Every diagnostic, with spans relative to `text`.
    pub diagnostics: Vec<Diagnostic>,
}

impl CheckedFile {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }

    /// All diagnostics rendered, in file order (at most
    /// [`crate::diagnostic::MAX_RENDERED_PER_FILE`], then a line counting the rest).
    pub fn render(&self) -> String {
        self.render_capped(false).join("\n")
    }

    /// The diagnostics rendered one by one (only the errors if `errors_only`), at most
    /// [`crate::diagnostic::MAX_RENDERED_PER_FILE`] of them, then a line counting the
    /// rest (`… and 412 more in x.toml (412 errors)`).
    pub fn render_capped(&self, errors_only: bool) -> Vec<String> {
        let name = self.path.display().to_string();
        self.render_capped_as(&name, errors_only)
    }

    /// [`CheckedFile::render_capped`], naming the file `name`.
    pub fn render_capped_as(&self, name: &str, errors_only: bool) -> Vec<String> {
        self.render_capped_with(name, errors_only, RenderOptions::default())
    }

    /// [`CheckedFile::render_capped_as`], rendered as `options` say (colours on a
    /// terminal, or the location-first titles of the proc-macro's `compile_error!`s).
    pub fn render_capped_with(
        &self,
        name: &str,
        errors_only: bool,
        options: RenderOptions,
    ) -> Vec<String> {
        render_capped_with(
            self.diagnostics
                .iter()
                .filter(|d| !errors_only || d.is_error()),
            name,
            &self.text,
            options,
        )
    }

    /// The rule type this file has that eqlc does not run yet (`new_terms` …).
    pub fn unsupported_type(&self) -> Option<&str> {
        self.diagnostics
            .iter()
            .any(|d| d.code == Code::RuleType)
            .then(|| self.rule.as_ref().map(|r| r.meta.rule_type.as_str()))
            .flatten()
    }

    /// The rule lowered to IR (EQL or KQL), when it checked without errors; `None` if it
    /// did not, `Err` if lowering fails.
    pub fn lowered(&self) -> Option<Result<RuleIr, LowerError>> {
        if self.has_errors() {
            return None;
        }
        if let Some(ir) = &self.ir {
            return Some(Ok(ir.clone()));
        }
        let (rule, query) = self.ok()?;
        Some(lower_rule(rule, query))
    }

    /// The rule and its query, when it checked without errors.
    pub fn ok(&self) -> Option<(&LoadedRule, &Query)> {
        match (&self.rule, &self.query) {
            (Some(r), Some(q)) if !self.has_errors() => Some((r, q)),
            _ => None,
        }
    }
}

/// Parse and check one loaded rule.
pub fn check_rule(rule: LoadedRule, schema: Option<&Schema>) -> CheckedFile {
    if rule.meta.language == "kuery" {
        return check_kql_rule(rule);
    }
    let (query, diagnostics) = match parse_query(&rule.query) {
        Ok(q) => {
            let ds = check_query(&q, schema);
            (Some(q), ds)
        }
        Err(ds) => (None, ds),
    };
    let mut diagnostics: Vec<Diagnostic> =
        diagnostics.into_iter().map(|d| rule.locate(d)).collect();
    diagnostics.sort_by_key(|d| (d.span.map(|s| s.start), d.severity));
    CheckedFile {
        path: rule.path.clone(),
        text: rule.text.clone(),
        rule: Some(rule),
        query,
        ir: None,
        diagnostics,
    }
}

/// Check a KQL rule: a `query` rule is parsed and lowered with the bundled mappings;
/// other types are reported by name (not supported yet).
fn check_kql_rule(rule: LoadedRule) -> CheckedFile {
    let mut diagnostics = Vec::new();
    let mut ir = None;
    let t = rule.meta.rule_type.as_str();
    if crate::kql::rule_type_supported(t) {
        let lowered = crate::kql::lower_kql_rule(&rule);
        diagnostics.extend(
            lowered
                .query_diagnostics
                .into_iter()
                .map(|d| rule.locate(d)),
        );
        diagnostics.extend(lowered.file_diagnostics);
        ir = lowered.ir;
    } else {
        // The query still has to be KQL Kibana accepts.
        if let Err(d) = crate::kql::parse_kql(&rule.query) {
            diagnostics.push(rule.locate(d));
        }
        let what = if t.is_empty() {
            "KQL rules without a `type`".to_string()
        } else {
            format!("`{t}` rules")
        };
        let at = find_key(&rule.text, "type");
        diagnostics.push(
            Diagnostic::error(Code::RuleType, at, format!("{what} are not supported yet"))
                .with_help("eqlc runs KQL rules of type `query`: new_terms, threshold and threat_match rules need state across events and indices that eqlc does not keep yet"),
        );
    }
    diagnostics.sort_by_key(|d| (d.span.map(|s| s.start), d.severity));
    CheckedFile {
        path: rule.path.clone(),
        text: rule.text.clone(),
        rule: Some(rule),
        query: None,
        ir,
        diagnostics,
    }
}

/// The span of the first `key = …` line's key.
fn find_key(text: &str, key: &str) -> Option<Span> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix(key) {
            if rest.trim_start().starts_with('=') {
                let start = offset + line.len() - t.len();
                return Some(Span::new(
                    start,
                    start + line.trim_end().len() - (line.len() - t.len()),
                ));
            }
        }
        offset += line.len();
    }
    None
}

/// Load and check one file.
pub fn check_file(path: &Path, schema: Option<&Schema>) -> CheckedFile {
    checked(load_rule_file(path), schema)
}

/// Load and check a rule's text, as if read from `path`.
pub fn check_text(
    path: &Path,
    text: String,
    format: crate::source::RuleFormat,
    schema: Option<&Schema>,
) -> CheckedFile {
    checked(crate::source::load_rule_str(path, text, format), schema)
}

fn checked(
    loaded: Result<crate::source::LoadedRule, crate::source::LoadError>,
    schema: Option<&Schema>,
) -> CheckedFile {
    match loaded {
        Ok(rule) => check_rule(rule, schema),
        Err(e) => CheckedFile {
            path: e.path,
            text: e.text,
            rule: None,
            query: None,
            ir: None,
            diagnostics: e.diagnostics,
        },
    }
}

/// The result of checking a rule set.
#[derive(Debug, Clone, Default)]
pub struct RuleSetReport {
    pub files: Vec<CheckedFile>,
}

impl RuleSetReport {
    pub fn checked(&self) -> usize {
        self.files.len()
    }

    /// Files with errors, rules of unsupported types not counted.
    pub fn failed(&self) -> usize {
        self.files
            .iter()
            .filter(|f| f.has_errors() && f.unsupported_type().is_none())
            .count()
    }

    /// Rules of a type eqlc does not run yet, per type (sorted by count, then name).
    pub fn unsupported(&self) -> Vec<(String, usize)> {
        let mut by: HashMap<String, usize> = HashMap::new();
        for f in &self.files {
            if let Some(t) = f.unsupported_type() {
                *by.entry(t.to_string()).or_default() += 1;
            }
        }
        let mut v: Vec<(String, usize)> = by.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    pub fn ok(&self) -> usize {
        self.files.iter().filter(|f| !f.has_errors()).count()
    }

    pub fn warnings(&self) -> usize {
        self.files.iter().map(CheckedFile::warnings).sum()
    }

    /// The summary line `eqlc check` ends with.
    pub fn summary(&self) -> String {
        let w = self.warnings();
        let mut s = format!(
            "checked {} rules: {} ok, {} failed",
            self.checked(),
            self.ok(),
            self.failed()
        );
        let unsupported = self.unsupported();
        if !unsupported.is_empty() {
            let n: usize = unsupported.iter().map(|u| u.1).sum();
            let list: Vec<String> = unsupported
                .iter()
                .map(|(t, c)| format!("{t} {c}"))
                .collect();
            s.push_str(&format!(", {n} not supported yet ({})", list.join(", ")));
        }
        if w > 0 {
            s.push_str(&format!(" ({w} warning{})", if w == 1 { "" } else { "s" }));
        }
        s
    }
}

/// Check every rule file under `paths` as one rule set.
pub fn check_paths(paths: &[PathBuf], schema: Option<&Schema>) -> std::io::Result<RuleSetReport> {
    let files = collect_rule_files(paths)?;
    let mut report = RuleSetReport {
        files: files.iter().map(|p| check_file(p, schema)).collect(),
    };
    mark_duplicate_ids(&mut report.files);
    Ok(report)
}

/// A `rule_id` used by two files is an error on every file after the first.
pub fn mark_duplicate_ids(files: &mut [CheckedFile]) {
    let mut first: HashMap<String, PathBuf> = HashMap::new();
    for f in files.iter_mut() {
        let Some(rule) = &f.rule else { continue };
        let id = rule.meta.rule_id.clone();
        match first.get(&id) {
            None => {
                first.insert(id, f.path.clone());
            }
            Some(other) => {
                let span = find_value(&f.text, &id);
                f.diagnostics.push(
                    Diagnostic::error(
                        Code::DuplicateRuleId,
                        span,
                        format!(
                            "rule_id `{id}` is already used by {}",
                            other.display()
                        ),
                    )
                    .with_help("every rule in a rule set needs its own rule_id; keep one version of the rule in this folder"),
                );
            }
        }
    }
}

fn find_value(text: &str, value: &str) -> Option<Span> {
    text.find(&format!("\"{value}\""))
        .map(|i| Span::new(i + 1, i + 1 + value.len()))
}
