//! The runtime that eqlc's matchers link against: generated code calls it, and the
//! reference interpreter evaluates through it, so both back ends share one semantics.
//!
//! Events in:
//! * [`stream`]: the NDJSON line reader, the back-end interface, the scan loop.
//! * [`parallel`]: the scan loop with lines evaluated on worker threads, in input order.
//! * [`json`]: one pass over a line's bytes that keeps only the fields rules read.
//! * [`fields`]: a rule set's field table (slots, path trie) and projected events.
//! * [`event`]: the event model (one trait for field access), JSON events, event output.
//! * [`time`]: timestamps (ISO 8601 with zone, epoch milliseconds) and event order.
//!
//! Matching:
//! * [`ruleset`]: a compiled rule set (generated tables and functions) and its dispatch.
//! * [`index`]: the rule set's literal index (atoms, evaluated once per event for all rules).
//! * [`cmp`]: comparisons of values with literals (J.7 coercions, typed fields).
//! * [`assign`]: leaves over expressions, one assignment of field values at a time (J.1).
//! * [`caps`]: the caps on work per event, and how often each cut something.
//! * [`value`]: field values and Elasticsearch's coercions (eql-semantics.md J.7).
//! * [`fold`]: per-code-point case folding (J.8) with an ASCII fast path.
//! * [`pattern`]: wildcard (`:`, `like`) patterns, `in` sets, regexes, contains sets.
//! * [`cidr`]: IP addresses and CIDR blocks.
//! * [`functions`]: the EQL functions of eql-semantics.md §F with their null behaviour.
//! * [`version`]: Elasticsearch `version` field ordering.
//!
//! State and output:
//! * [`engine`]: the streaming engine (reorder window, delivery, deadlines, pipes).
//! * [`state`]: per-rule state driven by stage hits (event, sequence, sample shells).
//! * [`key`]: join-key values and their expansion (C.3).
//! * [`sequence`]: the sequence state machine of eql-semantics.md C.4/C.5.
//! * [`sample`]: the sample state machine of eql-semantics.md D and J.5.
//! * [`alert`]: alerts and what they say about their rule.
//! * [`output`]: alerts as NDJSON in the order of the output contract.
//! * [`options`]: the run-time choices of matchers (sample mode, key caps).

pub mod alert;
pub mod assign;
pub mod caps;
pub mod cidr;
pub mod cmp;
pub mod engine;
pub mod event;
pub mod fields;
pub mod fold;
pub mod functions;
pub mod index;
pub mod json;
pub mod key;
pub mod kql;
pub mod options;
pub mod output;
pub mod parallel;
pub mod pattern;
pub mod ruleset;
pub mod sample;
pub mod sequence;
pub mod state;
pub mod stream;
pub mod time;
pub mod value;
pub mod version;
