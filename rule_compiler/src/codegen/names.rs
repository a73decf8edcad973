//! Names in generated code: field-slot constants from field paths, module names from
//! rule file names, both made unique and kept clear of Rust keywords.

use proc_macro2::{Ident, Span};
use std::collections::BTreeSet;

/// `process.name` → `PROCESS_NAME`, made unique.
pub(crate) fn field_const_names(table: &[&str]) -> Vec<Ident> {
    let mut seen = BTreeSet::new();
    table
        .iter()
        .map(|path| {
            let mut base: String = path
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect();
            base = base.trim_matches('_').to_string();
            if base.is_empty() || base.starts_with(|c: char| c.is_ascii_digit()) {
                base = format!("F_{base}");
            }
            let mut name = base.clone();
            let mut n = 2;
            while !seen.insert(name.clone()) {
                name = format!("{base}_{n}");
                n += 1;
            }
            Ident::new(&name, Span::call_site())
        })
        .collect()
}

/// A module name from a rule file name: `credential_access_x.toml` →
/// `credential_access_x`.
pub(crate) fn module_name(file: &str) -> String {
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    let mut name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("rule_{name}");
    }
    if is_keyword(&name) {
        name.push('_');
    }
    name
}

fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "as" | "break"
            | "const"
            | "continue"
            | "crate"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "async"
            | "await"
            | "dyn"
            | "abstract"
            | "become"
            | "box"
            | "do"
            | "final"
            | "macro"
            | "override"
            | "priv"
            | "typeof"
            | "unsized"
            | "virtual"
            | "yield"
            | "try"
            | "gen"
            | "fields"
    )
}

pub(crate) fn unique_ident(base: &str, seen: &mut BTreeSet<String>) -> Ident {
    let mut name = base.to_string();
    let mut n = 2;
    while !seen.insert(name.clone()) {
        name = format!("{base}_{n}");
        n += 1;
    }
    Ident::new(&name, Span::call_site())
}
