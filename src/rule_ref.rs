//! A rule named on the command line (`eqlc explain RULE …`, `eqlc gen-events RULE`):
//! a rule file's path, or a rule of a folder (default `rules/`) by file name, stem,
//! `rule_id` or name (case-insensitive). Only that rule must load: a broken rule beside
//! it does not stop the command.

use std::path::{Path, PathBuf};

use rule_compiler::codegen::GenRule;
use rule_compiler::ruleset::{check_paths, CheckedFile};

/// Loads, checks and lowers the rule `name` (a path, or a rule of `dir`).
pub fn resolve(name: &str, dir: &Path) -> Result<(GenRule, PathBuf), String> {
    let path = Path::new(name);
    let report = if path.is_file() {
        check_paths(&[path.to_path_buf()], None)
    } else {
        check_paths(&[dir.to_path_buf()], None)
    }
    .map_err(|e| format!("cannot read the rules: {e}"))?;
    let wanted = name.to_lowercase();
    let matches = |f: &CheckedFile| -> bool {
        if path.is_file() {
            return true;
        }
        let file = f
            .path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let stem = f
            .path
            .file_stem()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let meta = f
            .rule
            .as_ref()
            .map(|r| (r.meta.rule_id.to_lowercase(), r.meta.name.to_lowercase()));
        file == wanted || stem == wanted || meta.is_some_and(|(id, n)| id == wanted || n == wanted)
    };
    let found: Vec<&CheckedFile> = report.files.iter().filter(|f| matches(f)).collect();
    let f = match found.as_slice() {
        [one] => *one,
        [] => {
            return Err(format!(
                "no rule `{name}`: not a file, and no rule of {} has that file name, stem, rule_id or name",
                dir.display()
            ))
        }
        many => {
            return Err(format!(
                "`{name}` names {} rules: {}",
                many.len(),
                many.iter()
                    .map(|f| f.path.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    };
    if f.has_errors() {
        return Err(format!(
            "{}\nthe rule {} does not load (see `eqlc check {}`)",
            f.render_capped(true).join("\n"),
            f.path.display(),
            f.path.display()
        ));
    }
    let gen = rule_compiler::codegen::gen_rule(f)
        .ok_or_else(|| format!("{}: the rule did not load", f.path.display()))??;
    Ok((gen, f.path.clone()))
}
