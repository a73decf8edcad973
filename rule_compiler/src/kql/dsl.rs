//! The Elasticsearch query DSL Kibana's detection engine builds from a KQL rule
//! (kql-semantics.md B, D.2): typed with the bundled mappings, as `eqlc check
//! --emit-dsl` prints it. The matchers do not use it (they evaluate the IR); it shows
//! what eqlc emulates, for comparison with a real cluster.

use super::mapping::{FieldMapping, Mappings};
use super::parser::{parse_kql, Lit, LitKind, Node, Piece};
use crate::diagnostic::Diagnostic;
use crate::source::LoadedRule;
use serde_json::{json, Map, Value as Json};

/// `toQueryStringQuery` (B.5): each literal segment with query_string's reserved
/// characters backslash-escaped, joined with `*`.
pub fn to_query_string_query(pieces: &[Piece]) -> String {
    const RESERVED: &str = "+-=&|><!(){}[]^\"~*?:\\/";
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Wildcard => out.push('*'),
            Piece::Char(c) => {
                if RESERVED.contains(*c) {
                    out.push('\\');
                }
                out.push(*c);
            }
        }
    }
    out
}

fn value_json(l: &Lit) -> Json {
    match &l.kind {
        LitKind::Quoted(s) | LitKind::Unquoted(s) => Json::from(s.as_str()),
        LitKind::Bool(b) => Json::from(*b),
        LitKind::Null => Json::Null,
        LitKind::Wildcard(p) => Json::from(super::parser::pieces_text(p)),
    }
}

fn should(clauses: Vec<Json>) -> Json {
    json!({"bool": {"should": clauses, "minimum_should_match": 1}})
}

/// Epoch values (numbers, digit-only strings) get no `time_zone` (B.6).
fn date_range(field: &str, bounds: Map<String, Json>, value: &Json) -> Json {
    let mut b = bounds;
    let epoch = value.is_number()
        || value
            .as_str()
            .is_some_and(|s| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()));
    if !epoch {
        b.insert("time_zone".into(), json!("Zulu"));
    }
    json!({"range": {field: b}})
}

struct Builder<'m> {
    mappings: &'m Mappings,
}

impl Builder<'_> {
    /// The fields a name stands for (B.4): the mapped fields it names, or the name as
    /// written with no type.
    fn fields(&self, name: &Lit, prefix: &str) -> Vec<(String, Option<FieldMapping>)> {
        match &name.kind {
            LitKind::Wildcard(p) => {
                let mut pattern = String::new();
                for c in prefix.chars() {
                    if matches!(c, '*' | '?' | '\\') {
                        pattern.push('\\');
                    }
                    pattern.push(c);
                }
                pattern.push_str(&super::lower::lucene_pattern(p));
                let found: Vec<(String, Option<FieldMapping>)> = self
                    .mappings
                    .matching(&pattern)
                    .into_iter()
                    .filter_map(|f| {
                        let m = self.mappings.get(&f)?;
                        (!matches!(m.es_type.as_str(), "object" | "nested" | "flattened"))
                            .then_some((f, Some(m)))
                    })
                    .collect();
                if found.is_empty() {
                    vec![(format!("{prefix}{}", name.text()), None)]
                } else {
                    found
                }
            }
            _ => {
                let f = format!("{prefix}{}", name.text());
                let m = self.mappings.get(&f);
                vec![(f, m)]
            }
        }
    }

    fn node(&self, n: &Node, prefix: &str) -> Json {
        match n {
            Node::MatchAll => json!({"match_all": {}}),
            Node::And(xs) => {
                json!({"bool": {"filter": xs.iter().map(|x| self.node(x, prefix)).collect::<Vec<_>>()}})
            }
            Node::Or(xs) => should(xs.iter().map(|x| self.node(x, prefix)).collect()),
            Node::Not(x) => json!({"bool": {"must_not": self.node(x, prefix)}}),
            Node::Nested { field, query } => {
                let path = format!("{prefix}{}", field.text());
                json!({"nested": {
                    "path": path,
                    "query": self.node(query, &format!("{path}.")),
                    "score_mode": "none",
                }})
            }
            Node::Is { field: None, value } => match &value.kind {
                LitKind::Wildcard(p) => {
                    json!({"query_string": {"query": to_query_string_query(p)}})
                }
                LitKind::Quoted(_) => {
                    json!({"multi_match": {"type": "phrase", "query": value_json(value), "lenient": true}})
                }
                _ => {
                    json!({"multi_match": {"type": "best_fields", "query": value_json(value), "lenient": true}})
                }
            },
            Node::Is {
                field: Some(field),
                value,
            } => {
                if field.is_lone_wildcard() && value.is_lone_wildcard() && prefix.is_empty() {
                    return json!({"match_all": {}});
                }
                let clauses = self
                    .fields(field, prefix)
                    .into_iter()
                    .map(|(f, m)| {
                        let es_type = m.as_ref().map_or("", |m| m.es_type.as_str());
                        let keyword = es_type == "keyword";
                        match &value.kind {
                            _ if value.is_lone_wildcard() => json!({"exists": {"field": f}}),
                            LitKind::Wildcard(p) if keyword => {
                                json!({"wildcard": {f: {"value": to_query_string_query(p)}}})
                            }
                            LitKind::Wildcard(p) => json!({"query_string": {
                                "fields": [f],
                                "query": to_query_string_query(p),
                            }}),
                            _ if es_type == "date" => {
                                let v = value_json(value);
                                let mut b = Map::new();
                                b.insert("gte".into(), v.clone());
                                b.insert("lte".into(), v.clone());
                                date_range(&f, b, &v)
                            }
                            _ if keyword => json!({"term": {f: {"value": value_json(value)}}}),
                            LitKind::Quoted(_) => json!({"match_phrase": {f: value_json(value)}}),
                            _ => json!({"match": {f: value_json(value)}}),
                        }
                    })
                    .collect();
                should(clauses)
            }
            Node::Range { field, op, value } => {
                let v = value_json(value);
                let clauses = self
                    .fields(field, prefix)
                    .into_iter()
                    .map(|(f, m)| {
                        let mut b = Map::new();
                        b.insert(op.as_str().into(), v.clone());
                        if m.is_some_and(|m| m.es_type == "date") {
                            date_range(&f, b, &v)
                        } else {
                            json!({"range": {f: b}})
                        }
                    })
                    .collect();
                should(clauses)
            }
        }
    }
}

