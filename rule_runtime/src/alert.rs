//! Alerts (the output contract of DESIGN.md, "Alerts"), what they say about their rule,
//! and where an event stands in time when a rule sees it.

use crate::time::Ordinal;
use crate::value::Value;
use std::sync::Arc;

/// What an alert says about its rule (static data of the rule file).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleInfo {
    pub id: String,
    pub name: String,
    pub version: Option<i64>,
    pub severity: String,
    pub risk_score: Option<i64>,
    pub building_block: bool,
    pub tags: Vec<String>,
    pub threat: Vec<ThreatInfo>,
}

/// One ATT&CK tactic with its techniques and sub-techniques (ids only).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ThreatInfo {
    pub tactic: String,
    pub techniques: Vec<String>,
}

/// Which kind of query produced an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertKind {
    Event,
    Sequence,
    Sample,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Event => "event",
            AlertKind::Sequence => "sequence",
            AlertKind::Sample => "sample",
        }
    }
}

/// One alert: the rule, the events in stage order (`None` at a missing-event stage),
/// the join-key values, and the timestamp of the last event (when timed).
#[derive(Debug, Clone)]
pub struct Alert<E> {
    pub rule: Arc<RuleInfo>,
    pub kind: AlertKind,
    pub timestamp: Option<i64>,
    pub join_keys: Vec<Value<'static>>,
    pub events: Vec<Option<E>>,
}

/// Where an event stands in time when a matcher sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Timing<'a> {
    /// In `(timestamp, tiebreaker, arrival)` order: every matcher may use it.
    InOrder(&'a Ordinal),
    /// Arrived after the reorder window had released later events: event queries and
    /// samples still see it, sequences do not.
    Late(&'a Ordinal),
    /// No usable timestamp: event queries and samples see it, sequences do not.
    Untimed,
}
