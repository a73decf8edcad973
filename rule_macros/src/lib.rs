//! The proc-macro that compiles a folder of rules into specialised Rust matchers at
//! build time, a thin shim over `rule_compiler::codegen` (the way `pest_derive` and
//! `logos-derive` are over their generators).
//!
//! ```text
//! rule_macros::include_rules!();            // the folder the build script names
//! rule_macros::include_rules!("my_rules");  // a folder relative to Cargo.toml
//! rule_macros::include_rules!(lenient);     // broken rules: an empty set, errors in BUILD_INFO
//! ```
//!
//! Without an argument the folder is the absolute path in `EQLC_RULES_DIR_ABS`, which
//! the calling crate's build script sets (`cargo:rustc-env=…`): a proc-macro's own
//! reading of the environment is invisible to cargo, so the build script resolves
//! `EQLC_RULES_DIR` (or `rules/`), emits `rerun-if-env-changed` and `rerun-if-changed`
//! for it, and hands the result over. Every rule file is tracked with `include_bytes!`,
//! so editing, adding or deleting a rule rebuilds. A rule that does not compile fails
//! the build with its `file:line:col`, the offending line and what to do — unless the
//! call says `lenient`: then the rule set is empty and `BUILD_INFO.errors` holds the
//! diagnostics (eqlc itself builds this way, so `eqlc check` works on a broken rule).

use proc_macro::TokenStream;
use std::path::PathBuf;

/// Expand to the compiled rules of a folder: `FIELDS`, `fields`, `RULES`, `project`,
/// `matchers` and one module per rule.
#[proc_macro]
pub fn include_rules(input: TokenStream) -> TokenStream {
    let root = std::env::var("CARGO_MANIFEST_DIR").map(PathBuf::from).ok();
    let text = input.to_string();
    let mut lenient = false;
    let mut folder = "";
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part == "lenient" {
            lenient = true;
        } else {
            folder = part;
        }
    }
    let arg = folder;
    let dir = if arg.is_empty() {
        match std::env::var("EQLC_RULES_DIR_ABS") {
            Ok(d) => PathBuf::from(d),
            Err(_) => {
                return error(
                    "include_rules!(): no rules folder. Name one (`include_rules!(\"rules\")`) or add a build.rs that emits `cargo:rustc-env=EQLC_RULES_DIR_ABS=<absolute folder>`",
                )
            }
        }
    } else {
        let Some(rel) = arg.strip_prefix('"').and_then(|a| a.strip_suffix('"')) else {
            return error("include_rules!(\"folder\"): the argument must be a string literal");
        };
        let root = std::env::var("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_default();
        root.join(rel)
    };
    let root = root.and_then(|r| r.canonicalize().ok());
    rule_compiler::codegen::expand_dir(&dir, root.as_deref(), lenient).into()
}

fn error(msg: &str) -> TokenStream {
    let lit = proc_macro::Literal::string(msg);
    format!("::core::compile_error!({lit});")
        .parse()
        .unwrap_or_default()
}
