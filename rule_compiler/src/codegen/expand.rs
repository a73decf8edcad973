//! The proc-macro's side of the generator: load, check and lower a rules folder, and
//! expand to its code (or to one `compile_error!` per problem and an empty rule set).

use proc_macro2::TokenStream;
use quote::quote;

use super::{generate, GenOptions, GenRule};
use crate::ir::lower_rule;

/// A checked file without errors lowered for the generator (`None` if it has no rule;
/// `Err` with the message if lowering fails).
pub fn gen_rule(f: &crate::ruleset::CheckedFile) -> Option<Result<GenRule, String>> {
    let (rule, query) = f.ok()?;
    Some(match lower_rule(rule, query) {
        Ok(ir) => Ok(GenRule {
            info: crate::interpreter::rule_info(&rule.meta),
            file: f
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            query: rule.query.clone(),
            ir,
        }),
        Err(e) => Err(format!("error: {}: {}", f.path.display(), e.message)),
    })
}

/// Load, check and lower every rule under `dir` for the generator. On failure, the
/// rendered diagnostics of every file that failed.
pub fn rules_from_dir(
    dir: &std::path::Path,
) -> Result<(Vec<GenRule>, Vec<std::path::PathBuf>), Vec<String>> {
    rules_from_dir_shown_from(dir, None)
}

/// [`rules_from_dir`], with file names in diagnostics shown relative to `root` when
/// they are under it (the macro passes the calling crate's folder).
pub fn rules_from_dir_shown_from(
    dir: &std::path::Path,
    root: Option<&std::path::Path>,
) -> Result<(Vec<GenRule>, Vec<std::path::PathBuf>), Vec<String>> {
    let report = crate::ruleset::check_paths(&[dir.to_path_buf()], None).map_err(|e| {
        vec![format!(
            "error: cannot read the rules folder {}: {e}",
            dir.display()
        )]
    })?;
    let files: Vec<std::path::PathBuf> = report.files.iter().map(|f| f.path.clone()).collect();
    let mut errors = Vec::new();
    let mut rules = Vec::new();
    for f in &report.files {
        if f.has_errors() {
            // Warnings do not stop the build; errors do, all of them.
            let shown = root
                .and_then(|r| f.path.strip_prefix(r).ok())
                .unwrap_or(&f.path);
            let name = shown.display().to_string();
            // At most 20 per file, then one `… and N more`.
            errors.extend(f.render_capped_as(&name, true));
            continue;
        }
        match gen_rule(f) {
            Some(Ok(rule)) => rules.push(rule),
            Some(Err(e)) => errors.push(e),
            None => {}
        }
    }
    if errors.is_empty() {
        Ok((rules, files))
    } else {
        Err(errors)
    }
}

/// What the proc-macro expands to for a rules folder: the generated code plus an
/// `include_bytes!` of every rule file (so editing one rebuilds), or, when a rule does
/// not compile, one `compile_error!` per diagnostic and an empty rule set with the same
/// items (so no follow-on errors cascade).
pub fn expand_dir(dir: &std::path::Path, root: Option<&std::path::Path>) -> TokenStream {
    match rules_from_dir_shown_from(dir, root) {
        Ok((rules, files)) => {
            let code = generate(&rules, &GenOptions::default());
            let tracked = tracked_files(&files);
            quote!(#tracked #code)
        }
        Err(errors) => {
            let files = crate::source::collect_rule_files(&[dir.to_path_buf()]).unwrap_or_default();
            let tracked = tracked_files(&files);
            let skeleton = generate(&[], &GenOptions::default());
            quote! {
                #(::core::compile_error!(#errors);)*
                #tracked
                #skeleton
            }
        }
    }
}

fn tracked_files(files: &[std::path::PathBuf]) -> TokenStream {
    let mut paths: Vec<String> = files
        .iter()
        .map(|p| {
            std::fs::canonicalize(p)
                .unwrap_or_else(|_| p.clone())
                .display()
                .to_string()
        })
        .collect();
    paths.sort();
    quote! {
        // The rule files this code was generated from: their contents are part of the
        // build, so editing one makes cargo rebuild.
        #(const _: &[u8] = ::core::include_bytes!(#paths);)*
    }
}
