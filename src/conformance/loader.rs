//! The pure loading half of the conformance harness: the suite's spec files, data sets
//! and mappings, read and converted as Elasticsearch's `DataLoader` indexes them, and a
//! query compiled to IR. It depends only on `std`, `toml`, `serde_json`, `rule_runtime`
//! and `rule_compiler` (no `crate::` paths), so a build script can include it with
//! `#[path]` (`tests/compiled/build.rs` does, to generate the suite's queries as Rust).
//! See the parent module for what is loaded and why.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rule_compiler::checker::check_query;
use rule_compiler::ir::{self, RuleIr};
use rule_compiler::schema::FieldType;
use rule_runtime::event::{Event, JsonEvent};
use rule_runtime::time::{
    days_from_civil, format_millis, is_valid_date, parse_epoch_millis, parse_iso8601, TimeFields,
};
use rule_runtime::value::Value;
use serde_json::{Map, Value as Json};

/// The runner's `size` request parameter (and the default `size` of sample queries).
pub const RUNNER_SIZE: usize = 50;

/// The default `max_samples_per_key` of sample queries (Elasticsearch's).
pub const DEFAULT_MAX_SAMPLES_PER_KEY: usize = 1;

/// The smallest reorder window the engine is given, in milliseconds (it is widened to
/// cover the data set's own disorder).
pub const MIN_REORDER_WINDOW_MS: u64 = 1000;

/// How many queries the suite's spec files hold (all active queries of the files in
/// [`SPEC_FILES`]; the 19 of `test_failing_shards.toml` are not run).
pub const SUITE_QUERY_COUNT: usize = 301;

/// The category field of the runner (`event_category_field`).
pub const CATEGORY_FIELD: &str = "event.category";

/// The data set a spec file runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DataSet {
    /// `endgame-140`, timestamps from Windows FILETIME ticks.
    Endgame,
    /// `endgame-140` with `timestamp` read as epoch nanoseconds.
    EndgameNanos,
    /// `extra`.
    Extra,
    /// `missing-events`.
    MissingEvents,
    /// `sample1`, `sample2`, `sample3` queried together.
    Sample,
    /// `sample-multi`.
    SampleMulti,
}

impl DataSet {
    /// The indices (data and mapping file stems under `data/`), in load order.
    pub fn indices(self) -> &'static [&'static str] {
        match self {
            DataSet::Endgame | DataSet::EndgameNanos => &["endgame-140"],
            DataSet::Extra => &["extra"],
            DataSet::MissingEvents => &["missing-events"],
            DataSet::Sample => &["sample1", "sample2", "sample3"],
            DataSet::SampleMulti => &["sample-multi"],
        }
    }

    /// The tiebreaker field (also the field the expected ids are read from), if any.
    pub fn tiebreaker(self) -> Option<&'static str> {
        match self {
            DataSet::Endgame | DataSet::EndgameNanos => Some("serial_event_id"),
            DataSet::Extra | DataSet::MissingEvents => Some("sequence"),
            DataSet::Sample | DataSet::SampleMulti => None,
        }
    }

    /// The field an event's id is read from.
    pub fn id_field(self) -> &'static str {
        self.tiebreaker().unwrap_or("id")
    }
}

/// The spec files the runner loads, with their data sets.
pub const SPEC_FILES: &[(&str, DataSet)] = &[
    ("test_queries.toml", DataSet::Endgame),
    ("additional_test_queries.toml", DataSet::Endgame),
    ("test_queries_date.toml", DataSet::Endgame),
    ("test_queries_date_nanos.toml", DataSet::EndgameNanos),
    ("test_extra.toml", DataSet::Extra),
    ("test_missing_events.toml", DataSet::MissingEvents),
    ("test_sample.toml", DataSet::Sample),
    ("test_sample_multi.toml", DataSet::SampleMulti),
];

/// Queries that are not run, as `(file, name, reason)`. Empty: every query runs.
pub const SKIPS: &[(&str, &str, &str)] = &[];

/// Field types the suite's expectations need that this copy of a mapping file lacks,
/// as `(index, field, mapping type, reason)`.
pub const MAPPING_SUPPLEMENTS: &[(&str, &str, &str, &str)] = &[(
    "extra",
    "version",
    "version",
    "test_extra.toml's version queries (sequenceWithVersionRangeCheck: `version > \"1.5.0\"` \
     matches \"1.11.3\"; ...RangeCheck2: `< \"1.5.0\"` matches \"1.2.4-SNAPSHOT\" but not \
     \"1.11.3\") hold only for a `version` field; the copied extra.mapping (b30f439) predates \
     the commit (30093aa) that added those queries and data",
)];

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// A suite file that cannot be read or does not have the expected shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteError {
    /// The file (or data set) concerned.
    pub file: String,
    /// What is wrong.
    pub message: String,
}

