//! Any bytes as a rule file: see `eqlc_fuzz::rule_front_end`.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use eqlc_fuzz::{rule_front_end, FrontEnd};
use libfuzzer_sys::fuzz_target;

static FRONT_END: OnceLock<FrontEnd> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let front_end =
        FRONT_END.get_or_init(|| FrontEnd::new(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..")));
    rule_front_end(front_end, data);
});
