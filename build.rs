//! Tells the `include_rules!` macro which rules folder to compile into `eqlc`, and cargo
//! when to rebuild: `EQLC_RULES_DIR` (relative to this package, or absolute) or
//! `rules/`. A proc-macro's own environment reads are invisible to cargo, so the folder
//! is resolved here, tracked with `rerun-if-changed` (adding or deleting a file changes
//! the folder) and handed over with `rustc-env`.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=EQLC_RULES_DIR");
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let dir = match std::env::var("EQLC_RULES_DIR") {
        Ok(d) if !d.is_empty() => root.join(d),
        _ => root.join("rules"),
    };
    let dir = dir.canonicalize().unwrap_or(dir);
    println!("cargo:rerun-if-changed={}", dir.display());
    println!("cargo:rustc-env=EQLC_RULES_DIR_ABS={}", dir.display());
}
