//! Generates a stream and prints its figures and the generation speed:
//! `cargo run --release -p streamgen --example stream_stats -- [events] [nested|dotted|mixed] [seed]`.

use std::time::Instant;

use streamgen::{Config, Generator, Shape, StreamStats};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let shape = match args.next().as_deref() {
        Some("dotted") => Shape::Dotted,
        Some("mixed") => Shape::Mixed,
        _ => Shape::Nested,
    };
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let start = Instant::now();
    let bytes = Generator::new(Config {
        seed,
        shape,
        ..Config::default()
    })
    .ndjson(n);
    let t = start.elapsed().as_secs_f64();
    println!(
        "generated {n} events ({:.1} MB) in {:.3} s: {:.0} k events/s, {:.0} MB/s",
        bytes.len() as f64 / 1e6,
        t,
        n as f64 / t / 1e3,
        bytes.len() as f64 / t / 1e6
    );
    // The same events again into a reused buffer: generation alone, without the page
    // faults of a fresh multi-megabyte buffer.
    let start = Instant::now();
    let mut g = Generator::new(Config {
        seed,
        shape,
        ..Config::default()
    });
    let mut buf = Vec::with_capacity(1 << 16);
    let mut total = 0;
    for _ in 0..n {
        buf.clear();
        g.next_event(&mut buf);
        total += buf.len() + 1;
    }
    let t = start.elapsed().as_secs_f64();
    assert_eq!(total, bytes.len());
    println!(
        "again into a reused buffer: {:.3} s, {:.0} k events/s, {:.0} MB/s",
        t,
        n as f64 / t / 1e3,
        total as f64 / t / 1e6
    );
    let start = Instant::now();
    let stats = StreamStats::of(&bytes);
    println!("{stats}");
    println!("(measured in {:.3} s)", start.elapsed().as_secs_f64());
}
