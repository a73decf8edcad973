//! Field mappings for KQL: the Elasticsearch type of each field (not the checker's
//! coarse [`crate::schema::FieldType`]: `keyword`, `wildcard`, `text` … behave
//! differently under KQL), its `ignore_above`, normalizer and analyzer.
//!
//! Sources, first hit wins (kql-semantics.md E.3):
//! 1. integration mappings eqlc knows about: `powershell.file.script_block_text` is
//!    `text` with the Windows integration's `powershell_script_analyzer` [INT:windows];
//!    every `*.caseless` field is Elastic Defend's `keyword` with the `lowercase`
//!    normalizer and `ignore_above: 1024` [INT:endpoint];
//! 2. the ECS 9.5 flat schema bundled in `schemas/` (types, `ignore_above`, multi-fields);
//! 3. detection-rules' non-ECS schema bundled in `schemas/` (types only; its `keyword`
//!    fields get Fleet's default `ignore_above: 1024`, inferred);
//! 4. anything else is unmapped here: dynamically mapped by the JSON kind of the value
//!    (`Indexing::Dynamic`; strings as `keyword` with `ignore_above: 1024`, E.3/E.5).

use rule_runtime::kql::Analyzer;
use std::collections::BTreeMap;
use std::io::Read as _;
use std::sync::OnceLock;

/// What KQL needs to know about one field's mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldMapping {
    /// The Elasticsearch type name (`keyword`, `wildcard`, `match_only_text`, `long` …).
    pub es_type: String,
    pub ignore_above: Option<u32>,
    /// The `lowercase` normalizer (keyword fields).
    pub lowercase: bool,
    /// The analyzer of a `text` / `match_only_text` field.
    pub analyzer: Option<Analyzer>,
    /// `false` for a field mapped `index: false, doc_values: false` (ECS
    /// `event.original`): queries on it fail in Elasticsearch (C.8).
    pub searchable: bool,
}

impl FieldMapping {
    fn of_type(t: &str) -> FieldMapping {
        FieldMapping {
            es_type: t.to_string(),
            ignore_above: None,
            lowercase: false,
            analyzer: matches!(t, "text" | "match_only_text").then_some(Analyzer::Standard),
            searchable: true,
        }
    }
}

/// The field mappings KQL rules are typed with.
#[derive(Debug, Clone, Default)]
pub struct Mappings {
    fields: BTreeMap<String, FieldMapping>,
}

/// The field of the Windows integration analysed with `powershell_script_analyzer`.
pub const POWERSHELL_SCRIPT_FIELD: &str = "powershell.file.script_block_text";

static ECS_FLAT: &[u8] = include_bytes!("../../../schemas/ecs_flat_9.5.0.json.gz");
static NON_ECS: &str = include_str!("../../../schemas/non-ecs-schema.json");

impl Mappings {
    /// The mappings of the schemas bundled with eqlc (`schemas/`), loaded once.
    pub fn bundled() -> &'static Mappings {
        static M: OnceLock<Mappings> = OnceLock::new();
        M.get_or_init(|| {
            let mut m = Mappings::default();
            let mut text = String::new();
            // Both files are part of the source tree; failing to read them is a build bug.
            if flate2::read::GzDecoder::new(ECS_FLAT)
                .read_to_string(&mut text)
                .is_ok()
            {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                    m.merge_ecs(&v);
                }
            }
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(NON_ECS) {
                m.merge_non_ecs(&v);
            }
            m
        })
    }

    /// Add a field (kept if already present: the first source wins).
    pub fn insert(&mut self, path: &str, mapping: FieldMapping) {
        self.fields.entry(path.to_string()).or_insert(mapping);
    }

    fn merge_ecs(&mut self, v: &serde_json::Value) {
        let Some(obj) = v.as_object() else { return };
        for (name, def) in obj {
            let Some(t) = def.get("type").and_then(|t| t.as_str()) else {
                continue;
            };
            let mut m = FieldMapping::of_type(t);
            m.ignore_above = def
                .get("ignore_above")
                .and_then(|x| x.as_u64())
                .map(|x| x as u32);
            let off = |k: &str| def.get(k).and_then(|x| x.as_bool()) == Some(false);
            m.searchable = !(off("index") && off("doc_values"));
            self.insert(name, m);
            for mf in def
                .get("multi_fields")
                .and_then(|x| x.as_array())
                .into_iter()
                .flatten()
            {
                if let (Some(n), Some(t)) = (
                    mf.get("flat_name").and_then(|x| x.as_str()),
                    mf.get("type").and_then(|x| x.as_str()),
                ) {
                    self.insert(n, FieldMapping::of_type(t));
                }
            }
        }
    }

    fn merge_non_ecs(&mut self, v: &serde_json::Value) {
        fn walk(m: &mut Mappings, prefix: &str, v: &serde_json::Value) {
            match v {
                serde_json::Value::String(t) => {
                    let mut f = FieldMapping::of_type(t);
                    if t == "keyword" {
                        f.ignore_above = Some(1024);
                    }
                    m.insert(prefix, f);
                }
                serde_json::Value::Object(o) => {
                    for (k, x) in o {
                        let p = if prefix.is_empty() {
                            k.clone()
                        } else {
                            format!("{prefix}.{k}")
                        };
                        walk(m, &p, x);
                    }
                }
                _ => {}
            }
        }
        if let Some(o) = v.as_object() {
            for fields in o.values() {
                walk(self, "", fields);
            }
        }
    }

    /// The mapping of `path`, if some source maps it.
    pub fn get(&self, path: &str) -> Option<FieldMapping> {
        if path == POWERSHELL_SCRIPT_FIELD {
            return Some(FieldMapping {
                es_type: "text".into(),
                ignore_above: None,
                lowercase: false,
                analyzer: Some(Analyzer::PowershellScript),
                searchable: true,
            });
        }
        if path.ends_with(".caseless") {
            return Some(FieldMapping {
                es_type: "keyword".into(),
                ignore_above: Some(1024),
                lowercase: true,
                analyzer: None,
                searchable: true,
            });
        }
        if let Some(m) = self.fields.get(path) {
            return Some(m.clone());
        }
        // Keys under a `flattened` field are keyword values (C.4).
        let mut prefix = path;
        while let Some(i) = prefix.rfind('.') {
            prefix = &prefix[..i];
            if let Some(m) = self.fields.get(prefix) {
                if m.es_type == "flattened" {
                    return Some(FieldMapping::of_type("keyword"));
                }
                if m.es_type == "nested" {
                    // A sub-field of a nested field that no source lists.
                    return None;
                }
            }
        }
        None
    }

    /// The nearest enclosing `nested` field of `path` (itself excluded).
    pub fn nested_parent<'p>(&self, path: &'p str) -> Option<&'p str> {
        let mut prefix = path;
        while let Some(i) = prefix.rfind('.') {
            prefix = &prefix[..i];
            if self
                .fields
                .get(prefix)
                .is_some_and(|m| m.es_type == "nested")
            {
                return Some(prefix);
            }
        }
        None
    }

    /// Every mapped field whose full name matches Kibana's field-name wildcard (`*` ≡
    /// `[\s\S]*`, anchored; kql-semantics.md A.7), sorted.
    pub fn matching(&self, pattern: &str) -> Vec<String> {
        self.fields
            .keys()
            .filter(|k| rule_runtime::kql::wildcard_match(pattern, k, false))
            .cloned()
            .collect()
    }
}
