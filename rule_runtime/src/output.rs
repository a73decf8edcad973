//! Alerts as JSON: one object per alert, one per line (NDJSON), with the fields in the
//! order of DESIGN.md's output contract (`rule`, `kind`, `timestamp`, `join_keys`,
//! `events`). Events are written as [`EventJson`] gives them: an event read from a line
//! of NDJSON is written as that line, byte for byte.

use std::io::{self, Write};

use serde_json::{Map, Value as Json};

use crate::alert::{Alert, RuleInfo};
use crate::event::EventJson;
use crate::time::format_millis;
use crate::value::Value;

/// A join-key value as JSON (a float that JSON cannot hold, NaN or infinite, is `null`).
/// A value as JSON (a non-finite float, which JSON cannot hold, as `null`).
pub fn value_json(value: &Value<'_>) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::Str(s) => Json::String(s.to_string()),
    }
}

fn rule_json(rule: &RuleInfo) -> Json {
    let mut m = Map::new();
    m.insert("id".into(), Json::from(rule.id.as_str()));
    m.insert("name".into(), Json::from(rule.name.as_str()));
    m.insert(
        "version".into(),
        rule.version.map_or(Json::Null, Json::from),
    );
    m.insert("severity".into(), Json::from(rule.severity.as_str()));
    m.insert(
        "risk_score".into(),
        rule.risk_score.map_or(Json::Null, Json::from),
    );
    m.insert("building_block".into(), Json::Bool(rule.building_block));
    m.insert("tags".into(), Json::from(rule.tags.clone()));
    m.insert(
        "threat".into(),
        Json::Array(rule.threat.iter().map(threat_json).collect()),
    );
    Json::Object(m)
}

fn threat_json(threat: &crate::alert::ThreatInfo) -> Json {
    let mut m = Map::new();
    m.insert("tactic".into(), Json::from(threat.tactic.as_str()));
    m.insert("techniques".into(), Json::from(threat.techniques.clone()));
    Json::Object(m)
}

fn missing_json() -> Json {
    let mut m = Map::new();
    m.insert("missing".into(), Json::Bool(true));
    Json::Object(m)
}

fn timestamp_json(ts: Option<i64>) -> Json {
    ts.map_or(Json::Null, |t| Json::String(format_millis(t)))
}

/// The alert as the JSON object of the DESIGN.md contract: `rule` (`id`, `name`,
/// `version`, `severity`, `risk_score`, `building_block`, `tags`, `threat` of `tactic` and
/// `techniques`), `kind`, `timestamp` (ISO 8601, or `null` when untimed), `join_keys`,
/// `events` (original events, `{"missing": true}` at a missing-event stage).
///
/// The key order of the returned object is `serde_json`'s (alphabetical unless its
/// `preserve_order` feature is on); [`write_alert_ndjson`] writes the contract's order.
pub fn alert_to_json<E: EventJson>(alert: &Alert<E>) -> Json {
    let mut m = Map::new();
    m.insert("rule".into(), rule_json(&alert.rule));
    m.insert("kind".into(), Json::from(alert.kind.as_str()));
    m.insert("timestamp".into(), timestamp_json(alert.timestamp));
    m.insert(
        "join_keys".into(),
        Json::Array(alert.join_keys.iter().map(value_json).collect()),
    );
    m.insert(
        "events".into(),
        Json::Array(
            alert
                .events
                .iter()
                .map(|e| e.as_ref().map_or_else(missing_json, |e| e.to_json_value()))
                .collect(),
        ),
    );
    Json::Object(m)
}

/// Writes `"key":` then `value` as JSON.
fn field(buf: &mut Vec<u8>, key: &str, value: &Json) -> io::Result<()> {
    serde_json::to_writer(&mut *buf, key)?;
    buf.push(b':');
    serde_json::to_writer(&mut *buf, value)?;
    Ok(())
}

/// The alert as one line of NDJSON (with the trailing newline), keys in the order of the
/// DESIGN.md contract: `rule` (`id`, `name`, `version`, `severity`, `risk_score`,
/// `building_block`, `tags`, `threat` [`tactic`, `techniques`]), `kind`, `timestamp`,
/// `join_keys`, `events`. Each event is written as its [`EventJson`] gives it (an event
/// read from a line: the line itself, byte for byte).
pub fn alert_to_ndjson<E: EventJson>(alert: &Alert<E>) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(512);
    let rule = &alert.rule;
    buf.extend_from_slice(b"{\"rule\":{");
    field(&mut buf, "id", &Json::from(rule.id.as_str()))?;
    buf.push(b',');
    field(&mut buf, "name", &Json::from(rule.name.as_str()))?;
    buf.push(b',');
    field(
        &mut buf,
        "version",
        &rule.version.map_or(Json::Null, Json::from),
    )?;
    buf.push(b',');
    field(&mut buf, "severity", &Json::from(rule.severity.as_str()))?;
    buf.push(b',');
    field(
        &mut buf,
        "risk_score",
        &rule.risk_score.map_or(Json::Null, Json::from),
    )?;
    buf.push(b',');
    field(&mut buf, "building_block", &Json::Bool(rule.building_block))?;
    buf.push(b',');
    field(&mut buf, "tags", &Json::from(rule.tags.clone()))?;
    buf.extend_from_slice(b",\"threat\":[");
    for (i, threat) in rule.threat.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.push(b'{');
        field(&mut buf, "tactic", &Json::from(threat.tactic.as_str()))?;
        buf.push(b',');
        field(
            &mut buf,
            "techniques",
            &Json::from(threat.techniques.clone()),
        )?;
        buf.push(b'}');
    }
    buf.extend_from_slice(b"]},");
    field(&mut buf, "kind", &Json::from(alert.kind.as_str()))?;
    buf.push(b',');
    field(&mut buf, "timestamp", &timestamp_json(alert.timestamp))?;
    buf.extend_from_slice(b",\"join_keys\":[");
    for (i, key) in alert.join_keys.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        serde_json::to_writer(&mut buf, &value_json(key))?;
    }
    buf.extend_from_slice(b"],\"events\":[");
    for (i, event) in alert.events.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        match event {
            Some(event) => event.write_json(&mut buf),
            None => buf.extend_from_slice(b"{\"missing\":true}"),
        }
    }
    buf.extend_from_slice(b"]}\n");
    Ok(buf)
}

/// Writes the alert as one line of NDJSON ([`alert_to_ndjson`]) in a single `write_all`.
pub fn write_alert_ndjson<E: EventJson>(alert: &Alert<E>, out: &mut impl Write) -> io::Result<()> {
    out.write_all(&alert_to_ndjson(alert)?)
}
