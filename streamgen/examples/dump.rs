//! Writes a stream to stdout: `cargo run -p streamgen --example dump -- [events] [nested|dotted|mixed] [seed] [late_share]`.

use std::io::Write;

use streamgen::{Config, Generator, Shape};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let shape = match args.next().as_deref() {
        Some("dotted") => Shape::Dotted,
        Some("mixed") => Shape::Mixed,
        _ => Shape::Nested,
    };
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let late_share = args.next().and_then(|a| a.parse().ok()).unwrap_or(0.0);
    let bytes = Generator::new(Config {
        seed,
        shape,
        late_share,
        ..Config::default()
    })
    .ndjson(n);
    // A closed pipe (`| head`) is not an error here.
    let _ = std::io::stdout().write_all(&bytes);
}
