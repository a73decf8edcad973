//! `generated/src/lib.rs` (the vendorable crate) is what `cargo xtask generate` makes of
//! `rules/` today: regenerate in memory and compare. The rendering code is xtask's own
//! (`xtask/src/generate.rs`), compiled in here, so the two cannot drift apart.

#[path = "../xtask/src/generate.rs"]
#[allow(dead_code)] // the task's writing half is not used here
mod generate;

use std::path::Path;

#[test]
fn generated_crate_is_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = generate::render(root).unwrap_or_else(|e| panic!("cannot generate: {e}"));
    let path = root.join(generate::OUTPUT);
    assert!(
        generate::is_fresh(&path, &text),
        "`{}` is stale or missing (it differs from the code generated from `{}/`): run `{}` and commit the result",
        generate::OUTPUT,
        generate::RULES_DIR,
        generate::COMMAND,
    );
}

#[test]
fn generated_crate_names_no_absolute_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in [
        "generated/Cargo.toml",
        "generated/README.md",
        generate::OUTPUT,
    ] {
        let text = std::fs::read_to_string(root.join(file))
            .unwrap_or_else(|e| panic!("cannot read {file}: {e}"));
        if let Err(e) = generate::check_portable(root, &text) {
            panic!("`{file}` {e}");
        }
    }
}