impl SuiteError {
    fn new(file: impl Into<String>, message: impl Into<String>) -> SuiteError {
        SuiteError {
            file: file.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for SuiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

impl std::error::Error for SuiteError {}

// ---------------------------------------------------------------------------------------
// Spec files
// ---------------------------------------------------------------------------------------

/// One active query of a spec file.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecQuery {
    /// The spec file's name (`test_queries.toml`).
    pub file: String,
    pub name: String,
    /// The query text, trimmed.
    pub query: String,
    /// The acceptable flattened id lists (one, or several alternatives).
    pub expected: Vec<Vec<i64>>,
    /// The expected flattened join keys, when the spec gives them.
    pub join_keys: Option<Vec<String>>,
    /// The `size` request parameter, when given.
    pub size: Option<usize>,
    /// The `max_samples_per_key` request parameter, when given.
    pub max_samples_per_key: Option<usize>,
}

/// Rewrites the bare `null`s of `join_keys` arrays (accepted by Elasticsearch's spec
/// loader, not by strict TOML) to `"null"`; other lines are untouched.
pub fn quote_bare_nulls(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    // Bracket depth inside a `join_keys = [ … ]` value that spans lines.
    let mut depth: usize = 0;
    for line in text.split_inclusive('\n') {
        let in_join_keys = depth > 0 || line.trim_start().starts_with("join_keys");
        if !in_join_keys {
            out.push_str(line);
            continue;
        }
        let mut in_string = false;
        let mut rest = line;
        while let Some(c) = rest.chars().next() {
            let len = c.len_utf8();
            if in_string {
                match c {
                    '\\' => {
                        let skip = rest[len..].chars().next().map_or(0, char::len_utf8);
                        out.push_str(&rest[..len + skip]);
                        rest = &rest[len + skip..];
                        continue;
                    }
                    '"' => in_string = false,
                    _ => {}
                }
            } else {
                match c {
                    '"' => in_string = true,
                    '[' => depth += 1,
                    ']' => depth = depth.saturating_sub(1),
                    '#' => {
                        out.push_str(rest);
                        break;
                    }
                    'n' if rest.starts_with("null")
                        && !rest[4..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
                        && !out.ends_with(|c: char| c.is_alphanumeric() || c == '_') =>
                    {
                        out.push_str("\"null\"");
                        rest = &rest[4..];
                        continue;
                    }
                    _ => {}
                }
            }
            out.push(c);
            rest = &rest[len..];
        }
    }
    out
}

/// Parses one spec file's text (`file` names it in errors and in the queries).
pub fn parse_spec(file: &str, text: &str) -> Result<Vec<SpecQuery>, SuiteError> {
    let doc: toml::Table = toml::from_str(&quote_bare_nulls(text))
        .map_err(|e| SuiteError::new(file, format!("not a spec file: {e}")))?;
    let Some(queries) = doc.get("queries") else {
        return Ok(Vec::new());
    };
    let queries = queries
        .as_array()
        .ok_or_else(|| SuiteError::new(file, "`queries` is not an array of tables"))?;
    let mut out = Vec::with_capacity(queries.len());
    let mut names = BTreeSet::new();
    for (i, q) in queries.iter().enumerate() {
        let q = q
            .as_table()
            .ok_or_else(|| SuiteError::new(file, format!("query #{} is not a table", i + 1)))?;
        let name = q
            .get("name")
            .and_then(toml::Value::as_str)
            .ok_or_else(|| SuiteError::new(file, format!("query #{} has no `name`", i + 1)))?
            .to_string();
        let at = |what: &str| SuiteError::new(file, format!("query `{name}`: {what}"));
        if !names.insert(name.clone()) {
            return Err(at("the name is used twice"));
        }
        let query = q
            .get("query")
            .and_then(toml::Value::as_str)
            .ok_or_else(|| at("no `query` string"))?
            .trim()
            .to_string();
        let ids = q
            .get("expected_event_ids")
            .ok_or_else(|| at("no `expected_event_ids`"))?;
        let expected = parse_expected(ids).map_err(|m| at(&m))?;
        let join_keys = match q.get("join_keys") {
            None => None,
            Some(v) => Some(
                v.as_array()
                    .ok_or_else(|| at("`join_keys` is not an array"))?
                    .iter()
                    .map(|k| match k {
                        toml::Value::String(s) => Ok(s.clone()),
                        toml::Value::Integer(n) => Ok(n.to_string()),
                        toml::Value::Boolean(b) => Ok(b.to_string()),
                        other => Err(at(&format!("join key {other} is not a string"))),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        let count = |key: &str| -> Result<Option<usize>, SuiteError> {
            match q.get(key) {
                None => Ok(None),
                Some(v) => v
                    .as_integer()
                    .and_then(|n| usize::try_from(n).ok())
                    .map(Some)
                    .ok_or_else(|| at(&format!("`{key}` is not a non-negative integer"))),
            }
        };
        let size = count("size")?;
        let max_samples_per_key = count("max_samples_per_key")?;
        out.push(SpecQuery {
            file: file.to_string(),
            name,
            query,
            expected,
            join_keys,
            size,
            max_samples_per_key,
        });
    }
    Ok(out)
}

/// `expected_event_ids`: a flat list of ids, or a list of lists (alternatives).
fn parse_expected(v: &toml::Value) -> Result<Vec<Vec<i64>>, String> {
    let list = v.as_array().ok_or("`expected_event_ids` is not an array")?;
    let ids = |items: &[toml::Value]| -> Result<Vec<i64>, String> {
        items
            .iter()
            .map(|x| {
                x.as_integer()
                    .ok_or_else(|| format!("expected id {x} is not an integer"))
            })
            .collect()
    };
    if !list.is_empty() && list.iter().all(toml::Value::is_array) {
        list.iter()
            .map(|alt| ids(alt.as_array().map_or(&[][..], Vec::as_slice)))
            .collect()
    } else {
        Ok(vec![ids(list)?])
    }
}

/// Reads and parses one spec file.
pub fn load_spec(path: &Path) -> Result<Vec<SpecQuery>, SuiteError> {
    let file = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let text = std::fs::read_to_string(path)
        .map_err(|e| SuiteError::new(path.display().to_string(), e.to_string()))?;
    parse_spec(&file, &text)
}

// ---------------------------------------------------------------------------------------
// Data sets
// ---------------------------------------------------------------------------------------

/// A data set, loaded and converted, ready to stream.
#[derive(Debug, Clone)]
pub struct Data {
    pub set: DataSet,
    /// The events in load order (file order, indices in [`DataSet::indices`] order).
    pub events: Vec<Arc<JsonEvent>>,
    /// The field types given to the interpreter.
    pub field_types: BTreeMap<String, FieldType>,
    /// Timestamp and tiebreaker fields.
    pub time: TimeFields,
    /// The field ids are read from.
    pub id_field: String,
    /// The engine's reorder window: wider than the data's own disorder.
    pub reorder_window_ms: u64,
}

/// One field of a mapping file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedField {
    /// The dotted path.
    pub path: String,
    /// The mapping type (`date`, `alias`, `keyword`, …).
    pub kind: String,
    /// `format` of a date field.
    pub format: Option<String>,
    /// `path` of an alias.
    pub alias_of: Option<String>,
    /// `null_value`: what an explicit `null` is indexed as.
    pub null_value: Option<Json>,
}

/// Parses a mapping file (JSON after `#` comment lines) into its fields (sub-fields of
/// `fields` are not listed).
pub fn parse_mapping(file: &str, text: &str) -> Result<Vec<MappedField>, SuiteError> {
    let json: Json = serde_json::from_str(&strip_comment_lines(text, "#"))
        .map_err(|e| SuiteError::new(file, format!("not a JSON mapping: {e}")))?;
    let props = json
        .get("properties")
        .and_then(Json::as_object)
        .ok_or_else(|| SuiteError::new(file, "no top-level `properties` object"))?;
    let mut out = Vec::new();
    walk_properties(props, "", &mut out);
    Ok(out)
}

fn walk_properties(props: &Map<String, Json>, prefix: &str, out: &mut Vec<MappedField>) {
    for (name, def) in props {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        if let Some(sub) = def.get("properties").and_then(Json::as_object) {
            walk_properties(sub, &path, out);
        }
        if let Some(kind) = def.get("type").and_then(Json::as_str) {
            out.push(MappedField {
                path,
                kind: kind.to_string(),
                format: def.get("format").and_then(Json::as_str).map(str::to_string),
                alias_of: def.get("path").and_then(Json::as_str).map(str::to_string),
                null_value: def.get("null_value").cloned(),
            });
        }
    }
}

/// Drops the lines whose first non-blank characters are `marker`.
fn strip_comment_lines(text: &str, marker: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with(marker))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Parses a data file: a JSON array of objects, or NDJSON; `//` comment lines dropped.
pub fn parse_data(file: &str, text: &str) -> Result<Vec<Map<String, Json>>, SuiteError> {
    let text = strip_comment_lines(text, "//");
    let docs: Vec<Json> = if text.trim_start().starts_with('[') {
        match serde_json::from_str::<Json>(&text) {
            Ok(Json::Array(items)) => items,
            Ok(_) => return Err(SuiteError::new(file, "not a JSON array")),
            Err(e) => return Err(SuiteError::new(file, format!("not JSON: {e}"))),
        }
    } else {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .map_err(|e| SuiteError::new(file, format!("line {}: {e}", i + 1)))
            })
            .collect::<Result<_, _>>()?
    };
    docs.into_iter()
        .enumerate()
        .map(|(i, d)| match d {
            Json::Object(m) => Ok(m),
            _ => Err(SuiteError::new(
                file,
                format!("document #{} is not an object", i + 1),
            )),
        })
        .collect()
}

/// The mapping types the interpreter is told about.
fn interpreter_type(kind: &str) -> Option<FieldType> {
    match kind {
        "date" => Some(FieldType::Date),
        "date_nanos" => Some(FieldType::DateNanos),
        "ip" => Some(FieldType::Ip),
        "version" => Some(FieldType::Version),
        _ => None,
    }
}

/// Windows FILETIME ticks (100 ns since 1601) to epoch milliseconds, as ES's DataLoader.
pub fn filetime_to_millis(ticks: i64) -> i64 {
    ticks / 10_000 - 11_644_473_600_000
}

/// Epoch nanoseconds as ISO 8601 text, with the significant fraction digits (at least
/// milliseconds): `1974-03-03T02:22:54.294365140Z`, `1974-03-02T19:53:16.510Z`.
pub fn format_nanos(nanos: i64) -> String {
    let millis = nanos.div_euclid(1_000_000);
    let sub = nanos.rem_euclid(1_000_000);
    let base = format_millis(millis);
    if sub == 0 {
        return base;
    }
    let extra = format!("{sub:06}");
    let extra = extra.trim_end_matches('0');
    match base.strip_suffix('Z') {
        Some(head) => format!("{head}{extra}Z"),
        None => base,
    }
}

/// Parses `text` with a mapping `format` (`||`-separated alternatives of named formats
/// or `java.time` patterns of `y u M d H m s S`, quoted literals and separators) into
/// epoch milliseconds (UTC).
pub fn parse_with_format(format: &str, text: &str) -> Option<i64> {
    format.split("||").find_map(|f| match f.trim() {
        "epoch_millis" => parse_epoch_millis(text),
        "epoch_second" => parse_epoch_millis(text)?.checked_mul(1000),
        named
            if named.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                && (named.contains('_') || named == "date") =>
        {
            parse_iso8601(text)
        }
        pattern => parse_pattern(pattern, text),
    })
}

fn parse_pattern(pattern: &str, text: &str) -> Option<i64> {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut i, mut j) = (0, 0);
    let (mut year, mut month, mut day) = (1970i64, 1u32, 1u32);
    let (mut hour, mut minute, mut second, mut millis) = (0i64, 0i64, 0i64, 0i64);
    while i < p.len() {
        let c = p[i];
        if c == '\'' {
            // Quoted literal ('' is a quote).
            i += 1;
            while i < p.len() && p[i] != '\'' {
                if t.get(j) != Some(&p[i]) {
                    return None;
                }
                i += 1;
                j += 1;
            }
            i += 1;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            if t.get(j) != Some(&c) {
                return None;
            }
            i += 1;
            j += 1;
            continue;
        }
        let run = p[i..].iter().take_while(|&&x| x == c).count();
        i += run;
        // Digits: exactly `run` of them, or more for years / a lone letter.
        let max = match c {
            'y' | 'u' => 9,
            'S' => run,
            _ if run == 1 => 2,
            _ => run,
        };
        let n = t[j..]
            .iter()
            .take(max)
            .take_while(|x| x.is_ascii_digit())
            .count();
        if n < run.min(max) || n == 0 {
            return None;
        }
        let digits: String = t[j..j + n].iter().collect();
        j += n;
        let v: i64 = digits.parse().ok()?;
        match c {
            'y' | 'u' => year = v,
            'M' => month = u32::try_from(v).ok()?,
            'd' => day = u32::try_from(v).ok()?,
            'H' => hour = v,
            'm' => minute = v,
            's' => second = v,
            'S' => millis = format!("{digits:0<3}")[..3].parse().ok()?,
            _ => return None,
        }
    }
    if j != t.len() || !is_valid_date(year, month, day) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(days * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis)
}

/// Reads a JSON value at a dotted path (dotted keys and nested objects both count).
fn json_values(map: &Map<String, Json>, path: &str) -> Vec<Json> {
    let mut values = Vec::new();
    Event::values(map, path, &mut values);
    values
        .into_iter()
        .map(|v| match v {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(b),
            Value::Int(i) => Json::from(i),
            Value::Float(f) => serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number),
            Value::Str(s) => Json::String(s.into_owned()),
        })
        .collect()
}

/// Converts the values of a custom-format date field at the top level of `doc` (the
/// data sets use flat keys) to epoch milliseconds.
fn convert_date_field(
    doc: &mut Map<String, Json>,
    field: &str,
    format: &str,
) -> Result<(), String> {
    let Some(v) = doc.get_mut(field) else {
        return Ok(());
    };
    let convert = |v: &mut Json| -> Result<(), String> {
        if let Json::String(s) = v {
            let ms = parse_with_format(format, s)
                .ok_or_else(|| format!("`{field}` = {s:?} does not parse as `{format}`"))?;
            *v = Json::from(ms);
        }
        Ok(())
    };
    match v {
        Json::Array(items) => items.iter_mut().try_for_each(convert),
        other => convert(other),
    }
}

/// A field mapped with `null_value` is indexed with that value where the document has an
/// explicit `null` (alone or in an array); a missing field stays missing. The data sets
/// use flat keys, so only the top-level key `field` is looked at.
fn apply_null_value(doc: &mut Map<String, Json>, field: &str, null_value: &Json) {
    match doc.get_mut(field) {
        Some(v @ Json::Null) => *v = null_value.clone(),
        Some(Json::Array(items)) => items
            .iter_mut()
            .filter(|i| i.is_null())
            .for_each(|i| *i = null_value.clone()),
        _ => {}
    }
}

/// Loads and converts a data set from `dir/data/`.
pub fn load_data(dir: &Path, set: DataSet) -> Result<Data, SuiteError> {
    let mut events = Vec::new();
    let mut field_types: BTreeMap<String, FieldType> = BTreeMap::new();
    let mut mapped: BTreeSet<String> = BTreeSet::new();
    let mut all_docs: Vec<Map<String, Json>> = Vec::new();
    for index in set.indices() {
        let read = |ext: &str| -> Result<(String, String), SuiteError> {
            let path: PathBuf = dir.join("data").join(format!("{index}.{ext}"));
            let name = format!("data/{index}.{ext}");
            std::fs::read_to_string(&path)
                .map(|t| (name.clone(), t))
                .map_err(|e| SuiteError::new(name, e.to_string()))
        };
        let (mapping_name, mapping_text) = read("mapping")?;
        let mut fields = parse_mapping(&mapping_name, &mapping_text)?;
        for (idx, field, kind, _) in MAPPING_SUPPLEMENTS {
            if idx == index && !fields.iter().any(|f| f.path == *field) {
                fields.push(MappedField {
                    path: (*field).to_string(),
                    kind: (*kind).to_string(),
                    format: None,
                    alias_of: None,
                    null_value: None,
                });
            }
        }
        let (data_name, data_text) = read("data")?;
        let mut docs = parse_data(&data_name, &data_text)?;
        for (n, doc) in docs.iter_mut().enumerate() {
            let at = |m: String| SuiteError::new(&data_name, format!("document #{}: {m}", n + 1));
            match set {
                DataSet::Endgame | DataSet::EndgameNanos => {
                    let ticks = doc
                        .get("timestamp")
                        .and_then(Json::as_i64)
                        .ok_or_else(|| at("no integer `timestamp`".into()))?;
                    let ts = if set == DataSet::Endgame {
                        Json::from(filetime_to_millis(ticks))
                    } else {
                        Json::String(format_nanos(ticks))
                    };
                    doc.insert("@timestamp".into(), ts);
                }
                DataSet::Extra
                | DataSet::MissingEvents
                | DataSet::Sample
                | DataSet::SampleMulti => {}
            }
            for f in &fields {
                if let (Some("date" | "date_nanos"), Some(format)) =
                    (Some(f.kind.as_str()), f.format.as_deref())
                {
                    convert_date_field(doc, &f.path, format).map_err(at)?;
                }
            }
            for f in &fields {
                if let Some(null_value) = &f.null_value {
                    apply_null_value(doc, &f.path, null_value);
                }
            }
            // Aliases last, so they see converted values.
            for f in &fields {
                if let (true, Some(target)) = (f.kind == "alias", f.alias_of.as_deref()) {
                    let mut values = json_values(doc, target);
                    match values.len() {
                        0 => {}
                        1 => {
                            doc.insert(f.path.clone(), values.remove(0));
                        }
                        _ => {
                            doc.insert(f.path.clone(), Json::Array(values));
                        }
                    }
                }
            }
        }
        for f in &fields {
            mapped.insert(f.path.clone());
            if let Some(t) = interpreter_type(&f.kind) {
                field_types.insert(f.path.clone(), t);
            }
        }
        all_docs.extend(docs);
    }
    // Dynamic mapping: an unmapped field whose string values are all ISO dates is a date.
    let mut candidates: BTreeMap<String, bool> = BTreeMap::new();
    for doc in &all_docs {
        for (key, v) in doc {
            if mapped.contains(key) {
                continue;
            }
            let mut strings = Vec::new();
            collect_strings(v, &mut strings);
            if strings.is_empty() {
                continue;
            }
            let all_dates = strings.iter().all(|s| looks_like_date(s));
            let e = candidates.entry(key.clone()).or_insert(true);
            *e = *e && all_dates;
        }
    }
    for (key, is_date) in candidates {
        if is_date {
            field_types.insert(key, FieldType::Date);
        }
    }
    // The nanosecond index (`endgame-140-nanos`, whose mapping is not in the suite's
    // copy) maps `@timestamp` as `date_nanos`.
    if set == DataSet::EndgameNanos {
        field_types.insert("@timestamp".to_string(), FieldType::DateNanos);
    }
    let time = TimeFields::new("@timestamp", set.tiebreaker().map(str::to_string));
    let mut disorder: i64 = 0;
    let mut latest: Option<i64> = None;
    for doc in all_docs {
        let event = JsonEvent::from_map(doc);
        if let Ok(ts) = time.timestamp(&event) {
            if let Some(l) = latest {
                disorder = disorder.max(l.saturating_sub(ts));
            }
            latest = Some(latest.map_or(ts, |l| l.max(ts)));
        }
        events.push(Arc::new(event));
    }
    let reorder_window_ms = u64::try_from(disorder)
        .unwrap_or(0)
        .saturating_add(1)
        .max(MIN_REORDER_WINDOW_MS);
    Ok(Data {
        set,
        events,
        field_types,
        time,
        id_field: set.id_field().to_string(),
        reorder_window_ms,
    })
}

fn collect_strings<'a>(v: &'a Json, out: &mut Vec<&'a str>) {
    match v {
        Json::String(s) => out.push(s),
        Json::Array(items) => items.iter().for_each(|i| collect_strings(i, out)),
        _ => {}
    }
}

/// What Elasticsearch's dynamic date detection (`strict_date_optional_time`) would take
/// for a date: an ISO date or date-time (not digits alone).
fn looks_like_date(s: &str) -> bool {
    s.contains('-') && parse_iso8601(s).is_some()
}

pub fn compile(spec: &SpecQuery) -> Result<RuleIr, String> {
    let render = |ds: &[rule_compiler::Diagnostic]| {
        ds.iter()
            .map(|d| d.render(&spec.name, &spec.query))
            .collect::<String>()
    };
    let query = rule_compiler::parse_query(&spec.query).map_err(|ds| render(&ds))?;
    let errors: Vec<_> = check_query(&query, None)
        .into_iter()
        .filter(rule_compiler::Diagnostic::is_error)
        .collect();
    if !errors.is_empty() {
        return Err(render(&errors));
    }
    ir::lower_query(&spec.name, &spec.name, &spec.name, CATEGORY_FIELD, &query).map_err(|e| {
        format!(
            "lowering failed at {}..{}: {}",
            e.span.start, e.span.end, e.message
        )
    })
}
