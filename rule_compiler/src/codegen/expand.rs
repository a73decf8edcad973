//! The proc-macro's side of the generator: load, check and lower a rules folder, and
//! expand to its code (or to one `compile_error!` per problem and an empty rule set).

use proc_macro2::TokenStream;
use quote::quote;

use super::{generate, GenOptions, GenRule};
use crate::diagnostic::{RenderOptions, RenderStyle};

/// A checked file without errors lowered for the generator (`None` if it has no rule;
/// `Err` with the message if lowering fails).
pub fn gen_rule(f: &crate::ruleset::CheckedFile) -> Option<Result<GenRule, String>> {
    let rule = f.rule.as_ref()?;
    Some(match f.lowered()? {
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
    load_all_rules(dir, root, RenderOptions::PLAIN)
}

/// The rules of a folder that compile, and the files that do not.
pub struct LoadedRules {
    /// Every rule that loads, checks and lowers, in path order.
    pub rules: Vec<GenRule>,
    /// Every rule file of the folder, in path order.
    pub files: Vec<std::path::PathBuf>,
    /// The rule files with errors, each with its rendered diagnostics.
    pub broken: Vec<BrokenRule>,
}

/// A rule file that does not compile.
pub struct BrokenRule {
    pub path: std::path::PathBuf,
    /// Its errors, rendered (at most 20, then one `… and N more`).
    pub errors: Vec<String>,
}

impl LoadedRules {
    /// Every broken file's diagnostics, in path order.
    pub fn errors(&self) -> Vec<String> {
        self.broken.iter().flat_map(|b| b.errors.clone()).collect()
    }
}

/// Loads, checks and lowers every rule under `dir`, keeping the ones that compile
/// beside the diagnostics of the ones that do not (`Err` only when the folder cannot be
/// read). File names in diagnostics are relative to `root` when under it.
pub fn load_rules(
    dir: &std::path::Path,
    root: Option<&std::path::Path>,
    options: RenderOptions,
) -> Result<LoadedRules, String> {
    let prefix = match options.style {
        RenderStyle::Rustc => "error: ",
        RenderStyle::LocationFirst => "",
    };
    let report = crate::ruleset::check_paths(&[dir.to_path_buf()], None).map_err(|e| {
        format!(
            "{prefix}cannot read the rules folder {}: {e}",
            dir.display()
        )
    })?;
    let files: Vec<std::path::PathBuf> = report.files.iter().map(|f| f.path.clone()).collect();
    let mut broken = Vec::new();
    let mut rules = Vec::new();
    for f in &report.files {
        if f.has_errors() {
            // Warnings do not stop the build; errors do, all of them.
            let shown = root
                .and_then(|r| f.path.strip_prefix(r).ok())
                .unwrap_or(&f.path);
            let name = shown.display().to_string();
            broken.push(BrokenRule {
                path: f.path.clone(),
                // At most 20 per file, then one `… and N more`.
                errors: f.render_capped_with(&name, true, options),
            });
            continue;
        }
        match gen_rule(f) {
            Some(Ok(rule)) => rules.push(rule),
            Some(Err(e)) => broken.push(BrokenRule {
                path: f.path.clone(),
                errors: vec![match e.strip_prefix("error: ") {
                    Some(rest) => format!("{prefix}{rest}"),
                    None => e,
                }],
            }),
            None => {}
        }
    }
    Ok(LoadedRules {
        rules,
        files,
        broken,
    })
}

/// [`load_rules`], all or nothing: the rules and files, or every diagnostic.
fn load_all_rules(
    dir: &std::path::Path,
    root: Option<&std::path::Path>,
    options: RenderOptions,
) -> Result<(Vec<GenRule>, Vec<std::path::PathBuf>), Vec<String>> {
    let loaded = load_rules(dir, root, options).map_err(|e| vec![e])?;
    if loaded.broken.is_empty() {
        Ok((loaded.rules, loaded.files))
    } else {
        Err(loaded.errors())
    }
}

/// What the proc-macro expands to for a rules folder: the generated code, `BUILD_INFO`
/// (the rule files' hash) and an `include_bytes!` of every rule file (so editing one
/// rebuilds). When a rule does not compile: one `compile_error!` per diagnostic and an
/// empty rule set with the same items (so no follow-on errors cascade); or, `lenient`,
/// one warning: the rules that compile, with the others' diagnostics in
/// `BUILD_INFO.errors` for the program to report (so a tool that also checks and tests
/// rules still builds, and says which rule is broken).
pub fn expand_dir(
    dir: &std::path::Path,
    root: Option<&std::path::Path>,
    lenient: bool,
) -> TokenStream {
    let files = crate::source::collect_rule_files(&[dir.to_path_buf()]).unwrap_or_default();
    let tracked = tracked_files(&files);
    let hash = source_hash(&files);
    let count = files.len();
    // Each message reads like `eqlc check`'s, location first:
    // `rules/x.toml:13:15: unknown function `f` [unknown-function]`, then the snippet
    // and the help; rustc puts its own `error: ` before it.
    let (rules, errors) = match load_rules(dir, root, RenderOptions::COMPILE_ERROR) {
        Ok(loaded) => {
            let errors = loaded.errors();
            (loaded.rules, errors)
        }
        Err(e) => (Vec::new(), vec![e]),
    };
    if errors.is_empty() {
        let code = generate(&rules, &GenOptions::default());
        return quote! {
            #tracked
            #code
            /// What this rule set was built from.
            pub static BUILD_INFO: ::rule_runtime::ruleset::BuildInfo =
                ::rule_runtime::ruleset::BuildInfo { files: #count, hash: #hash, errors: &[] };
        };
    }
    if lenient {
        // The rules that compile, and a warning the build shows (rustc's deprecation
        // lint, the one warning a macro can raise on stable).
        let code = generate(&rules, &GenOptions::default());
        let first = errors
            .first()
            .and_then(|e| e.lines().next())
            .unwrap_or_default();
        let note = format!(
            "rules that do not compile were left out of this build ({} error{}; the first: \
             {first}); `eqlc scan` refuses to run until they are fixed; `eqlc check` shows \
             every error",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" },
        );
        return quote! {
            #[deprecated(note = #note)]
            #[doc(hidden)]
            pub const RULES_DO_NOT_COMPILE: () = ();
            const _: () = RULES_DO_NOT_COMPILE;
            #tracked
            #code
            /// What this rule set was built from: some rules did not compile.
            pub static BUILD_INFO: ::rule_runtime::ruleset::BuildInfo =
                ::rule_runtime::ruleset::BuildInfo { files: #count, hash: #hash, errors: &[#(#errors),*] };
        };
    }
    let skeleton = generate(&[], &GenOptions::default());
    quote! {
        #(::core::compile_error!(#errors);)*
        #tracked
        #skeleton
        /// What this rule set was built from: rules that did not compile.
        pub static BUILD_INFO: ::rule_runtime::ruleset::BuildInfo =
            ::rule_runtime::ruleset::BuildInfo { files: #count, hash: #hash, errors: &[#(#errors),*] };
    }
}

/// FNV-1a over the rule files' names and contents, in path order, as 16 hex digits.
fn source_hash(files: &[std::path::PathBuf]) -> String {
    let mut sorted: Vec<&std::path::PathBuf> = files.iter().collect();
    sorted.sort();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01B3);
        }
    };
    for f in sorted {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        eat(name.as_bytes());
        eat(&[0]);
        eat(&std::fs::read(f).unwrap_or_default());
        eat(&[0]);
    }
    format!("{h:016x}")
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
