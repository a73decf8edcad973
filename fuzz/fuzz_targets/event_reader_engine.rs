//! Any bytes as an NDJSON event stream, compiled and interpreted: see
//! `eqlc_fuzz::event_reader_engine`.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use eqlc_fuzz::{event_reader_engine, EventFixture};
use libfuzzer_sys::fuzz_target;

static FIXTURE: OnceLock<EventFixture> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let fixture = FIXTURE.get_or_init(|| {
        let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules");
        EventFixture::new(&rules).unwrap_or_else(|e| panic!("{e}"))
    });
    event_reader_engine(fixture, data);
});
