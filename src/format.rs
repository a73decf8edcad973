//! How `eqlc scan` writes alerts on standard output (`--format`):
//!
//! * `jsonl`: one JSON object per alert per line, the contract of DESIGN.md "Alerts";
//! * `json`: the same objects as one JSON array;
//! * `csv`: one row per alert, stable columns ([`CSV_COLUMNS`]);
//! * `table`: a table for people (time, rule, severity, tactic, host, user, process,
//!   join keys), written when the scan ends;
//! * `auto` (default): `table` when standard output is a terminal, `jsonl` otherwise.

use std::io::Write;

use rule_runtime::alert::Alert;
use rule_runtime::event::EventJson;
use rule_runtime::output::{alert_to_json, value_json, write_alert_ndjson};
use rule_runtime::time::format_millis;
use serde_json::Value as Json;

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table on a terminal, JSON lines otherwise.
    Auto,
    /// One JSON object per line.
    Jsonl,
    /// One JSON array.
    Json,
    /// A table (written at the end).
    Table,
    /// Comma-separated values, one row per alert.
    Csv,
}

/// The columns of `csv` (and of `table`), in order.
pub const CSV_COLUMNS: &[&str] = &[
    "timestamp",
    "rule_id",
    "rule_name",
    "severity",
    "risk_score",
    "kind",
    "tactics",
    "host",
    "user",
    "process",
    "join_keys",
    "events",
];

/// The fields of an alert a person reads first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub timestamp: String,
    pub rule_id: String,
    pub rule_name: String,
    pub severity: String,
    pub risk_score: String,
    pub kind: String,
    pub tactics: String,
    pub host: String,
    pub user: String,
    pub process: String,
    pub join_keys: String,
    pub events: String,
}

impl Row {
    /// The row of an alert: host, user and process from the first of its events that
    /// has each (`host.name` else `host.hostname` else `host.id`; `user.name`;
    /// `process.name` else `process.executable`).
    pub fn of<E: EventJson>(alert: &Alert<E>) -> Row {
        let events: Vec<Json> = alert
            .events
            .iter()
            .flatten()
            .map(EventJson::to_json_value)
            .collect();
        let first = |paths: &[&str]| -> String {
            for p in paths {
                for e in &events {
                    if let Some(v) = lookup(e, p) {
                        return v;
                    }
                }
            }
            String::new()
        };
        let rule = &alert.rule;
        Row {
            timestamp: alert.timestamp.map(format_millis).unwrap_or_default(),
            rule_id: rule.id.clone(),
            rule_name: rule.name.clone(),
            severity: rule.severity.clone(),
            risk_score: rule.risk_score.map(|r| r.to_string()).unwrap_or_default(),
            kind: alert.kind.as_str().to_string(),
            tactics: rule
                .threat
                .iter()
                .map(|t| t.tactic.clone())
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
            host: first(&["host.name", "host.hostname", "host.id"]),
            user: first(&["user.name"]),
            process: first(&["process.name", "process.executable"]),
            join_keys: alert
                .join_keys
                .iter()
                .map(|k| match value_json(k) {
                    Json::String(s) => s,
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(", "),
            events: alert.events.len().to_string(),
        }
    }

    fn cells(&self) -> [&str; 12] {
        [
            &self.timestamp,
            &self.rule_id,
            &self.rule_name,
            &self.severity,
            &self.risk_score,
            &self.kind,
            &self.tactics,
            &self.host,
            &self.user,
            &self.process,
            &self.join_keys,
            &self.events,
        ]
    }
}

/// A field of a JSON event by dotted path (nested, dotted keys, or their mix); the
/// first value, as text.
fn lookup(event: &Json, path: &str) -> Option<String> {
    fn go<'j>(node: &'j Json, path: &str) -> Option<&'j Json> {
        match node {
            Json::Object(m) => {
                if let Some(v) = m.get(path) {
                    return Some(v);
                }
                for (i, _) in path.match_indices('.') {
                    if let Some(v) = m.get(&path[..i]).and_then(|c| go(c, &path[i + 1..])) {
                        return Some(v);
                    }
                }
                None
            }
            Json::Array(items) => items.iter().find_map(|i| go(i, path)),
            _ => None,
        }
    }
    let mut v = go(event, path)?;
    while let Json::Array(items) = v {
        v = items.first()?;
    }
    match v {
        Json::Null => None,
        Json::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Writes alerts in one format as they come; `finish` closes what needs closing.
pub struct AlertWriter {
    format: Format,
    count: u64,
    table: Vec<Row>,
}

/// One CSV record, quoted as needed, with its line end.
fn csv_record(fields: &[&str]) -> std::io::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(fields)?;
    w.into_inner().map_err(|e| e.into_error())
}

impl AlertWriter {
    /// `format` must not be `Auto` (resolve it first with [`resolve`]).
    pub fn new(format: Format) -> AlertWriter {
        AlertWriter {
            format,
            count: 0,
            table: Vec::new(),
        }
    }

    /// Writes one alert.
    pub fn write<E: EventJson>(
        &mut self,
        alert: &Alert<E>,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        self.count += 1;
        match self.format {
            Format::Jsonl | Format::Auto => {
                let mut out = out;
                write_alert_ndjson(alert, &mut out)
            }
            Format::Json => {
                out.write_all(if self.count == 1 { b"[\n" } else { b",\n" })?;
                serde_json::to_writer(&mut *out, &alert_to_json(alert))?;
                Ok(())
            }
            Format::Table => {
                self.table.push(Row::of(alert));
                Ok(())
            }
            Format::Csv => {
                if self.count == 1 {
                    out.write_all(&csv_record(CSV_COLUMNS)?)?;
                }
                out.write_all(&csv_record(&Row::of(alert).cells())?)
            }
        }
    }

    /// Ends the output (the closing bracket of `json`, the table, the header of an
    /// empty `csv`).
    pub fn finish(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        match self.format {
            Format::Json => out.write_all(if self.count == 0 { b"[]\n" } else { b"\n]\n" }),
            Format::Table => {
                if !self.table.is_empty() {
                    writeln!(out, "{}", table(&self.table))?;
                }
                Ok(())
            }
            Format::Csv if self.count == 0 => out.write_all(&csv_record(CSV_COLUMNS)?),
            _ => Ok(()),
        }
    }
}

/// `auto` as a terminal or a pipe makes it.
pub fn resolve(format: Format, stdout_is_terminal: bool) -> Format {
    match format {
        Format::Auto if stdout_is_terminal => Format::Table,
        Format::Auto => Format::Jsonl,
        f => f,
    }
}

/// The rows as a table (time, rule, severity, tactics, host, user, process, keys).
pub fn table(rows: &[Row]) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header([
        "time",
        "rule",
        "severity",
        "tactics",
        "host",
        "user",
        "process",
        "join keys",
    ]);
    for r in rows {
        t.add_row([
            r.timestamp.as_str(),
            r.rule_name.as_str(),
            r.severity.as_str(),
            r.tactics.as_str(),
            r.host.as_str(),
            r.user.as_str(),
            r.process.as_str(),
            r.join_keys.as_str(),
        ]);
    }
    t.to_string()
}
