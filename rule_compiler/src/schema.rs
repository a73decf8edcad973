//! Field schemas: which fields exist and of what type, for the checker's warnings.
//!
//! Reads the ECS flat schema (`ecs_flat.json`, optionally gzip-compressed: an object of
//! `flat_name → {type, …}`) and detection-rules' non-ECS schema (`index pattern →
//! nested or dotted map of field → type`). All index patterns are merged into one
//! field set: a rule's `index` list is not used to narrow it. A schema is optional.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// keyword, constant_keyword, wildcard, text, match_only_text
    String,
    /// long, integer, short, byte, unsigned_long
    Integer,
    /// float, double, half_float, scaled_float
    Float,
    Boolean,
    /// date (millisecond instants)
    Date,
    /// date_nanos (nanosecond instants)
    DateNanos,
    Ip,
    Version,
    /// object, flattened, nested: any sub-path may exist.
    Container,
    /// geo_point and other types the checker does not reason about.
    Other,
}

impl FieldType {
    pub fn from_mapping(t: &str) -> FieldType {
        match t {
            "keyword" | "constant_keyword" | "wildcard" | "text" | "match_only_text" => {
                FieldType::String
            }
            "long" | "integer" | "short" | "byte" | "unsigned_long" => FieldType::Integer,
            "float" | "double" | "half_float" | "scaled_float" => FieldType::Float,
            "boolean" => FieldType::Boolean,
            "date" => FieldType::Date,
            "date_nanos" => FieldType::DateNanos,
            "ip" => FieldType::Ip,
            "version" => FieldType::Version,
            "object" | "flattened" | "nested" => FieldType::Container,
            _ => FieldType::Other,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FieldType::String => "keyword",
            FieldType::Integer => "integer",
            FieldType::Float => "float",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::DateNanos => "date_nanos",
            FieldType::Ip => "ip",
            FieldType::Version => "version",
            FieldType::Container => "object",
            FieldType::Other => "other",
        }
    }

    /// The name with its article, for messages ("an integer", "a keyword").
    pub fn with_article(self) -> String {
        let n = self.name();
        let article = if n.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        format!("{article} {n}")
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, FieldType::Integer | FieldType::Float)
    }
}

/// What the schema says about a field path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Known(FieldType),
    /// Not listed, but under an object/flattened field, so it may exist.
    UnderContainer,
    Unknown,
}

#[derive(Debug, Clone, Default)]
pub struct Schema {
    fields: HashMap<String, FieldType>,
    /// Whether a field holds one value or an array, where the schema says: ECS marks
    /// its array fields (`"normalize": ["array"]`: `event.category`, `process.args`,
    /// `tags` …); a field ECS defines without it holds one value. The non-ECS schema
    /// does not say.
    one_value: HashMap<String, bool>,
}

