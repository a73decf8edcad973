//! Tells the `include_rules!` macro which rules folder to compile in (`EQLC_RULES_DIR`,
//! relative to the project root or absolute, default `rules/`), as eqlc's own build
//! script does.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=EQLC_RULES_DIR");
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()))
        .join("../..");
    let dir = match std::env::var("EQLC_RULES_DIR") {
        Ok(d) if !d.is_empty() => root.join(d),
        _ => root.join("rules"),
    };
    let dir = dir.canonicalize().unwrap_or(dir);
    println!("cargo:rerun-if-changed={}", dir.display());
    println!("cargo:rustc-env=EQLC_RULES_DIR_ABS={}", dir.display());
}
