//! Whether the alerts of a run meet a case's expectation, and if not, what differs.

use serde_json::Value as Json;

use crate::render::events_text;
use crate::run::Observed;
use crate::spec::{AlertPattern, Expectation};

/// `Ok` when `got` meets `expect`; otherwise what is missing and what is unexpected.
pub fn check(expect: &Expectation, got: &[Observed]) -> Result<(), String> {
    match expect {
        Expectation::Exact(want) => {
            let mut want: Vec<_> = want.clone();
            want.sort();
            let mut have: Vec<_> = got.iter().map(|a| a.events.clone()).collect();
            have.sort();
            if want == have {
                return Ok(());
            }
            let mut missing = Vec::new();
            let mut rest = have.clone();
            for w in &want {
                match rest.iter().position(|h| h == w) {
                    Some(i) => {
                        rest.remove(i);
                    }
                    None => missing.push(w.clone()),
                }
            }
            let mut msg = format!("expected {}, got {}", list_text(&want), list_text(&have));
            if !missing.is_empty() {
                msg.push_str(&format!("; missing {}", list_text(&missing)));
            }
            if !rest.is_empty() {
                msg.push_str(&format!("; unexpected {}", list_text(&rest)));
            }
            Err(msg)
        }
        Expectation::Partial {
            at_least,
            at_most,
            alerts,
        } => {
            let n = got.len();
            if let Some(lo) = at_least {
                if n < *lo {
                    return Err(format!(
                        "expected at least {lo} alert{}, got {n}{}",
                        plural(*lo),
                        got_suffix(got)
                    ));
                }
            }
            if let Some(hi) = at_most {
                if n > *hi {
                    return Err(format!(
                        "expected at most {hi} alert{}, got {n}{}",
                        plural(*hi),
                        got_suffix(got)
                    ));
                }
            }
            match assign(alerts, got) {
                Ok(()) => Ok(()),
                Err(i) => Err(format!(
                    "no alert (of those not already matched) fits partial alert {i} ({}){}",
                    pattern_text(&alerts[i]),
                    got_suffix(got)
                )),
            }
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn got_suffix(got: &[Observed]) -> String {
    if got.is_empty() {
        String::new()
    } else {
        format!(
            ": {}",
            got.iter()
                .map(|a| format!("{} {}", a.kind, events_text(&a.events)))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

fn list_text(list: &[Vec<Option<usize>>]) -> String {
    if list.is_empty() {
        return "no alert".into();
    }
    format!(
        "[{}]",
        list.iter()
            .map(|a| events_text(a))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn pattern_text(p: &AlertPattern) -> String {
    let mut parts = Vec::new();
    if let Some(k) = &p.kind {
        parts.push(format!("kind {k}"));
    }
    if let Some(e) = &p.events {
        parts.push(format!("events {}", events_text(e)));
    }
    if let Some(k) = &p.join_keys {
        parts.push(format!("join_keys {}", Json::Array(k.clone())));
    }
    if parts.is_empty() {
        "any alert".into()
    } else {
        parts.join(", ")
    }
}

fn fits(p: &AlertPattern, a: &Observed) -> bool {
    p.kind.as_deref().is_none_or(|k| k == a.kind)
        && p.events.as_ref().is_none_or(|e| *e == a.events)
        && p.join_keys
            .as_ref()
            .is_none_or(|k| same_keys(k, &a.join_keys_json()))
}

/// Join keys compare as JSON values, numbers by value (`1` and `1.0` are one key).
fn same_keys(want: &[Json], have: &[Json]) -> bool {
    want.len() == have.len()
        && want.iter().zip(have).all(|(w, h)| match (w, h) {
            (Json::Number(a), Json::Number(b)) => a.as_f64() == b.as_f64(),
            _ => w == h,
        })
}

/// Gives each pattern a different alert it fits (a small bipartite matching);
/// `Err(i)`: pattern `i` cannot be given one.
fn assign(patterns: &[AlertPattern], got: &[Observed]) -> Result<(), usize> {
    let mut owner: Vec<Option<usize>> = vec![None; got.len()];
    for p in 0..patterns.len() {
        let mut seen = vec![false; got.len()];
        if !augment(p, patterns, got, &mut owner, &mut seen) {
            return Err(p);
        }
    }
    Ok(())
}

fn augment(
    p: usize,
    patterns: &[AlertPattern],
    got: &[Observed],
    owner: &mut [Option<usize>],
    seen: &mut [bool],
) -> bool {
    for a in 0..got.len() {
        if seen[a] || !fits(&patterns[p], &got[a]) {
            continue;
        }
        seen[a] = true;
        let free = match owner[a] {
            None => true,
            Some(q) => augment(q, patterns, got, owner, seen),
        };
        if free {
            owner[a] = Some(p);
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(kind: &'static str, events: &[Option<usize>], keys: &[&str]) -> Observed {
        Observed {
            events: events.to_vec(),
            kind,
            join_keys: keys.iter().map(|k| k.to_string()).collect(),
            timestamp: None,
        }
    }

    #[test]
    fn exact_lists_compare_as_sets() {
        let got = vec![
            alert("sequence", &[Some(2), Some(3)], &[]),
            alert("sequence", &[Some(0), Some(1)], &[]),
        ];
        let e = Expectation::Exact(vec![vec![Some(0), Some(1)], vec![Some(2), Some(3)]]);
        assert!(check(&e, &got).is_ok());
        let e = Expectation::Exact(vec![vec![Some(0), Some(1)]]);
        let msg = check(&e, &got).unwrap_err();
        assert!(msg.contains("unexpected [[2, 3]]"), "{msg}");
        let msg = check(&Expectation::Exact(vec![]), &[])
            .map(|_| "ok")
            .unwrap();
        assert_eq!(msg, "ok");
        let msg = check(&Expectation::Exact(vec![vec![Some(0), None]]), &[]).unwrap_err();
        assert!(msg.contains("missing [[0, missing]]"), "{msg}");
    }

    #[test]
    fn partial_alerts_each_need_a_different_alert() {
        let got = vec![
            alert("sequence", &[Some(0), Some(1)], &["\"h1\""]),
            alert("sequence", &[Some(2), Some(3)], &["\"h2\""]),
        ];
        let any_h1 = AlertPattern {
            join_keys: Some(vec![Json::from("h1")]),
            ..Default::default()
        };
        let any_seq = AlertPattern {
            kind: Some("sequence".into()),
            ..Default::default()
        };
        let e = Expectation::Partial {
            at_least: Some(1),
            at_most: None,
            alerts: vec![any_seq.clone(), any_h1.clone()],
        };
        assert!(check(&e, &got).is_ok());
        let e = Expectation::Partial {
            at_least: None,
            at_most: None,
            alerts: vec![any_h1.clone(), any_h1],
        };
        assert!(check(&e, &got).unwrap_err().contains("partial alert 1"));
        let e = Expectation::Partial {
            at_least: None,
            at_most: Some(1),
            alerts: vec![],
        };
        assert!(check(&e, &got)
            .unwrap_err()
            .contains("at most 1 alert, got 2"));
    }
}
