//! The figures of `BENCHMARKS.md`, measured on one in-memory stream in one run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rule_compiler::codegen::rules_from_dir;
use rule_compiler::interpreter::{
    InterpretedRule, InterpretedRules, InterpreterBackend, InterpreterOptions,
};
use rule_runtime::engine::{Engine, EngineConfig};
use rule_runtime::event::LineEvent;
use rule_runtime::fields::Fields;
use rule_runtime::json::JsonProjector;
use rule_runtime::options::MatcherOptions;
use rule_runtime::output::alert_to_ndjson;
use rule_runtime::parallel::ParallelScanner;
use rule_runtime::ruleset::{RuleSet, RuleSetSpec};
use rule_runtime::sequence::{SequenceMatcher, SequenceSpec, StageKind};
use rule_runtime::state::SetHits;
use rule_runtime::stream::{CompiledBackend, LineError, LineReader, Scanner};
use serde_json::json;

use crate::{alloc, compiled, stream, Options};

/// The reorder window of the runs (as `eqlc scan`'s default).
const WINDOW_MS: u64 = 5_000;

/// One measured configuration.
struct Figure {
    id: &'static str,
    config: String,
    parser: &'static str,
    rules: usize,
    events: usize,
    bytes: usize,
    seconds: f64,
    alerts: Option<u64>,
    /// Share of the selected rules whose function ran per event (M4).
    match_share: Option<f64>,
    open_keys: Option<usize>,
    bytes_per_key: Option<f64>,
    peak_bytes: Option<usize>,
}

impl Figure {
    fn new(id: &'static str, config: impl Into<String>, parser: &'static str) -> Figure {
        Figure {
            id,
            config: config.into(),
            parser,
            rules: 0,
            events: 0,
            bytes: 0,
            seconds: 0.0,
            alerts: None,
            match_share: None,
            open_keys: None,
            bytes_per_key: None,
            peak_bytes: None,
        }
    }

    fn events_per_s(&self) -> f64 {
        self.events as f64 / self.seconds.max(1e-12)
    }

    fn to_json(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "config": self.config,
            "parser": self.parser,
            "rules": self.rules,
            "events": self.events,
            "bytes": self.bytes,
            "seconds": self.seconds,
            "events_per_s": self.events_per_s(),
            "ns_per_event": self.seconds * 1e9 / (self.events.max(1) as f64),
            "gb_per_s": self.bytes as f64 / self.seconds.max(1e-12) / 1e9,
            "alerts": self.alerts,
            "match_share": self.match_share,
            "open_keys": self.open_keys,
            "bytes_per_key": self.bytes_per_key,
            "peak_bytes": self.peak_bytes,
        })
    }
}

/// The best of `reps` timed runs of `f` (which returns something to keep alive).
fn best_of<T>(reps: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best: Option<(Duration, T)> = None;
    for _ in 0..reps.max(1) {
        let start = Instant::now();
        let out = f();
        let took = start.elapsed();
        if best.as_ref().is_none_or(|(b, _)| took < *b) {
            best = Some((took, out));
        }
    }
    best.expect("at least one run")
}

/// The best of `reps` runs of `f`, which times what it measures itself.
fn best_timed<T>(reps: usize, mut f: impl FnMut() -> (Duration, T)) -> (Duration, T) {
    let mut best: Option<(Duration, T)> = None;
    for _ in 0..reps.max(1) {
        let (took, out) = f();
        if best.as_ref().is_none_or(|(b, _)| took < *b) {
            best = Some((took, out));
        }
    }
    best.expect("at least one run")
}

fn lines(bytes: &[u8]) -> Vec<&str> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| std::str::from_utf8(l).unwrap_or(""))
        .collect()
}

