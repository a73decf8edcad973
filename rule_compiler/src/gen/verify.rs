//! Running a case through the reference interpreter and the streaming engine.
//!
//! Each event's JSON is written to text and parsed back as a consumer would read it, its
//! time read from `@timestamp` (no tiebreaker), and it is pushed in list order into an
//! [`Engine`] with a reorder window of 0 and the rule's interpreted state. The engine's
//! event handle is the event's **index in the case**, so alerts name their events by
//! position and no field has to be added to the events (a rule could read it).
//!
//! Events that differ only in `@timestamp` (the stages of `with runs=60`) are evaluated
//! once and their stage hits reused, unless the rule reads `@timestamp` itself.

use std::collections::HashMap;

use rule_runtime::engine::{Engine, EngineConfig, Pipe};
use rule_runtime::event::JsonEvent;
use rule_runtime::state::{SetHits, StageHits};
use serde_json::Value as Json;

use crate::interpreter::{InterpretedRule, InterpreterOptions};

const TIMESTAMP: &str = "@timestamp";

/// The alerts of `events` (in this order) as event indexes per stage.
pub(crate) fn alerts(
    rule: &InterpretedRule,
    pipes: &[Pipe],
    reads_timestamp: bool,
    events: &[Json],
) -> Result<Vec<Vec<Option<usize>>>, String> {
    let state = rule.state::<usize>(&InterpreterOptions::default())?;
    let config = EngineConfig::default();
    let mut engine = Engine::new(config.clone(), vec![(state, pipes.to_vec())]);
    let mut out = Vec::new();
    let mut hits = SetHits::new();
    let mut seen: HashMap<String, StageHits> = HashMap::new();
    for (i, e) in events.iter().enumerate() {
        let text = serde_json::to_string(e).map_err(|e| e.to_string())?;
        let ev = JsonEvent::parse(&text).map_err(|e| format!("event {i}: {e:?}"))?;
        let content = match e {
            Json::Object(m) if !reads_timestamp => {
                let mut m = m.clone();
                m.remove(TIMESTAMP);
                Some(Json::Object(m).to_string())
            }
            _ => None,
        };
        hits.clear();
        let h = hits.begin(0);
        match content.as_ref().and_then(|c| seen.get(c)) {
            Some(known) => h.clone_from(known),
            None => {
                rule.evaluate(&ev, h);
                if let Some(c) = content {
                    seen.insert(c, h.clone());
                }
            }
        }
        hits.end();
        let time = config
            .time
            .timestamp(&ev)
            .map(|ts| (ts, config.time.tiebreaker(&ev)));
        engine.push(time, &mut hits, || i, &mut out);
    }
    engine.flush(&mut out);
    Ok(out.into_iter().map(|a| a.events).collect())
}

/// Whether the rule reads the timestamp field in a condition or key.
pub(crate) fn reads_timestamp(rule: &crate::ir::RuleIr) -> bool {
    rule.fields.iter().any(|f| f == TIMESTAMP)
}
