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
    }
}
