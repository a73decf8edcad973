//! Tells the `include_rules!` macro which rules folder the runner and the integration
//! tests compile in: `EQLC_RULES_DIR` (relative to the project root, or absolute), by
//! default the project's `rules/`. The folder is resolved here, tracked with
//! `rerun-if-changed` (adding or deleting a rule or test file changes the folder) and
//! handed over with `rustc-env`, as eqlc's own build script does.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=EQLC_RULES_DIR");
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()))
        .join("..");
    let dir = match std::env::var("EQLC_RULES_DIR") {
        Ok(d) if !d.is_empty() => root.join(d),
        _ => root.join("rules"),
    };
    let dir = dir.canonicalize().unwrap_or(dir);
    println!("cargo:rerun-if-changed={}", dir.display());
    println!("cargo:rustc-env=EQLC_RULES_DIR_ABS={}", dir.display());
}
