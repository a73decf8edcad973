//! `eqlc_bench`: the measuring half of `cargo xtask bench` (see `BENCHMARKS.md`).
//!
//! ```text
//! eqlc_bench [--quick] [--events N] [--json FILE] [--stream-out FILE] [--only M1…M8]
//! ```
//!
//! Builds one in-memory NDJSON stream (`streamgen`, with the values the compiled rules
//! look for mixed in as a rare vocabulary), then measures on those same bytes, in one
//! run: the parse floors (M3), the compiled rule set end to end (M1) and on pre-read
//! events (M2), rule subsets (M4), sequence state as open keys grow (M5) and the
//! reference interpreter (M7), and the compiled rule set on one thread and on two (M8). The compiled and interpreted alerts must be identical, or
//! the run fails. Results go to `--json` (what `cargo xtask bench` reads) and a short
//! table to stdout.

mod alloc;
mod figures;
mod stream;

use std::path::PathBuf;
use std::process::ExitCode;

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

/// The rules compiled in (`EQLC_RULES_DIR` at build time, default `rules/`).
pub use eqlc_bench_rules as compiled;

/// What to run.
pub struct Options {
    pub quick: bool,
    pub events: usize,
    pub json: Option<PathBuf>,
    pub stream_out: Option<PathBuf>,
    pub rules_dir: PathBuf,
    /// Only this figure (`M1` … `M8`), for profiling.
    pub only: Option<String>,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        quick: false,
        events: 0,
        json: None,
        stream_out: None,
        rules_dir: PathBuf::from(compiled::RULES_DIR),
        only: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => o.quick = true,
            "--events" => {
                o.events = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or("--events takes a number")?
            }
            "--json" => o.json = Some(args.next().ok_or("--json takes a file")?.into()),
            "--stream-out" => {
                o.stream_out = Some(args.next().ok_or("--stream-out takes a file")?.into())
            }
            "--only" => o.only = Some(args.next().ok_or("--only takes a figure id")?),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if o.events == 0 {
        o.events = if o.quick { 4_000 } else { 20_000 };
    }
    Ok(o)
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("eqlc_bench: {e}");
            return ExitCode::from(2);
        }
    };
    match figures::run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("eqlc_bench: {e}");
            ExitCode::FAILURE
        }
    }
}
