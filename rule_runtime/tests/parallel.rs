//! [`ParallelScanner`] against the single-threaded [`Scanner`] with a fake back end whose
//! lines say what they are (`ts rule delay`: the timestamp, the rule hit or `-`, and how
//! long evaluating takes, so that batches finish out of order), over one event rule and
//! one `head 5` rule: the lines' outcomes in order, the alerts in order, the scanner's and
//! engine's counters must be the same; a worker's panic reaches the caller.

use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use rule_runtime::alert::RuleInfo;
use rule_runtime::engine::{Engine, EngineConfig, EventTime, Pipe, RuleEntry};
use rule_runtime::output::alert_to_ndjson;
use rule_runtime::parallel::ParallelScanner;
use rule_runtime::state::{EventRule, SetHits};
use rule_runtime::stream::{Backend, Line, LineError, LineReader, Scanner};

/// Reads `ts rule delay_us` lines; `boom` panics; anything else is not JSON.
#[derive(Debug, Clone, Default)]
struct Fake;

impl Backend for Fake {
    type Event = Arc<str>;

    fn evaluate(&mut self, line: &str, hits: &mut SetHits) -> Result<EventTime, LineError> {
        hits.clear();
        assert_ne!(line, "boom", "the fake back end was told to panic");
        let parts: Vec<&str> = line.split(' ').collect();
        let [ts, rule, delay] = parts[..] else {
            return Err(LineError::NotJson(format!("`{line}`")));
        };
        let (Ok(ts), Ok(delay)) = (ts.parse::<i64>(), delay.parse::<u64>()) else {
            return Err(LineError::NotJson(format!("`{line}`")));
        };
        std::thread::sleep(Duration::from_micros(delay));
        if let Ok(rule) = rule.parse::<usize>() {
            hits.begin(rule).push(0, vec![Vec::new()]);
            hits.end();
        }
        Ok(Ok((ts, None)))
    }

    fn event(&mut self, line: &str) -> Arc<str> {
        Arc::from(line)
    }
}

fn rules() -> Vec<RuleEntry<Arc<str>>> {
    let info = |id: &str| {
        Arc::new(RuleInfo {
            id: id.to_string(),
            name: format!("rule {id}"),
            ..RuleInfo::default()
        })
    };
    vec![
        (Box::new(EventRule::new(info("a"))), Vec::new()),
        (Box::new(EventRule::new(info("b"))), vec![Pipe::Head(5)]),
    ]
}

/// Everything a run shows: per line its number and outcome, with the alerts (as NDJSON)
/// it made final; then the alerts of the flush and the counters.
fn record(scanner: &mut Scanner<Fake>, number: u64, pushed: Result<(), LineError>) -> String {
    let alerts: Vec<String> = scanner
        .drain_alerts()
        .map(|a| String::from_utf8(alert_to_ndjson(&a).unwrap()).unwrap())
        .collect();
    format!("{number} {:?} {alerts:?}", pushed.err())
}

fn finish(scanner: &mut Scanner<Fake>, log: &mut Vec<String>) {
    scanner.flush();
    log.push(record(scanner, 0, Ok(())));
    log.push(format!(
        "{:?} {:?}",
        scanner.stats(),
        scanner.engine().stats()
    ));
}

fn scanner(window: u64, range: (Option<i64>, Option<i64>)) -> Scanner<Fake> {
    let mut s = Scanner::new(
        Fake,
        Engine::new(EngineConfig::with_window(window), rules()),
    );
    s.set_time_range(range.0, range.1);
    s
}

fn one_thread(text: &str, window: u64, range: (Option<i64>, Option<i64>)) -> Vec<String> {
    let mut s = scanner(window, range);
    let mut reader = LineReader::new(text.as_bytes());
    let mut log = Vec::new();
    while let Some(line) = reader.next_line().unwrap() {
        let pushed = s.push(line);
        log.push(record(&mut s, reader.line_number(), pushed));
    }
    finish(&mut s, &mut log);
    log
}

