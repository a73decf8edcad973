//! Lines evaluated on worker threads, pushed into one engine in input order (`eqlc scan
//! --threads N`; DESIGN.md, "All cores").
//!
//! # Pipeline
//!
//! The caller reads lines on its own thread and hands each to a [`ParallelScanner`] with
//! its number. Lines are copied into batches (at most [`BATCH_LINES`] lines, ending once
//! their text reaches [`BATCH_BYTES`]); a batch holds the lines of one input and is
//! numbered in input order. The batches go into one queue that every worker takes from
//! (so a worker that is slowed down, by a batch of long lines or by the machine, holds
//! up nobody). Each worker owns a back end (its own projector and scratch space; the
//! compiled back ends share one rule set, [`CompiledBackend::worker`]) and evaluates a
//! batch line by line: what the back end reads (the event's time, the stage hits of
//! every rule, or why the line is not an event) and, for an event that hit a rule inside
//! the time range, its handle. That is all the work that does not depend on other
//! events: JSON projection, the rule-set index, the rules' conditions and join keys.
//!
//! Evaluated batches come back in any order and are taken in batch order (those that
//! come early wait), and their lines are pushed one by one into the one [`Scanner`] on
//! the caller's thread ([`Scanner::push_evaluated`]): the engine's reorder window,
//! watermarks, the rules' states and pipes see the events one at a time in input order,
//! as in a single-threaded scan. After each line the caller's callback gets the line's
//! outcome (to report a rejected line with its number) and drains the alerts. So alerts,
//! their order, the rejected lines and every counter are those of [`Scanner::push`] over
//! the same lines.
//!
//! At most two batches per worker are in flight: reading waits for the oldest result
//! when they are, which bounds memory and keeps a fast reader from running ahead.
//!
//! Each worker counts the cuts of [`crate::caps`] on its own thread; the counts of each
//! batch come back with it and are summed in [`ParallelScanner::cuts`]. A worker that
//! panics (a bug, not an input: back ends do not panic on input) sends the panic back
//! with its batch, and it goes on on the caller's thread, as it would have in a
//! single-threaded scan.
//!
//! [`CompiledBackend::worker`]: crate::stream::CompiledBackend::worker

use std::any::Any;
use std::collections::BTreeMap;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::caps::{self, Cap};
use crate::state::SetHits;
use crate::stream::{in_range, Backend, Evaluated, Line, LineError, Scanner, TimeRange};

/// The most lines in a batch.
pub const BATCH_LINES: usize = 512;

/// A batch ends once its text reaches this many bytes.
pub const BATCH_BYTES: usize = 256 * 1024;

/// A worker's stack: what a main thread usually has, since a single-threaded scan
/// evaluates there (spawned threads get 2 MiB by default).
const WORKER_STACK_BYTES: usize = 8 * 1024 * 1024;

/// Batches in flight per worker.
const IN_FLIGHT_PER_WORKER: u64 = 2;

/// Rewrites a line before it is evaluated (`None`: the line as it is). `eqlc scan`
/// unwraps the `_source` of Elasticsearch hits with it.
pub type Unwrap = fn(&str) -> Option<String>;

/// A line of a batch.
#[derive(Debug)]
enum Slot {
    /// Text: a range of the batch's text.
    Text(usize, usize),
    Blank,
    Bad(LineError),
}

/// Lines for a worker and, on the way back, what it made of them.
struct Job<E> {
    /// The batch's position in the input (0, 1, …).
    seq: u64,
    /// The caller's number for the input the lines come from.
    source: usize,
    unwrap: Option<Unwrap>,
    /// The text lines, one after another.
    text: String,
    /// Each line's number and slot.
    lines: Vec<(u64, Slot)>,
    /// Per line, in order: what the worker made of it.
    results: Vec<Evaluated<E>>,
    /// The cuts of each cap ([`Cap::Assignments`], [`Cap::KeyTuples`]) while the worker
    /// evaluated this batch.
    cuts: [u64; 2],
    /// The worker's panic, if evaluating the batch panicked.
    panic: Option<Box<dyn Any + Send>>,
}

