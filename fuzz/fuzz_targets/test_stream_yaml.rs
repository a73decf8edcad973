//! Any bytes as a rule test stream: see `eqlc_fuzz::test_stream_yaml`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = eqlc_fuzz::test_stream_yaml(data);
});
