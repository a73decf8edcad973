//! The runtime that eqlc's matchers will link against: generated code calls it, and the
//! reference interpreter evaluates through it, so both back ends share one semantics.
//!
//! Being built (issue 3): the event model and JSON events, values and Elasticsearch's
//! coercions, case folding, wildcard/regex/cidr helpers, the EQL functions, and the
//! sequence and sample state machines.