impl<E> Job<E> {
    fn new(source: usize, unwrap: Option<Unwrap>) -> Self {
        Job {
            seq: 0,
            source,
            unwrap,
            text: String::new(),
            lines: Vec::new(),
            results: Vec::new(),
            cuts: [0; 2],
            panic: None,
        }
    }

    /// Empties the job, keeping its buffers.
    fn clear(&mut self) {
        self.text.clear();
        self.lines.clear();
        self.results.clear();
        self.cuts = [0; 2];
    }

    fn is_full(&self, max_lines: usize) -> bool {
        self.lines.len() >= max_lines || self.text.len() >= BATCH_BYTES
    }

    fn push(&mut self, number: u64, line: Line<'_>) {
        let slot = match line {
            Line::Text(t) => {
                let start = self.text.len();
                self.text.push_str(t);
                Slot::Text(start, self.text.len())
            }
            Line::Blank => Slot::Blank,
            Line::Bad(e) => Slot::Bad(e),
        };
        self.lines.push((number, slot));
    }
}

/// Evaluates every line of `job` with `backend` (on a worker thread).
fn evaluate<B: Backend>(
    backend: &mut B,
    job: &mut Job<B::Event>,
    hits: &mut SetHits,
    range: TimeRange,
) {
    let before = [caps::count(Cap::Assignments), caps::count(Cap::KeyTuples)];
    job.results.clear();
    for (_, slot) in &mut job.lines {
        let result = match std::mem::replace(slot, Slot::Blank) {
            Slot::Blank => Evaluated::Blank,
            Slot::Bad(e) => Evaluated::Bad(e),
            Slot::Text(start, end) => {
                let text = job.text.get(start..end).unwrap_or_default();
                let unwrapped = job.unwrap.and_then(|unwrap| unwrap(text));
                let text = unwrapped.as_deref().unwrap_or(text);
                match backend.evaluate(text, hits) {
                    Ok(time) => {
                        let hit = if !hits.is_empty() && in_range(range, &time) {
                            Some((backend.event(text), std::mem::take(hits)))
                        } else {
                            hits.clear();
                            None
                        };
                        Evaluated::Event { time, hit }
                    }
                    Err(e) => Evaluated::Bad(e),
                }
            }
        };
        job.results.push(result);
    }
    job.cuts = [
        caps::count(Cap::Assignments).saturating_sub(before[0]),
        caps::count(Cap::KeyTuples).saturating_sub(before[1]),
    ];
}

/// A worker thread's loop: take a batch from the queue, evaluate it and send it back,
/// until the caller hangs up.
fn work<B: Backend>(
    mut backend: B,
    range: TimeRange,
    jobs: Arc<Mutex<Receiver<Job<B::Event>>>>,
    done: Sender<Job<B::Event>>,
) {
    let mut hits = SetHits::new();
    loop {
        let next = match jobs.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(mut job) = next else {
            return;
        };
        let evaluated = panic::catch_unwind(AssertUnwindSafe(|| {
            evaluate(&mut backend, &mut job, &mut hits, range)
        }));
        let failed = evaluated.is_err();
        job.panic = evaluated.err();
        if done.send(job).is_err() || failed {
            return;
        }
    }
}

/// A [`Scanner`] whose lines are evaluated on worker threads (see the
/// [module documentation](self)).
pub struct ParallelScanner<B: Backend> {
    scanner: Scanner<B>,
    /// The queue of batches to evaluate (`None` once the workers are told to stop).
    jobs: Option<Sender<Job<B::Event>>>,
    /// Evaluated batches, in any order.
    done: Receiver<Job<B::Event>>,
    threads: Vec<JoinHandle<()>>,
    /// Evaluated batches that came before their turn, by position.
    early: BTreeMap<u64, Job<B::Event>>,
    /// The batch being filled.
    filling: Job<B::Event>,
    /// Emptied batches, for reuse.
    spare: Vec<Job<B::Event>>,
    /// Batches sent to the workers, and taken back.
    sent: u64,
    taken: u64,
    /// The cuts of each cap counted on the workers.
    cuts: [u64; 2],
    /// The most lines in a batch.
    batch_lines: usize,
}