impl Schema {
    pub fn new() -> Self {
        Schema::default()
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn insert(&mut self, path: impl Into<String>, ty: FieldType) {
        let path = path.into();
        // A field typed in two sources keeps the first, unless that was a container.
        let slot = self.fields.entry(path).or_insert(ty);
        if *slot == FieldType::Container {
            *slot = ty;
        }
    }

    /// Record whether `path` holds one value (`false`: it may hold an array).
    pub fn set_one_value(&mut self, path: impl Into<String>, one: bool) {
        self.one_value.insert(path.into(), one);
    }

    /// `Some(true)` if the schema says the field holds one value, `Some(false)` if it
    /// may hold several (an array), `None` if it does not say.
    pub fn holds_one_value(&self, path: &str) -> Option<bool> {
        self.one_value.get(path).copied()
    }

    /// The schema fields closest to an unknown `path`, for "did you mean": a field
    /// differing only in case; else the siblings (same parent path) whose last segment
    /// is within a small edit distance of `path`'s, and the fields whose whole dotted
    /// path is (with a similar last segment). The closest win; at equal distance a
    /// sibling before a field under the same first segment before any other; at most
    /// three. Nothing when nothing is close: unrelated fields are not suggested.
    pub fn suggest(&self, path: &str) -> Vec<&str> {
        if path.len() > 200 {
            return Vec::new();
        }
        let lower = path.to_lowercase();
        let (parent, last) = lower.rsplit_once('.').unwrap_or(("", &lower));
        let root = lower.split('.').next().unwrap_or("");
        let last_limit = close_enough(last.chars().count(), [5, 12]);
        let full_limit = close_enough(lower.chars().count(), [10, usize::MAX]);
        let mut found: Vec<(usize, u8, &str)> = Vec::new();
        for (name, ty) in &self.fields {
            if *ty == FieldType::Container {
                continue;
            }
            let cand = name.to_lowercase();
            if cand == lower {
                found.push((0, 0, name));
                continue;
            }
            let (cparent, clast) = cand.rsplit_once('.').unwrap_or(("", &cand));
            let last_near = || {
                clast.len().abs_diff(last.len()) <= last_limit
                    && crate::functions::edit_distance(last, clast) <= last_limit
            };
            if cparent == parent {
                if last_near() {
                    found.push((crate::functions::edit_distance(last, clast), 0, name));
                }
                continue;
            }
            if cand.len().abs_diff(lower.len()) > full_limit || !(clast == last || last_near()) {
                continue;
            }
            let d = crate::functions::edit_distance(&lower, &cand);
            if d <= full_limit {
                let same_root = cand.split('.').next() == Some(root);
                found.push((d, if same_root { 1 } else { 2 }, name));
            }
        }
        found.sort_unstable();
        let best = found.first().map(|f| f.0);
        found
            .into_iter()
            .take_while(|f| Some(f.0) == best)
            .take(3)
            .map(|f| f.2)
            .collect()
    }

    pub fn lookup(&self, path: &str) -> Lookup {
        if let Some(t) = self.fields.get(path) {
            return Lookup::Known(*t);
        }
        let mut prefix = path;
        while let Some(i) = prefix.rfind('.') {
            prefix = &prefix[..i];
            if self.fields.get(prefix) == Some(&FieldType::Container) {
                return Lookup::UnderContainer;
            }
        }
        Lookup::Unknown
    }

    /// Load a schema file (`.json` or `.json.gz`) or every such file in a folder.
    pub fn load(path: &Path) -> Result<Schema, String> {
        let mut schema = Schema::new();
        if path.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(path)
                .map_err(|e| format!("{}: {e}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    let n = p.to_string_lossy();
                    n.ends_with(".json") || n.ends_with(".json.gz")
                })
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(format!(
                    "{}: no *.json or *.json.gz schema files",
                    path.display()
                ));
            }
            for f in files {
                schema.merge_file(&f)?;
            }
        } else {
            schema.merge_file(path)?;
        }
        Ok(schema)
    }

    fn merge_file(&mut self, path: &Path) -> Result<(), String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let text = if path.to_string_lossy().ends_with(".gz") {
            let mut s = String::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_string(&mut s)
                .map_err(|e| format!("{}: not gzip-compressed UTF-8 JSON: {e}", path.display()))?;
            s
        } else {
            String::from_utf8(bytes).map_err(|e| format!("{}: not UTF-8: {e}", path.display()))?
        };
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("{}: invalid JSON: {e}", path.display()))?;
        self.merge_json(&value)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Merge a parsed schema document of either format.
    pub fn merge_json(&mut self, value: &serde_json::Value) -> Result<(), String> {
        let obj = value.as_object().ok_or("a schema is a JSON object")?;
        let is_ecs_flat = obj
            .values()
            .next()
            .and_then(|v| v.as_object())
            .is_some_and(|o| o.contains_key("flat_name") && o.contains_key("type"));
        if is_ecs_flat {
            for (name, def) in obj {
                if let Some(t) = def.get("type").and_then(|t| t.as_str()) {
                    self.insert(name.clone(), FieldType::from_mapping(t));
                    let array = def
                        .get("normalize")
                        .and_then(|n| n.as_array())
                        .is_some_and(|n| n.iter().any(|x| x == "array"));
                    self.set_one_value(name.clone(), !array);
                }
            }
        } else {
            // index pattern → (nested or dotted) field map
            for fields in obj.values() {
                self.merge_nested("", fields);
            }
        }
        Ok(())
    }

    fn merge_nested(&mut self, prefix: &str, value: &serde_json::Value) {
        match value {
            serde_json::Value::String(t) => self.insert(prefix, FieldType::from_mapping(t)),
            serde_json::Value::Object(o) => {
                for (k, v) in o {
                    let path = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    // Parents of listed fields are objects.
                    if v.is_object() {
                        self.insert(path.clone(), FieldType::Container);
                    }
                    self.merge_nested(&path, v);
                }
            }
            _ => {}
        }
    }
}