/// The compiled rule set over `bytes`, end to end: alerts as NDJSON lines.
fn run_compiled(set: RuleSet, bytes: &[u8]) -> Result<(Vec<Vec<u8>>, f64), String> {
    let config = EngineConfig::with_window(WINDOW_MS);
    let states = set.states(&MatcherOptions::default())?;
    let n = set.len().max(1);
    let mut scanner = Scanner::new(CompiledBackend::new(set), Engine::new(config, states));
    let mut reader = LineReader::new(bytes);
    let mut out = Vec::new();
    let mut candidates = 0usize;
    let mut events = 0usize;
    let verbose = std::env::var_os("EQLC_BENCH_VERBOSE").is_some();
    let mut per_rule = vec![0usize; n];
    while let Ok(Some(line)) = reader.next_line() {
        if scanner.push(line).is_ok() {
            events += 1;
            candidates += scanner.backend().candidates();
            if verbose {
                for &r in scanner.backend().last_candidates() {
                    per_rule[r as usize] += 1;
                }
            }
        }
        for a in scanner.drain_alerts() {
            out.push(alert_to_ndjson(&a).map_err(|e| e.to_string())?);
        }
    }
    scanner.flush();
    for a in scanner.drain_alerts() {
        out.push(alert_to_ndjson(&a).map_err(|e| e.to_string())?);
    }
    let share = candidates as f64 / (events.max(1) * n) as f64;
    if verbose {
        let rules: Vec<&str> = scanner.backend().rules().rules().map(|r| r.file).collect();
        let mut top: Vec<(usize, &str)> = per_rule.iter().copied().zip(rules).collect();
        top.sort_by_key(|t| std::cmp::Reverse(t.0));
        for (c, file) in top.iter().take(25) {
            eprintln!("{c:>8} {file}");
        }
        let st = scanner.backend().index_stats();
        let e = events.max(1) as f64;
        eprintln!(
            "per event: {:.1} rule functions, {:.1} index groups, {:.1} values, {:.1} needle hits, {:.1} verifications, {:.0} bytes searched for needles, {:.1} filter hits",
            candidates as f64 / e,
            st.groups as f64 / e,
            st.values as f64 / e,
            st.needle_hits as f64 / e,
            st.verifications as f64 / e,
            st.needle_bytes as f64 / e,
            st.filter_hits as f64 / e
        );
    }
    Ok((out, share))
}

/// The process's CPU time so far, user and system (Linux: `/proc/self/stat`, in clock
/// ticks of 10 ms; `None` elsewhere).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the command's closing parenthesis: the state, then … utime and stime as the
    // 12th and 13th fields.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// This thread's CPU time so far (Linux: `/proc/thread-self/schedstat`, nanoseconds;
/// `None` elsewhere).
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(stat.split_whitespace().next()?.parse::<f64>().ok()? / 1e9)
}

/// The compiled rule set over `bytes` as `eqlc scan --threads N` runs it: one thread,
/// the [`Scanner`]; more, lines evaluated by that many worker threads
/// ([`ParallelScanner`]) and pushed into the engine in input order. Alerts as NDJSON
/// lines.
fn run_threads(set: RuleSet, bytes: &[u8], threads: usize) -> Result<Vec<Vec<u8>>, String> {
    let config = EngineConfig::with_window(WINDOW_MS);
    let states = set.states(&MatcherOptions::default())?;
    let backend = CompiledBackend::new(set);
    let workers: Vec<CompiledBackend> = if threads > 1 {
        (0..threads).map(|_| backend.worker()).collect()
    } else {
        Vec::new()
    };
    let mut scanner = Scanner::new(backend, Engine::new(config, states));
    let mut reader = LineReader::new(bytes);
    let mut out = Vec::new();
    let drain =
        |scanner: &mut Scanner<CompiledBackend>, out: &mut Vec<Vec<u8>>| -> Result<(), String> {
            for a in scanner.drain_alerts() {
                out.push(alert_to_ndjson(&a).map_err(|e| e.to_string())?);
            }
            Ok(())
        };
    if workers.is_empty() {
        while let Ok(Some(line)) = reader.next_line() {
            let _ = scanner.push(line);
            drain(&mut scanner, &mut out)?;
        }
        scanner.flush();
        drain(&mut scanner, &mut out)?;
        return Ok(out);
    }
    let mut parallel = ParallelScanner::new(scanner, workers).map_err(|e| e.to_string())?;
    let mut on_line = |s: &mut Scanner<CompiledBackend>,
                       _: usize,
                       _: u64,
                       _: Result<(), LineError>| { drain(s, &mut out) };
    let mut n = 0u64;
    while let Ok(Some(line)) = reader.next_line() {
        n += 1;
        parallel.push(n, line, &mut on_line)?;
    }
    parallel.finish(&mut on_line)?;
    parallel.scanner_mut().flush();
    drain(parallel.scanner_mut(), &mut out)?;
    Ok(out)
}

