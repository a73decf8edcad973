//! Which rules a command runs or lists: `--rule NAME|ID|GLOB` (file name or stem,
//! `rule_id`, name; `*` and `?` match any text and one character, case-insensitive),
//! `--min-severity`, `--tag` (any of them).

use rule_runtime::pattern::Wildcard;

/// Detection-rules severities, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// A rule's severity text as a level (`None` for an unknown one).
    pub fn parse(text: &str) -> Option<Severity> {
        match text.to_ascii_lowercase().as_str() {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// The selection asked for on the command line.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub rules: Vec<String>,
    pub min_severity: Option<Severity>,
    pub tags: Vec<String>,
}

/// What a rule is selected by.
pub struct RuleFacts<'a> {
    pub file: &'a str,
    pub id: &'a str,
    pub name: &'a str,
    pub severity: &'a str,
    pub tags: &'a [String],
}

impl Selection {
    /// Whether nothing narrows the selection.
    pub fn is_all(&self) -> bool {
        self.rules.is_empty() && self.min_severity.is_none() && self.tags.is_empty()
    }

    /// Whether the rule is selected.
    pub fn selects(&self, r: &RuleFacts<'_>) -> bool {
        let stem = r.file.rsplit_once('.').map_or(r.file, |(stem, _)| stem);
        let by_name = self.rules.is_empty()
            || self.rules.iter().any(|p| {
                let w = Wildcard::new(p, true);
                [r.file, stem, r.id, r.name].iter().any(|t| w.matches(t))
            });
        let by_severity = self.min_severity.is_none_or(|min| {
            // A severity eqlc does not know is not filtered out by a level.
            Severity::parse(r.severity).is_none_or(|s| s >= min)
        });
        let by_tag = self.tags.is_empty()
            || self
                .tags
                .iter()
                .any(|t| r.tags.iter().any(|rt| rt.eq_ignore_ascii_case(t)));
        by_name && by_severity && by_tag
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_by_name_severity_and_tag() {
        let tags = vec!["Windows".to_string(), "Credential Access".to_string()];
        let r = RuleFacts {
            file: "credential_access_x.toml",
            id: "c5c9f591-d111",
            name: "Renamed COM+ DLL",
            severity: "high",
            tags: &tags,
        };
        let sel = |rules: &[&str], min: Option<Severity>, tags: &[&str]| Selection {
            rules: rules.iter().map(|s| s.to_string()).collect(),
            min_severity: min,
            tags: tags.iter().map(|s| s.to_string()).collect(),
        };
        assert!(sel(&[], None, &[]).selects(&r));
        assert!(sel(&["credential_access_x"], None, &[]).selects(&r));
        assert!(sel(&["credential_*"], None, &[]).selects(&r));
        assert!(sel(&["C5C9F591-D111"], None, &[]).selects(&r));
        assert!(sel(&["renamed com+ dll"], None, &[]).selects(&r));
        assert!(!sel(&["other"], None, &[]).selects(&r));
        assert!(sel(&[], Some(Severity::Medium), &[]).selects(&r));
        assert!(!sel(&[], Some(Severity::Critical), &[]).selects(&r));
        assert!(sel(&[], None, &["windows"]).selects(&r));
        assert!(!sel(&[], None, &["linux"]).selects(&r));
    }
}
