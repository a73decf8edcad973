//! Events generated from a rule (being written).