impl<B> ParallelScanner<B>
where
    B: Backend + Send + 'static,
    B::Event: Send,
{
    /// Lines evaluated by `workers` (one thread each) and pushed into `scanner`, whose
    /// time range ([`Scanner::set_time_range`]) must be set already. Fails when there is
    /// no worker or a thread cannot be started.
    pub fn new(scanner: Scanner<B>, workers: Vec<B>) -> io::Result<Self> {
        if workers.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a parallel scan needs a worker",
            ));
        }
        let range = scanner.time_range();
        let (jobs, queue) = channel();
        let queue = Arc::new(Mutex::new(queue));
        let (done_out, done) = channel();
        let mut threads = Vec::with_capacity(workers.len());
        for (i, backend) in workers.into_iter().enumerate() {
            let queue = Arc::clone(&queue);
            let done_out = done_out.clone();
            let thread = std::thread::Builder::new()
                .name(format!("eqlc-worker-{i}"))
                .stack_size(WORKER_STACK_BYTES)
                .spawn(move || work(backend, range, queue, done_out))?;
            threads.push(thread);
        }
        Ok(ParallelScanner {
            scanner,
            jobs: Some(jobs),
            done,
            threads,
            early: BTreeMap::new(),
            filling: Job::new(0, None),
            spare: Vec::new(),
            sent: 0,
            taken: 0,
            cuts: [0; 2],
            batch_lines: BATCH_LINES,
        })
    }

    /// At most `lines` lines per batch (at least one; default [`BATCH_LINES`]). Tests
    /// make batches small so that short streams cross many batch boundaries.
    pub fn set_batch_lines(&mut self, lines: usize) {
        self.batch_lines = lines.max(1);
    }

    /// The number of worker threads.
    pub fn threads(&self) -> usize {
        self.threads.len()
    }

    /// The scanner the results are pushed into (its engine, statistics …). Lines still
    /// in flight are not in it yet: read it after [`ParallelScanner::finish`].
    pub fn scanner(&self) -> &Scanner<B> {
        &self.scanner
    }

    /// The scanner, mutably (to configure its engine before the first line).
    pub fn scanner_mut(&mut self) -> &mut Scanner<B> {
        &mut self.scanner
    }

    /// How many times `cap` cut work on the worker threads so far.
    pub fn cuts(&self, cap: Cap) -> u64 {
        self.cuts[cap as usize]
    }

    /// Starts the lines of the input the caller numbers `source`: the batch being filled
    /// is sent, and `unwrap` rewrites each of the new input's lines before evaluation.
    pub fn begin_source<X, F>(
        &mut self,
        source: usize,
        unwrap: Option<Unwrap>,
        on_line: &mut F,
    ) -> Result<(), X>
    where
        F: FnMut(&mut Scanner<B>, usize, u64, Result<(), LineError>) -> Result<(), X>,
    {
        self.send(on_line)?;
        self.filling.source = source;
        self.filling.unwrap = unwrap;
        Ok(())
    }

    /// Queues line `number` of the current input. When results come back (reading
    /// waits for them once enough batches are in flight), each line is pushed into the
    /// scanner in input order and `on_line` gets the scanner, the line's input and
    /// number, and its outcome as [`Scanner::push`] returns it; it drains the alerts.
    /// An error of `on_line` stops the scan: it is returned, and this scanner should be
    /// dropped.
    pub fn push<X, F>(&mut self, number: u64, line: Line<'_>, on_line: &mut F) -> Result<(), X>
    where
        F: FnMut(&mut Scanner<B>, usize, u64, Result<(), LineError>) -> Result<(), X>,
    {
        self.filling.push(number, line);
        if self.filling.is_full(self.batch_lines) {
            self.send(on_line)?;
        }
        Ok(())
    }

    /// Sends the last batch and takes every result back (through `on_line`): the
    /// scanner has then seen every line queued. The engine is not flushed.
    pub fn finish<X, F>(&mut self, on_line: &mut F) -> Result<(), X>
    where
        F: FnMut(&mut Scanner<B>, usize, u64, Result<(), LineError>) -> Result<(), X>,
    {
        self.send(on_line)?;
        while self.taken < self.sent {
            self.take(on_line)?;
        }
        Ok(())
    }

    /// Sends the batch being filled (if it has lines) to the workers' queue, first taking
    /// back the oldest batch while too many are in flight.
    fn send<X, F>(&mut self, on_line: &mut F) -> Result<(), X>
    where
        F: FnMut(&mut Scanner<B>, usize, u64, Result<(), LineError>) -> Result<(), X>,
    {
        if self.filling.lines.is_empty() {
            return Ok(());
        }
        let workers = self.threads.len() as u64;
        while self.sent - self.taken >= IN_FLIGHT_PER_WORKER * workers {
            self.take(on_line)?;
        }
        let next = self.spare.pop().unwrap_or_else(|| Job::new(0, None));
        let mut job = std::mem::replace(&mut self.filling, next);
        self.filling.source = job.source;
        self.filling.unwrap = job.unwrap;
        job.seq = self.sent;
        if let Some(jobs) = &self.jobs {
            if jobs.send(job).is_ok() {
                self.sent += 1;
                return Ok(());
            }
        }
        self.workers_failed()
    }

    /// Takes back the oldest batch in flight and pushes its lines into the scanner.
    fn take<X, F>(&mut self, on_line: &mut F) -> Result<(), X>
    where
        F: FnMut(&mut Scanner<B>, usize, u64, Result<(), LineError>) -> Result<(), X>,
    {
        let mut job = loop {
            if let Some(job) = self.early.remove(&self.taken) {
                break job;
            }
            match self.done.recv() {
                Ok(job) => {
                    if let Some(panic) = job.panic {
                        panic::resume_unwind(panic);
                    }
                    self.early.insert(job.seq, job);
                }
                Err(_) => self.workers_failed(),
            }
        };
        self.taken += 1;
        self.cuts[0] = self.cuts[0].saturating_add(job.cuts[0]);
        self.cuts[1] = self.cuts[1].saturating_add(job.cuts[1]);
        let mut outcome = Ok(());
        for ((number, _), result) in job.lines.iter().zip(job.results.drain(..)) {
            let pushed = self.scanner.push_evaluated(result);
            if let Err(x) = on_line(&mut self.scanner, job.source, *number, pushed) {
                outcome = Err(x);
                break;
            }
        }
        job.clear();
        self.spare.push(job);
        outcome
    }

    /// Every worker hung up, which each does only after a panic, sent back with its
    /// batch: the first such panic goes on on this thread.
    fn workers_failed(&mut self) -> ! {
        while let Ok(job) = self.done.try_recv() {
            if let Some(panic) = job.panic {
                panic::resume_unwind(panic);
            }
        }
        self.jobs = None;
        for thread in std::mem::take(&mut self.threads) {
            if let Err(panic) = thread.join() {
                panic::resume_unwind(panic);
            }
        }
        panic!("eqlc's worker threads stopped");
    }
}

impl<B: Backend> Drop for ParallelScanner<B> {
    fn drop(&mut self) {
        // Hanging up ends each worker's loop once the queue is empty; batches still in
        // it are evaluated and sent to a receiver that is about to go.
        self.jobs = None;
        for thread in std::mem::take(&mut self.threads) {
            // A worker's panic was passed on already, or the scan is over.
            let _ = thread.join();
        }
    }
}
