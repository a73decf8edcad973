//! The runtime that eqlc's matchers link against: generated code calls it, and the
//! reference interpreter evaluates through it, so both back ends share one semantics.
//!
//! * [`alert`]: alerts and the `RuleMatcher` interface every compiled rule implements.
//! * [`engine`]: the streaming engine (reorder window, delivery, pipes, NDJSON alerts).
//! * [`key`]: join-key values and their expansion (C.3).
//! * [`rules`]: the rule shells (event, sequence, sample) over a rule's `RuleLogic`.
//! * [`compiled`]: projected events and the comparisons and helpers compiled rules call.
//! * [`version`]: Elasticsearch `version` field ordering.
//! * [`value`]: field values and Elasticsearch's coercions (eql-semantics.md J.7).
//! * [`fold`]: per-code-point case folding (J.8) with an ASCII fast path.
//! * [`pattern`]: wildcard (`:`, `like`) patterns compiled to exact/prefix/suffix/contains/general forms.
//! * [`cidr`]: IP addresses and CIDR blocks.
//! * [`functions`]: the EQL functions of eql-semantics.md §F with their null behaviour.
//! * [`event`]: the event model (one trait for field access) and its JSON implementation.
//! * [`time`]: timestamps (ISO 8601 with zone, epoch milliseconds).
//! * [`sample`]: the sample state machine of eql-semantics.md D and J.5.
//! * [`sequence`]: the sequence state machine of eql-semantics.md C.4/C.5.

pub mod alert;
pub mod cidr;
pub mod compiled;
pub mod engine;
pub mod event;
pub mod fields;
pub mod fold;
pub mod functions;
pub mod key;
pub mod pattern;
pub mod rules;
pub mod sample;
pub mod sequence;
pub mod time;
pub mod value;
pub mod version;
