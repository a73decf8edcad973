//! Events generated from a rule: matching examples and near misses, every one verified
//! by the reference interpreter.
//!
//! [`generate`] reads a rule's IR and returns [`Case`]s (events in time order and the
//! alerts they must raise) and [`Gap`]s (what could not be generated, and why). The
//! approach, systematic rather than random:
//!
//! 1. **Branches** ([`branches`]). Each filter's condition is put in negation normal form
//!    (`not` pushed down to the leaves: `not (a or b)` is `not a and not b`, two-valued as
//!    J.1 says). Every `or` is a *choice point*, and so is every positive leaf with a list:
//!    the values of `in`, the patterns of `:`/`like`/`regex`, the blocks of `cidrMatch`.
//!    A branch picks one alternative at every choice point it reaches, so it is a plain
//!    conjunction of literals. Branches are built one at a time, each preferring
//!    alternatives no earlier branch used, until every alternative of every choice point
//!    is used by some branch, or `max_branches` is reached (then long lists are sampled
//!    in a seeded order and the cap is reported as a gap).
//! 2. **Values** ([`values`], [`regex`]). A branch's literals are solved field by field:
//!    each positive literal proposes candidates (its literal, a pattern with `*`/`?`
//!    filled by plausible text, a string generated from the translated regex, an address
//!    in the CIDR block, a string of the right length, the inverse of simple arithmetic,
//!    case as the operator needs it), and the interpreter — evaluating the one literal on
//!    a one-field event — decides which candidate satisfies every positive literal of the
//!    field and no negative one. If no single value does, the field becomes an array
//!    (a positive literal needs one value, a negative one must hold for every value).
//!    Fields with only negative literals are left out (a missing field makes every
//!    negated leaf true) unless they must exist. Literals over several fields
//!    (`startsWith~(host.name, substring(user.name, 0, -1))`) are solved last by a bounded
//!    search over small pools (one shared token, values copied from the other fields,
//!    the literals' strings, absent). Every solved event is checked against the whole
//!    filter by the interpreter, and solved again with other candidate orders if needed.
//! 3. **Cases** ([`cases`]). Event queries: one event per branch. Sequences: one event
//!    per positive stage (branches advance in lockstep across stages), the join-key
//!    values pinned to the same value at each key position (positional: the field may
//!    differ per stage), times evenly spaced inside `maxspan`, no `until` event, missing
//!    stages absent. Samples: one event per filter sharing the keys. Near misses change
//!    one thing in a matching case:
//!    * *atom broken*: a positive literal negated and its fields solved again, every
//!      other field kept (so the value is a near variant: `cmd.exe` → `cmd.exex`), or
//!      the category changed; spread over the literals (at least four per rule when
//!      there are few matching cases, specific fields before `host.os.*`/`event.*`,
//!      never a literal over join-key fields only);
//!    * *exclusion hit*: a top-level `not (…)` of the filter made true as a whole (its
//!      negated literals replaced by a branch of the excluded condition, so
//!      `not (a and b)` gets both `a` and `b`), or else one negated literal made true;
//!    * *join key changed* (last stage), *stages swapped* (two consecutive stages with
//!      different filters), *maxspan exceeded* (first-to-last span `maxspan + 1` ms),
//!      *until inserted* (same keys, between the first two stages), *missing-stage
//!      event present* (inside its window; with both leading and trailing missing
//!      stages, one of each, as C.5 needs both to reject), *case changed* (a value's
//!      letters flipped where the comparison is case-sensitive).
//! 4. **Verification** ([`verify`]). Every case is run through an [`Engine`] (reorder
//!    window 0, `@timestamp`, no tiebreaker) with the rule's interpreted state; a
//!    matching case is kept only if the alerts are exactly its `expect`, a near miss only
//!    if there is no alert. The engine's event handle is each event's *index* in the
//!    case, so alerts name events by position and no field is added to the events (a
//!    rule could read it). What fails is retried with other choices, then reported as a
//!    [`Gap`].
//!
//! Generation is deterministic for a given seed (no hash-map iteration decides
//! anything) and bounded per rule: at most `max_branches` branches per filter and
//! matching cases per rule, a fixed number of candidates per literal and of attempts
//! per near-miss kind.
//!
//! [`Engine`]: rule_runtime::engine::Engine

mod branches;
mod cases;
mod invert;
mod regex;
pub mod rng;
mod values;
mod verify;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use serde::Serialize;

use crate::interpreter::{InterpretedRule, InterpreterOptions};
use crate::ir::RuleIr;

/// How cases are generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenOptions {
    /// Seeds every choice that is not forced (which values of a long list a capped rule
    /// uses).
    pub seed: u64,
    /// The most branches per filter, and matching cases per rule.
    pub max_branches: usize,
    /// Whether near misses are generated too.
    pub near_misses: bool,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            seed: 0,
            max_branches: 32,
            near_misses: true,
        }
    }
}

/// What a near miss changes in a matching case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum NearMissKind {
    /// A positive literal made false (its fields given values near the matching ones),
    /// or the event's category changed.
    AtomBroken,
    /// A negated literal (an exclusion) made true.
    ExclusionHit,
    /// One join-key value changed in the last stage's event.
    JoinKeyChanged,
    /// Two consecutive stages' events swapped in time.
    StagesSwapped,
    /// The sequence's first-to-last span is `maxspan + 1` ms.
    MaxspanExceeded,
    /// An `until` event with the same join keys between the first two stages.
    UntilInserted,
    /// An event of a missing-event stage (`![…]`) present inside its window.
    MissingPresent,
    /// A value's case flipped where the comparison is case-sensitive.
    CaseChanged,
}