/// The query Kibana's detection engine builds for a KQL rule (B.1 envelope: the KQL
/// under `filter`, positive filters beside it, negated filters under `must_not`; the
/// time-range filter and exceptions the engine adds are not shown, D.4).
pub fn rule_dsl(rule: &LoadedRule, mappings: &Mappings) -> Result<Json, Diagnostic> {
    let ast = parse_kql(&rule.query)?;
    let b = Builder { mappings };
    let mut filter = vec![b.node(&ast, "")];
    let mut must_not = Vec::new();
    let filters = rule
        .raw
        .get("rule")
        .and_then(|r| r.get("filters"))
        .and_then(|f| f.as_array());
    for f in filters.into_iter().flatten() {
        let flag = |k: &str| {
            f.get("meta")
                .and_then(|m| m.get(k))
                .and_then(|x| x.as_bool())
                .unwrap_or(false)
        };
        if flag("disabled") {
            continue;
        }
        let Some(q) = f.get("query") else { continue };
        let q = serde_json::to_value(q).unwrap_or(Json::Null);
        if flag("negate") {
            must_not.push(q);
        } else {
            filter.push(q);
        }
    }
    // `match_all` entries are removed from must/filter/should (from_kuery.ts).
    filter.retain(|x| x.get("match_all").is_none());
    Ok(json!({"bool": {"must": [], "filter": filter, "should": [], "must_not": must_not}}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{load_rule_str, RuleFormat};

    fn dsl(query: &str) -> Json {
        let text = format!(
            "[rule]\nrule_id = \"x\"\nname = \"x\"\nlanguage = \"kuery\"\ntype = \"query\"\nquery = '''\n{query}\n'''\n"
        );
        let rule = load_rule_str(std::path::Path::new("x.toml"), text, RuleFormat::Toml).unwrap();
        rule_dsl(&rule, Mappings::bundled()).unwrap()["bool"]["filter"][0].clone()
    }

    #[test]
    fn the_example_of_b8() {
        // kql-semantics.md B.8, byte for byte.
        let want: Json = serde_json::from_str(
            r#"{"bool":{"filter":[
    {"bool":{"should":[{"term":{"event.category":{"value":"process"}}}],"minimum_should_match":1}},
    {"bool":{"should":[
        {"bool":{"should":[{"term":{"process.name":{"value":"cmd.exe"}}}],"minimum_should_match":1}},
        {"bool":{"should":[{"term":{"process.name":{"value":"powershell.exe"}}}],"minimum_should_match":1}}],
      "minimum_should_match":1}},
    {"bool":{"must_not":{"bool":{"should":[{"wildcard":{"process.args":{"value":"*\\-enc*"}}}],"minimum_should_match":1}}}}]}}"#,
        )
        .unwrap();
        assert_eq!(
            dsl("event.category:process and process.name:(cmd.exe or \"powershell.exe\") and not process.args:*-enc*"),
            want
        );
    }

    #[test]
    fn typed_leaves_of_b8_and_b7() {
        assert_eq!(
            dsl(r"process.command_line:*\\Temp\\*"),
            json!({"bool":{"should":[{"query_string":{"fields":["process.command_line"],"query":"*\\\\Temp\\\\*"}}],"minimum_should_match":1}})
        );
        assert_eq!(
            dsl("powershell.file.script_block_text:\"IO.Compression\""),
            json!({"bool":{"should":[{"match_phrase":{"powershell.file.script_block_text":"IO.Compression"}}],"minimum_should_match":1}})
        );
        assert_eq!(
            dsl("destination.ip:10.0.0.0/8"),
            json!({"bool":{"should":[{"match":{"destination.ip":"10.0.0.0/8"}}],"minimum_should_match":1}})
        );
        assert_eq!(
            dsl("process.name:*"),
            json!({"bool":{"should":[{"exists":{"field":"process.name"}}],"minimum_should_match":1}})
        );
        assert_eq!(
            dsl("bytes > 1000"),
            json!({"bool":{"should":[{"range":{"bytes":{"gt":"1000"}}}],"minimum_should_match":1}})
        );
        assert_eq!(
            dsl("@timestamp > \"2018-01-03T19:04:17\""),
            json!({"bool":{"should":[{"range":{"@timestamp":{"gt":"2018-01-03T19:04:17","time_zone":"Zulu"}}}],"minimum_should_match":1}})
        );
        assert_eq!(
            dsl("@timestamp > 1776338120239"),
            json!({"bool":{"should":[{"range":{"@timestamp":{"gt":"1776338120239"}}}],"minimum_should_match":1}})
        );
        assert_eq!(
            dsl("not k:a"),
            json!({"bool":{"must_not":{"bool":{"should":[{"match":{"k":"a"}}],"minimum_should_match":1}}}})
        );
        assert_eq!(
            dsl("nestedField:{ childOfNested: foo }")["nested"]["score_mode"],
            json!("none")
        );
        assert_eq!(
            dsl("file.hash.*:abc")["bool"]["should"]
                .as_array()
                .map(Vec::len),
            Some(8)
        );
    }
}