/// The interpreter over `bytes`, end to end: alerts as NDJSON lines.
fn run_interpreted(rules: &InterpretedRulesSource, bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let config = EngineConfig::with_window(WINDOW_MS);
    let interp = rules.build()?;
    let states = interp.states()?;
    let mut scanner = Scanner::new(
        InterpreterBackend::new(interp, config.time.clone()),
        Engine::new(config, states),
    );
    let mut reader = LineReader::new(bytes);
    let mut out = Vec::new();
    while let Ok(Some(line)) = reader.next_line() {
        let _ = scanner.push(line);
        for a in scanner.drain_alerts() {
            out.push(alert_to_ndjson(&a).map_err(|e| e.to_string())?);
        }
    }
    scanner.flush();
    for a in scanner.drain_alerts() {
        out.push(alert_to_ndjson(&a).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

/// The compiled rules' sources, for the interpreter (the same folder, read at run time).
struct InterpretedRulesSource {
    rules: Vec<rule_compiler::codegen::GenRule>,
}

impl InterpretedRulesSource {
    fn load(options: &Options) -> Result<Self, String> {
        let (mut rules, _) = rules_from_dir(&options.rules_dir).map_err(|e| e.join("\n"))?;
        rules.sort_by(|a, b| a.file.cmp(&b.file).then(a.ir.id.cmp(&b.ir.id)));
        Ok(InterpretedRulesSource { rules })
    }

    fn build(&self) -> Result<InterpretedRules, String> {
        let options = InterpreterOptions::default();
        let rules = self
            .rules
            .iter()
            .map(|r| InterpretedRule::new(&r.ir, Arc::new(r.info.clone()), &options))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(InterpretedRules::new(rules, options))
    }
}

pub fn run(options: &Options) -> Result<(), String> {
    let spec: &'static RuleSetSpec = &compiled::RULE_SET;
    let reps = if options.quick { 1 } else { 3 };
    let n_rules = spec.rules.len();
    eprintln!(
        "eqlc_bench: {n_rules} rules compiled in, {} atoms; building a stream of {} events",
        spec.atoms.len(),
        options.events
    );
    let source = InterpretedRulesSource::load(options)?;
    let built = stream::build(spec, &source.rules, options.events)?;
    let bytes = built.bytes;
    eprintln!(
        "eqlc_bench: {} background events removed (they alerted), {} matching cases planted",
        built.removed,
        built.planted.len()
    );
    if let Some(path) = &options.stream_out {
        std::fs::write(path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let stats = streamgen::StreamStats::of(&bytes);
    let events = stats.events;
    let mut figures: Vec<Figure> = Vec::new();
    let all = || RuleSet::all(spec, &EngineConfig::with_window(WINDOW_MS).time);

    let want = |id: &str| options.only.as_deref().is_none_or(|o| o == id);
    // M3: the parse floors, same bytes.
    let text = lines(&bytes);
    if want("M3") {
        let set = all();
        let table = set.table();
        let mut projector = JsonProjector::new();
        let mut fields = Fields::new();
        let (t, n) = best_of(reps, || {
            let mut n = 0usize;
            for l in &text {
                if projector.project(l, table, &mut fields).is_ok() {
                    n += 1;
                }
            }
            n
        });
        let mut f = Figure::new("M3", "eqlc projector (rule fields only)", "eqlc");
        f.events = n;
        f.bytes = bytes.len();
        f.seconds = t.as_secs_f64();
        figures.push(f);
    }
    if want("M3") {
        let (t, n) = best_of(reps, || {
            text.iter()
                .filter(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
                .count()
        });
        let mut f = Figure::new("M3", "serde_json into Value", "serde_json");
        f.events = n;
        f.bytes = bytes.len();
        f.seconds = t.as_secs_f64();
        figures.push(f);
    }
    if want("M3") {
        let (t, n) = best_of(reps, || {
            text.iter()
                .filter(|l| sonic_rs::from_str::<sonic_rs::Value>(l).is_ok())
                .count()
        });
        let mut f = Figure::new("M3", "sonic-rs into Value", "sonic-rs");
        f.events = n;
        f.bytes = bytes.len();
        f.seconds = t.as_secs_f64();
        figures.push(f);
    }

    // M1: end to end, the compiled rule set (also the alerts M7 must equal).
    alloc::reset_peak();
    let base = alloc::live();
    let (t, run) = best_of(
        if want("M1") {
            reps
        } else if want("M7") {
            1
        } else {
            0
        },
        || run_compiled(all(), &bytes),
    );
    let (compiled_alerts, share) = run?;
    if want("M1") || want("M7") {
        let alerted: std::collections::HashSet<String> = compiled_alerts
            .iter()
            .filter_map(|a| serde_json::from_slice::<serde_json::Value>(a).ok())
            .filter_map(|a| a["rule"]["id"].as_str().map(str::to_string))
            .collect();
        let missing: Vec<&str> = built
            .planted
            .iter()
            .filter(|(id, _)| !alerted.contains(id))
            .map(|(id, _)| id.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "planted matches that did not alert: {missing:?} (the stream's expectation failed)"
            ));
        }
    }
    if want("M1") {
        let mut f = Figure::new("M1", "compiled, end to end", "eqlc");
        f.rules = n_rules;
        f.events = events;
        f.bytes = bytes.len();
        f.seconds = t.as_secs_f64();
        f.alerts = Some(compiled_alerts.len() as u64);
        f.match_share = Some(share);
        f.peak_bytes = Some(alloc::peak().saturating_sub(base));
        figures.push(f);
    }

    // M8: all cores. The compiled rule set end to end on one thread and on two, the
    // runs alternated (at least five of each, the best kept) so that both see the same
    // machine; each must give M1's alerts, in M1's order. Printed beside, over all runs
    // of a configuration: the cores it got (CPU time over wall time), and the share of
    // the CPU time spent on the scan's own thread (reading, the engine, alerts), which
    // bounds what more cores can give.
    if want("M8") {
        let configs = [1usize, 2];
        let mut best = [Duration::MAX; 2];
        // Per configuration: process CPU, scan-thread CPU, wall (seconds).
        let mut used = [(0.0f64, 0.0f64, 0.0f64); 2];
        let mut alerts = [0usize; 2];
        for _ in 0..reps.max(5) {
            for (i, &threads) in configs.iter().enumerate() {
                let cpu = cpu_seconds();
                let own = thread_cpu_seconds();
                let start = Instant::now();
                let run = run_threads(all(), &bytes, threads)?;
                let took = start.elapsed();
                if let (Some(c0), Some(c1), Some(o0), Some(o1)) =
                    (cpu, cpu_seconds(), own, thread_cpu_seconds())
                {
                    used[i].0 += c1 - c0;
                    used[i].1 += o1 - o0;
                    used[i].2 += took.as_secs_f64();
                }
                if run != compiled_alerts {
                    return Err(format!(
                        "M8: {threads} thread(s) gave {} alerts, M1 {}, or another order",
                        run.len(),
                        compiled_alerts.len()
                    ));
                }
                best[i] = best[i].min(took);
                alerts[i] = run.len();
            }
        }
        for (i, &threads) in configs.iter().enumerate() {
            let mut f = Figure::new(
                "M8",
                format!(
                    "compiled, end to end, {threads} thread{}",
                    if threads == 1 { "" } else { "s" }
                ),
                "eqlc",
            );
            f.rules = n_rules;
            f.events = events;
            f.bytes = bytes.len();
            f.seconds = best[i].as_secs_f64();
            f.alerts = Some(alerts[i] as u64);
            figures.push(f);
            let (cpu, own, wall) = used[i];
            if wall > 0.0 && cpu > 0.0 {
                let runs = reps.max(5) as f64;
                eprintln!(
                    "eqlc_bench: M8 on {threads} thread(s): {:.2} cores used on average, {:.0} events per CPU-second; the scan's thread {:.0}% of the CPU time",
                    cpu / wall,
                    events as f64 * runs / cpu,
                    (own / cpu).min(1.0) * 100.0
                );
            }
        }
    }

    // M2: matching alone. Each event is projected into the scratch space first (not
    // timed), then evaluated and pushed into the engine (timed, per event): the cost of
    // the generated code and the engine on an event already read.
    if want("M2") {
        let set = all();
        let (t, (n, alerts)) = best_timed(reps, || {
            let config = EngineConfig::with_window(WINDOW_MS);
            let states = set.states(&MatcherOptions::default()).unwrap_or_default();
            let mut engine: Engine<Arc<str>> = Engine::new(config, states);
            let mut projector = JsonProjector::new();
            let mut fields = Fields::new();
            let mut scratch = set.scratch();
            let mut hits = SetHits::new();
            let mut out = Vec::new();
            let (mut n, mut alerts) = (0usize, 0usize);
            let mut timed = Duration::ZERO;
            for line in &text {
                if projector.project(line, set.table(), &mut fields).is_err() {
                    continue;
                }
                let start = Instant::now();
                let view = fields.view(line);
                set.evaluate(view, &mut scratch, &mut hits);
                engine.push(set.time(view), &mut hits, || Arc::from(*line), &mut out);
                timed += start.elapsed();
                n += 1;
                alerts += out.len();
                out.clear();
            }
            engine.flush(&mut out);
            (timed, (n, alerts + out.len()))
        });
        let mut f = Figure::new("M2", "compiled, matching on projected events", "eqlc");
        f.rules = n_rules;
        f.events = n;
        f.bytes = bytes.len();
        f.seconds = t.as_secs_f64();
        f.alerts = Some(alerts as u64);
        figures.push(f);
    }

    // M7: the interpreter, same bytes (one run: it is slow), and M2 for it.
    if want("M7") {
        let (t, interpreted_alerts) = best_of(1, || run_interpreted(&source, &bytes));
        let interpreted_alerts = interpreted_alerts?;
        {
            let mut f = Figure::new("M7", "interpreter, end to end", "serde_json");
            f.rules = source.rules.len();
            f.events = events;
            f.bytes = bytes.len();
            f.seconds = t.as_secs_f64();
            f.alerts = Some(interpreted_alerts.len() as u64);
            figures.push(f);
        }
        {
            let interp = source.build()?;
            let (t, n) = best_timed(1, || {
                let mut hits = SetHits::new();
                let mut n = 0usize;
                let mut timed = Duration::ZERO;
                for line in &text {
                    let Ok(e) = LineEvent::parse(line) else {
                        continue;
                    };
                    let start = Instant::now();
                    interp.evaluate(&e, &mut hits);
                    timed += start.elapsed();
                    n += 1;
                }
                (timed, n)
            });
            let mut f = Figure::new("M2", "interpreter, matching on parsed events", "serde_json");
            f.rules = source.rules.len();
            f.events = n;
            f.bytes = bytes.len();
            f.seconds = t.as_secs_f64();
            figures.push(f);
        }
        if compiled_alerts != interpreted_alerts {
            let first = compiled_alerts
                .iter()
                .zip(&interpreted_alerts)
                .position(|(a, b)| a != b)
                .unwrap_or(compiled_alerts.len().min(interpreted_alerts.len()));
            return Err(format!(
            "the compiled and interpreted alerts differ on the bench stream ({} vs {} alerts; first difference at alert {first}):\ncompiled:    {}\ninterpreted: {}",
            compiled_alerts.len(),
            interpreted_alerts.len(),
            compiled_alerts.get(first).map_or("-".into(), |a| String::from_utf8_lossy(a).into_owned()),
            interpreted_alerts.get(first).map_or("-".into(), |a| String::from_utf8_lossy(a).into_owned()),
        ));
        }
    }

    // M4: cost per event as rules grow (rules taken evenly from the sorted set).
    let mut sizes: Vec<usize> = [1, 10, 100, 1000]
        .into_iter()
        .filter(|&n| n < n_rules)
        .collect();
    sizes.push(n_rules);
    if !want("M4") {
        sizes.clear();
    }
    for n in sizes {
        let chosen: Vec<&str> = (0..n).map(|i| spec.rules[i * n_rules / n].file).collect();
        let subset = || {
            RuleSet::new(
                spec,
                |r| chosen.contains(&r.file),
                &EngineConfig::with_window(WINDOW_MS).time,
            )
        };
        let (t, r) = best_of(reps, || run_compiled(subset(), &bytes));
        let (alerts, share) = r?;
        let mut f = Figure::new("M4", format!("{n} rules"), "eqlc");
        f.rules = n;
        f.events = events;
        f.bytes = bytes.len();
        f.seconds = t.as_secs_f64();
        f.alerts = Some(alerts.len() as u64);
        f.match_share = Some(share);
        figures.push(f);
    }

    // M5: sequence state as open keys grow.
    let key_counts: &[usize] = if options.quick {
        &[1_000, 10_000, 100_000]
    } else {
        &[1_000, 10_000, 100_000, 1_000_000]
    };
    let m5_events = if options.quick { 200_000 } else { 1_000_000 };
    for &keys in key_counts.iter().filter(|_| want("M5")) {
        figures.push(sequence_state(keys, m5_events, true));
    }
    for &keys in key_counts.iter().filter(|_| want("M5")) {
        figures.push(sequence_state(keys, m5_events, false));
    }

    let stream_json = json!({
        "removed": built.removed,
        "planted": built.planted.len(),
        "planted_events": built.planted.iter().map(|(_, n)| n).sum::<usize>(),
        "events": stats.events,
        "bytes": stats.bytes,
        "median_bytes": stats.median_bytes,
        "p95_bytes": stats.p95_bytes,
        "max_bytes": stats.max_bytes,
        "alerts": compiled_alerts.len(),
        "alert_share": compiled_alerts.len() as f64 / stats.events.max(1) as f64,
    });
    let result = json!({
        "rules": n_rules,
        "atoms": spec.atoms.len(),
        "stream": stream_json,
        "figures": figures.iter().map(Figure::to_json).collect::<Vec<_>>(),
    });
    for f in &figures {
        println!(
            "{:<4} {:<45} {:>12.0} events/s  {:>8.0} ns/event{}",
            f.id,
            f.config,
            f.events_per_s(),
            f.seconds * 1e9 / f.events.max(1) as f64,
            f.bytes_per_key
                .map(|b| format!("  {b:.1} B/key"))
                .unwrap_or_default()
        );
    }
    if let Some(path) = &options.json {
        std::fs::write(
            path,
            serde_json::to_vec_pretty(&result).map_err(|e| e.to_string())?,
        )
        .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// M5: a two-stage sequence holding `keys` open keys (one first-stage partial each,
/// `u64` keys, 4-byte event handles); then `events` first-stage events, each a lookup
/// and an update of one key's partial. `active`: the events go to the first 1,000 keys
/// (the realistic case: many partials wait while a few processes are busy; what must not
/// grow with the open keys is the cost per event); otherwise to keys drawn uniformly
/// from all of them (every event a likely cache miss once the state outgrows the cache).
fn sequence_state(keys: usize, events: usize, active: bool) -> Figure {
    let spec = SequenceSpec {
        stages: vec![StageKind::Positive, StageKind::Positive],
        maxspan_ms: None,
        max_keys: None,
    };
    let before = alloc::live();
    let mut m: SequenceMatcher<u64, u32, u64> = match SequenceMatcher::new(spec) {
        Ok(m) => m,
        Err(e) => unreachable!("a two-stage spec is valid: {e}"),
    };
    let mut out = Vec::new();
    let mut ord = 0u64;
    for k in 0..keys as u64 {
        ord += 1;
        m.on_event(ord, ord as i64, &0, &[(0, &[k][..])], &[], &mut out);
    }
    let bytes = alloc::live().saturating_sub(before);
    let span = if active { keys.min(1_000) } else { keys } as u64;
    let start = Instant::now();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..events {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let k = x % span;
        ord += 1;
        m.on_event(ord, ord as i64, &0, &[(0, &[k][..])], &[], &mut out);
    }
    let t = start.elapsed();
    let label = if active {
        format!("{keys} open keys, 1000 active")
    } else {
        format!("{keys} open keys, all active (uniform)")
    };
    let mut f = Figure::new("M5", label, "-");
    f.events = events;
    f.seconds = t.as_secs_f64();
    f.open_keys = Some(keys);
    f.bytes_per_key = Some(bytes as f64 / keys as f64);
    f
}