/// The largest edit distance accepted for a name of `len` characters: 1 up to
/// `steps[0]`, 2 up to `steps[1]`, 3 beyond.
fn close_enough(len: usize, steps: [usize; 2]) -> usize {
    if len <= steps[0] {
        1
    } else if len <= steps[1] {
        2
    } else {
        3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_formats() {
        let mut s = Schema::new();
        s.merge_json(&serde_json::json!({
            "process.pid": {"flat_name": "process.pid", "type": "long"},
            "labels": {"flat_name": "labels", "type": "object"}
        }))
        .unwrap();
        s.merge_json(&serde_json::json!({
            "winlogbeat-*": {"winlog": {"event_data": {"Foo": "keyword"}}, "a.b": "ip"}
        }))
        .unwrap();
        assert_eq!(s.lookup("process.pid"), Lookup::Known(FieldType::Integer));
        assert_eq!(s.lookup("labels.anything"), Lookup::UnderContainer);
        assert_eq!(
            s.lookup("winlog.event_data.Foo"),
            Lookup::Known(FieldType::String)
        );
        assert_eq!(s.lookup("a.b"), Lookup::Known(FieldType::Ip));
        assert_eq!(s.lookup("nope"), Lookup::Unknown);
        assert_eq!(s.holds_one_value("process.pid"), Some(true));
        assert_eq!(s.holds_one_value("winlog.event_data.Foo"), None);
    }

    #[test]
    fn ecs_array_fields_may_hold_several_values() {
        let mut s = Schema::new();
        s.merge_json(&serde_json::json!({
            "event.category": {"flat_name": "event.category", "type": "keyword", "normalize": ["array"]},
            "process.name": {"flat_name": "process.name", "type": "keyword", "normalize": []},
            "process.pid": {"flat_name": "process.pid", "type": "long"}
        }))
        .unwrap();
        assert_eq!(s.holds_one_value("event.category"), Some(false));
        assert_eq!(s.holds_one_value("process.name"), Some(true));
        assert_eq!(s.holds_one_value("process.pid"), Some(true));
        assert_eq!(s.holds_one_value("process.args"), None);
    }

    #[test]
    fn suggests_close_fields_only() {
        let s = Schema::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas"))
            .unwrap();
        for (typo, want) in [
            ("process.nmae", vec!["process.name"]),
            ("process.Name", vec!["process.name"]),
            ("proces.name", vec!["process.name"]),
            ("process.comand_line", vec!["process.command_line"]),
            ("process.parent.nmae", vec!["process.parent.name"]),
            ("event.categroy", vec!["event.category"]),
            ("process.executible", vec!["process.executable"]),
            ("registry.data.string", vec!["registry.data.strings"]),
            (
                "process.pe.original_filename",
                vec!["process.pe.original_file_name"],
            ),
            ("event.actions", vec!["event.action"]),
            // Real fields of integrations the schema does not list: nothing close.
            ("okta.event_type", vec![]),
            ("file.Ext.original.path", vec![]),
            ("aws.cloudtrail.user_identity.type", vec![]),
            ("Effective_process.name", vec![]),
            ("github.category", vec![]),
        ] {
            assert_eq!(s.suggest(typo), want, "{typo}");
        }
    }
}
