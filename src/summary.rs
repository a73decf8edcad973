//! What a scan saw, said in words on standard error (and as JSON with `--stats FILE`):
//! events and bytes read, speed, peak memory, alerts by severity and the top rules,
//! lines skipped by reason, and the events the engine could not match in order (late,
//! untimed, future, evicted keys …) with what that means. The engine's own counters
//! only with `--verbose`.

use std::collections::BTreeMap;

use serde::Serialize;

/// Everything the summary says.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScanSummary {
    /// Rules run.
    pub rules: usize,
    /// Inputs read (files, or standard input).
    pub inputs: usize,
    pub lines: u64,
    pub events: u64,
    /// Bytes read (as stored: compressed files count their compressed size).
    pub bytes: u64,
    pub seconds: f64,
    /// Peak resident memory of the process, bytes (Linux; `None` elsewhere).
    pub peak_memory_bytes: Option<u64>,
    pub alerts: u64,
    /// Alerts per rule severity.
    pub alerts_by_severity: BTreeMap<String, u64>,
    /// Alerts per rule (name), most first.
    pub top_rules: Vec<(String, u64)>,
    /// Lines that were not events, per reason.
    pub skipped: BTreeMap<String, u64>,
    /// Events not matched because of `--from`/`--to`.
    pub outside_time_range: u64,
    /// Counters a user should know about (late, untimed, future, evictions, caps), with
    /// what each means.
    pub notices: Vec<Notice>,
    /// The engine's and matchers' internal counters (`--verbose`).
    pub counters: BTreeMap<String, u64>,
}

/// A counter worth a sentence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    pub name: String,
    pub count: u64,
    /// The sentence, count included.
    pub meaning: String,
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", group(n), if n == 1 { one } else { many })
}

/// `1234567` → `1,234,567`.
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in B, KiB, MiB, GiB.
pub fn bytes(n: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < units.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// What the engine's counters mean for a user, for those worth a sentence.
pub fn notice(name: &str, count: u64, reorder_window_ms: u64) -> Option<Notice> {
    let n = group(count);
    let many = count != 1;
    let (events, were, was) = (
        if many { "events" } else { "event" },
        if many { "were" } else { "was" },
        if many { "were" } else { "was" },
    );
    let meaning = match name {
        "late" => format!(
            "{n} {events} arrived more than the reorder window ({reorder_window_ms} ms) behind newer ones: event queries and samples saw them, sequences did not (widen --reorder-window)"
        ),
        "untimed" => format!(
            "{n} {events} had no usable timestamp: event queries and samples saw them, sequences did not (see --timestamp-field)"
        ),
        "future" => format!(
            "{n} {events} {were} dated more than a day ahead of this machine's clock: matched as late, so they could not push time past every other event"
        ),
        "held_overflow" => format!(
            "{n} {events} {were} matched before the reorder window closed because more than --max-held-events events that hit a rule were waiting in it: events arriving behind them may have been late"
        ),
        "sequence_evicted_keys" => format!(
            "{n} open sequence key{} {was} evicted at --max-sequence-keys (oldest first): a sequence spanning one was missed",
            if many { "s" } else { "" }
        ),
        "sample_keys_evicted" => format!(
            "{n} sample key{} {was} evicted at the sample key cap: a sample spanning one was missed",
            if many { "s" } else { "" }
        ),
        "sample_candidates_dropped" => {
            format!("{n} sample candidate {events} {were} dropped at the per-key cap")
        }
        "leaf_assignments_capped" => format!(
            "{n} time{} a condition over many-valued fields stopped at 4,096 combinations of values (the rest were not tried)",
            if many { "s" } else { "" }
        ),
        "key_tuples_capped" => format!(
            "{n} time{} an event with many-valued join keys joined under its first 1,024 key combinations only",
            if many { "s" } else { "" }
        ),
        "head_suppressed" => format!(
            "{n} alert{} {were} suppressed by a rule's `| head` pipe",
            if many { "s" } else { "" }
        ),
        "tail_dropped" => format!(
            "{n} alert{} {were} dropped by a rule's `| tail` pipe for newer ones",
            if many { "s" } else { "" }
        ),
        _ => return None,
    };
    Some(Notice {
        name: name.to_string(),
        count,
        meaning,
    })
}

impl ScanSummary {
    /// The summary as lines for standard error.
    pub fn render(&self, verbose: bool) -> String {
        let mut out = Vec::new();
        let rate = if self.seconds > 0.0 {
            format!(
                ", {} events/s",
                group((self.events as f64 / self.seconds) as u64)
            )
        } else {
            String::new()
        };
        let memory = self
            .peak_memory_bytes
            .map(|b| format!("; peak memory {}", bytes(b)))
            .unwrap_or_default();
        out.push(format!(
            "read {} ({}) from {} in {:.2} s{rate}{memory}",
            plural(self.events, "event", "events"),
            bytes(self.bytes),
            plural(self.inputs as u64, "input", "inputs"),
            self.seconds
        ));
        let mut alerts = format!(
            "{} from {}",
            plural(self.alerts, "alert", "alerts"),
            plural(self.rules as u64, "rule", "rules")
        );
        if !self.alerts_by_severity.is_empty() {
            let by: Vec<String> = ["critical", "high", "medium", "low"]
                .iter()
                .filter_map(|s| {
                    self.alerts_by_severity
                        .get(*s)
                        .map(|n| format!("{s} {}", group(*n)))
                })
                .chain(
                    self.alerts_by_severity
                        .iter()
                        .filter(|(s, _)| {
                            !["critical", "high", "medium", "low"].contains(&s.as_str())
                        })
                        .map(|(s, n)| format!("{s} {}", group(*n))),
                )
                .collect();
            alerts.push_str(&format!(" ({})", by.join(", ")));
        }
        out.push(alerts);
        if !self.top_rules.is_empty() {
            let top: Vec<String> = self
                .top_rules
                .iter()
                .take(5)
                .map(|(r, n)| format!("{r} ({})", group(*n)))
                .collect();
            out.push(format!("top rules: {}", top.join("; ")));
        }
        let skipped: u64 = self.skipped.values().sum();
        if skipped > 0 {
            let by: Vec<String> = self
                .skipped
                .iter()
                .map(|(r, n)| format!("{} {r}", group(*n)))
                .collect();
            out.push(format!(
                "skipped {} that {} not events: {}",
                plural(skipped, "line", "lines"),
                if skipped == 1 { "was" } else { "were" },
                by.join(", ")
            ));
        }
        if self.outside_time_range > 0 {
            out.push(format!(
                "{} outside --from/--to not matched",
                plural(self.outside_time_range, "event", "events")
            ));
        }
        for n in &self.notices {
            out.push(n.meaning.clone());
        }
        if verbose && !self.counters.is_empty() {
            let c: Vec<String> = self
                .counters
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            out.push(format!("engine counters: {}", c.join(", ")));
        }
        out.into_iter()
            .map(|l| format!("eqlc: {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The process's peak resident memory (`VmHWM` of `/proc/self/status`), Linux only.
pub fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(group(1_234_567), "1,234,567");
        assert_eq!(group(12), "12");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(4_300), "4.2 KiB");
        let s = ScanSummary {
            rules: 1,
            inputs: 1,
            events: 1,
            alerts: 1,
            ..Default::default()
        };
        let r = s.render(false);
        assert!(r.contains("read 1 event (0 B) from 1 input"), "{r}");
        assert!(r.contains("1 alert from 1 rule"), "{r}");
    }
}
