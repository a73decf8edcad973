//! The benchmark's stream: realistic ECS NDJSON from `streamgen`, with the literals the
//! compiled rules test mixed in as its rare vocabulary (so rules fire as they would on
//! real data, not never).

use std::collections::BTreeMap;

use rule_runtime::index::AtomKind;
use rule_runtime::ruleset::RuleSetSpec;

/// The stream's seed: change it for another stream.
pub const SEED: u64 = 0xEC5_2026;

/// Values the rules look for, per field: exact literals, and patterns with their
/// wildcards filled (`*` → nothing, `?` → `a`). At most `per_field` per field.
pub fn rare_vocabulary(spec: &RuleSetSpec, per_field: usize) -> Vec<(String, Vec<String>)> {
    let mut by_field: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for atom in spec.atoms {
        let value = match atom.kind {
            AtomKind::Text | AtomKind::Folded | AtomKind::Ip | AtomKind::Number => {
                atom.literal.to_string()
            }
            AtomKind::Like | AtomKind::LikeFolded => {
                atom.literal.replace('*', "").replace('?', "a")
            }
            AtomKind::Category | AtomKind::Bool => continue,
        };
        if value.is_empty() {
            continue;
        }
        let Some(field) = spec.fields.get(atom.slot as usize) else {
            continue;
        };
        let list = by_field.entry(field).or_default();
        if list.len() < per_field && !list.contains(&value) {
            list.push(value);
        }
    }
    by_field
        .into_iter()
        .map(|(f, v)| (f.to_string(), v))
        .collect()
}

/// `n` events of the benchmark stream.
pub fn build(spec: &RuleSetSpec, n: usize) -> Vec<u8> {
    let config = streamgen::Config {
        seed: SEED,
        rare: rare_vocabulary(spec, 64),
        ..streamgen::Config::default()
    };
    streamgen::Generator::new(config).ndjson(n)
}
