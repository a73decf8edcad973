//! Alerts rendered compactly: in failure messages, and as the text of a rule's snapshot.

use std::fmt::Write;

use rule_runtime::time::format_millis;

use crate::run::Observed;

/// `[0, 1]`, `[0, missing]`.
pub fn events_text(events: &[Option<usize>]) -> String {
    let parts: Vec<String> = events
        .iter()
        .map(|e| e.map_or_else(|| "missing".to_string(), |i| i.to_string()))
        .collect();
    format!("[{}]", parts.join(", "))
}

/// One alert on one line: `sequence [0, 1] keys ["{42}"] at 2026-01-01T00:00:05.000Z`.
pub fn alert_line(a: &Observed) -> String {
    let mut s = format!("{} {}", a.kind, events_text(&a.events));
    if !a.join_keys.is_empty() {
        let _ = write!(s, " keys [{}]", a.join_keys.join(", "));
    }
    match a.timestamp {
        Some(t) => {
            let _ = write!(s, " at {}", format_millis(t));
        }
        None => s.push_str(" untimed"),
    }
    s
}

/// The snapshot of a rule's test stream: per case, its name and its alerts.
pub fn snapshot_text(cases: &[(String, Vec<Observed>)]) -> String {
    let mut s = String::new();
    for (name, alerts) in cases {
        let _ = writeln!(s, "case: {name}");
        if alerts.is_empty() {
            s.push_str("  no alert\n");
        }
        for a in alerts {
            let _ = writeln!(s, "  {}", alert_line(a));
        }
    }
    s
}