fn threads(
    text: &str,
    window: u64,
    range: (Option<i64>, Option<i64>),
    workers: usize,
    batch_lines: usize,
) -> Vec<String> {
    let mut p = ParallelScanner::new(scanner(window, range), vec![Fake; workers]).unwrap();
    p.set_batch_lines(batch_lines);
    let mut reader = LineReader::new(text.as_bytes());
    let mut log = Vec::new();
    let mut on_line = |s: &mut Scanner<Fake>, _: usize, number: u64, pushed| {
        log.push(record(s, number, pushed));
        Ok::<(), ()>(())
    };
    let mut number = 0;
    while let Some(line) = reader.next_line().unwrap() {
        number += 1;
        p.push(number, line, &mut on_line).unwrap();
    }
    p.finish(&mut on_line).unwrap();
    finish(p.scanner_mut(), &mut log);
    log
}

/// A line of a random stream.
fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => (0i64..200, prop_oneof![Just("-"), Just("0"), Just("1")], 0u64..300)
            .prop_map(|(ts, rule, delay)| format!("{ts} {rule} {delay}")),
        1 => Just("not an event".to_string()),
        1 => Just("   ".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_same_as_one_thread(
        lines in prop::collection::vec(line(), 0..200),
        workers in 1usize..5,
        batch_lines in 1usize..20,
        window in prop_oneof![Just(0u64), Just(10u64), Just(EngineConfig::UNBOUNDED_WINDOW)],
        range in prop_oneof![Just((None, None)), Just((Some(20), Some(150)))],
    ) {
        let text = lines.join("\n");
        let one = one_thread(&text, window, range);
        let many = threads(&text, window, range, workers, batch_lines);
        prop_assert_eq!(one, many);
    }
}

#[test]
fn batches_that_finish_out_of_order_are_taken_in_order() {
    // The first batch is slow, the next ones fast: they come back first and wait.
    let mut text = String::new();
    for i in 0..40 {
        let delay = if i < 4 { 20_000 } else { 0 };
        text.push_str(&format!("{i} {} {delay}\n", i % 2));
    }
    let one = one_thread(&text, 0, (None, None));
    assert_eq!(threads(&text, 0, (None, None), 3, 4), one);
    assert!(one.iter().any(|l| l.contains("rule a")), "{one:?}");
}

#[test]
fn the_error_of_the_callback_stops_the_scan() {
    let text = "1 0 0\n2 0 0\n3 0 0\n";
    let mut p = ParallelScanner::new(scanner(0, (None, None)), vec![Fake; 2]).unwrap();
    p.set_batch_lines(1);
    let mut seen = 0;
    let mut on_line = |_: &mut Scanner<Fake>, _: usize, number: u64, _| {
        seen += 1;
        if number == 2 {
            Err(number)
        } else {
            Ok(())
        }
    };
    let mut reader = LineReader::new(text.as_bytes());
    let mut outcome = Ok(());
    let mut number = 0;
    while let Some(line) = reader.next_line().unwrap() {
        number += 1;
        outcome = outcome.and_then(|()| p.push(number, line, &mut on_line));
    }
    outcome = outcome.and_then(|()| p.finish(&mut on_line));
    assert_eq!(outcome, Err(2));
    assert_eq!(seen, 2);
}

#[test]
fn a_worker_panic_reaches_the_caller() {
    let caught = std::panic::catch_unwind(|| {
        let mut p = ParallelScanner::new(scanner(0, (None, None)), vec![Fake; 2]).unwrap();
        let mut on_line = |_: &mut Scanner<Fake>, _: usize, _: u64, _| Ok::<(), ()>(());
        for (i, text) in ["1 - 0", "boom", "2 - 0"].into_iter().enumerate() {
            p.push(i as u64 + 1, Line::Text(text), &mut on_line)
                .unwrap();
        }
        p.finish(&mut on_line).unwrap();
    });
    let panic = caught.expect_err("the panic goes on");
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(message.contains("told to panic"), "{message}");
}

#[test]
fn no_worker_is_an_error() {
    assert!(ParallelScanner::new(scanner(0, (None, None)), Vec::new()).is_err());
}
