//! Generators of hostile rules, shared by `hostile.rs` and `tests/macro_builds.rs`
//! (included there with `#[path]`).

use rule_compiler::parser::MAX_QUERY_LEN;

/// The rule: `process where a == 1 and a == 1 and …`, 23,000 terms (253 KB,
/// under the 256 KiB limit).
pub fn long_chain_query() -> String {
    let q = format!("process where {}", vec!["a == 1"; 23_000].join(" and "));
    assert!(q.len() > 250_000 && q.len() <= MAX_QUERY_LEN, "{}", q.len());
    q
}

/// A condition exactly `depth` levels deep (as
/// [`rule_compiler::parser::MAX_EXPR_DEPTH`] counts), nesting in
/// turn `not`, an `or` chain, an `and` chain and a condition used as a value
/// (`true == (…)`), one pair of parentheses per level. With `a` = 1 and `c` = "x" (and
/// no `b`), it is true iff the number of `not`s is even.
pub fn deep_condition(depth: usize) -> (String, bool) {
    assert!(depth >= 2);
    let mut s = "a == 1".to_string(); // a comparison of a field: 2 levels
    let mut value = true;
    for level in 3..=depth {
        s = match level % 4 {
            0 => {
                value = !value;
                format!("not ({s})")
            }
            1 => format!("b == {level} or ({s})"),
            2 => format!("c : \"x*\" and ({s})"),
            _ => format!("true == ({s})"),
        };
    }
    (s, value)
}

/// A rule file around `query` (a `'''` literal).
pub fn rule_file(id: &str, query: &str) -> String {
    format!(
        "[rule]\nrule_id = \"{id}\"\nname = \"{id}\"\nlanguage = \"eql\"\ntype = \"eql\"\nseverity = \"low\"\nrisk_score = 21\nquery = '''\n{query}\n'''\n"
    )
}

/// 23,000 calls of an unknown function on one line of 207 KB: 23,000 errors.
pub fn many_errors_query() -> String {
    format!("process where {}", vec!["f(a)"; 23_000].join(" and "))
}
