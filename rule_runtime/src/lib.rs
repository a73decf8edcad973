//! The runtime that eqlc's matchers link against: generated code calls it, and the
//! reference interpreter evaluates through it, so both back ends share one semantics.
//!
//! * [`value`]: field values and Elasticsearch's coercions (eql-semantics.md J.7).
//! * [`fold`]: per-code-point case folding (J.8) with an ASCII fast path.
//! * [`pattern`]: wildcard (`:`, `like`) patterns compiled to exact/prefix/suffix/contains/general forms.
//! * [`cidr`]: IP addresses and CIDR blocks.
//! * [`functions`]: the EQL functions of eql-semantics.md §F with their null behaviour.
//! * [`event`]: the event model (one trait for field access) and its JSON implementation.
//! * [`time`]: timestamps (ISO 8601 with zone, epoch milliseconds).
//! * [`sample`]: the sample state machine of eql-semantics.md D and J.5.
//! * [`sequence`]: the sequence state machine of eql-semantics.md C.4/C.5.

pub mod cidr;
pub mod event;
pub mod fold;
pub mod functions;
pub mod pattern;
pub mod sample;
pub mod sequence;
pub mod time;
pub mod value;