impl NearMissKind {
    /// Every kind, in declaration order.
    pub const ALL: [NearMissKind; 8] = [
        NearMissKind::AtomBroken,
        NearMissKind::ExclusionHit,
        NearMissKind::JoinKeyChanged,
        NearMissKind::StagesSwapped,
        NearMissKind::MaxspanExceeded,
        NearMissKind::UntilInserted,
        NearMissKind::MissingPresent,
        NearMissKind::CaseChanged,
    ];

    /// A short description (`atom broken`, `stages swapped`, …).
    pub fn describe(self) -> &'static str {
        match self {
            NearMissKind::AtomBroken => "atom broken",
            NearMissKind::ExclusionHit => "exclusion hit",
            NearMissKind::JoinKeyChanged => "join key changed",
            NearMissKind::StagesSwapped => "stages swapped",
            NearMissKind::MaxspanExceeded => "maxspan exceeded",
            NearMissKind::UntilInserted => "until inserted",
            NearMissKind::MissingPresent => "missing-stage event present",
            NearMissKind::CaseChanged => "case changed",
        }
    }
}

/// Whether a case must alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum CaseKind {
    Match,
    NearMiss(NearMissKind),
}

/// One generated case: events, and the alerts they raise.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    /// What the case exercises (`match: branch 3 (process.name in "cmd.exe", in-value
    /// 2 of 5)`, `near miss: maxspan exceeded by 1 ms …`).
    pub name: String,
    pub kind: CaseKind,
    /// JSON objects in time order, each with `@timestamp` (ISO 8601 in milliseconds, the
    /// first at [`EPOCH`]) and the rule's fields nested in ECS shape.
    pub events: Vec<serde_json::Value>,
    /// The alerts, in order, as event indexes per stage (`None` at a missing-event
    /// stage); empty for near misses.
    pub expect: Vec<Vec<Option<usize>>>,
}

/// Something that could not be generated, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// What: a branch, a stage, a near-miss kind.
    pub what: String,
    /// Why, as `category: detail` (the category before the first `: ` is stable, for
    /// counting).
    pub reason: String,
}

impl Gap {
    pub(crate) fn new(what: &str, reason: &str) -> Gap {
        Gap {
            what: what.to_string(),
            reason: reason.to_string(),
        }
    }

    /// The stable part of the reason (before the first `: `).
    pub fn category(&self) -> &str {
        self.reason
            .split_once(": ")
            .map_or(self.reason.as_str(), |(c, _)| c)
    }
}

/// Everything generated for one rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Generated {
    pub cases: Vec<Case>,
    pub gaps: Vec<Gap>,
}

impl Generated {
    /// The matching cases.
    pub fn matches(&self) -> impl Iterator<Item = &Case> {
        self.cases.iter().filter(|c| c.kind == CaseKind::Match)
    }

    /// The near misses.
    pub fn near_misses(&self) -> impl Iterator<Item = &Case> {
        self.cases
            .iter()
            .filter(|c| matches!(c.kind, CaseKind::NearMiss(_)))
    }

    /// The near-miss kinds produced, without repeats, in [`NearMissKind::ALL`] order.
    pub fn near_miss_kinds(&self) -> Vec<NearMissKind> {
        NearMissKind::ALL
            .into_iter()
            .filter(|k| self.cases.iter().any(|c| c.kind == CaseKind::NearMiss(*k)))
            .collect()
    }
}

/// The `@timestamp` of every case's first event.
pub const EPOCH: &str = "2024-01-01T00:00:00.000Z";

/// Matching examples and near misses for `rule`, each verified by the reference
/// interpreter (see the [module documentation](self)).
pub fn generate(rule: &RuleIr, options: &GenOptions) -> Generated {
    let matcher = match InterpretedRule::new(rule, Arc::default(), &InterpreterOptions::default()) {
        Ok(m) => m,
        Err(e) => {
            return Generated {
                cases: Vec::new(),
                gaps: vec![Gap {
                    what: "the rule".into(),
                    reason: format!("the interpreter rejects the rule: {e}"),
                }],
            }
        }
    };
    let seed = options.seed ^ rng::hash_str(&rule.id).rotate_left(17);
    let mut g = cases::Gen::new(rule, matcher, options, seed);
    g.run();
    Generated {
        cases: g.cases,
        gaps: g.gaps,
    }
}

/// Runs a case through a fresh interpreter and engine, as [`generate`] verified it:
/// `Ok` when the alerts are exactly `case.expect`.
pub fn check_case(rule: &RuleIr, case: &Case) -> Result<(), String> {
    let m = InterpretedRule::new(rule, Arc::default(), &InterpreterOptions::default())?;
    let got = verify::alerts(&m, &rule.pipes, verify::reads_timestamp(rule), &case.events)?;
    if got == case.expect {
        Ok(())
    } else {
        Err(format!(
            "{}: expected alerts {:?}, got {:?}",
            case.name, case.expect, got
        ))
    }
}
