//! A seeded generator of realistic ECS NDJSON event streams, shared by eqlc's benchmark,
//! property tests and examples.
//!
//! Realism is in the *shape and cost* of the stream rather than in any single event
//! (see `docs/benchmark.md`, "The stream"):
//!
//! - mix by `event.category`: process 45%, network 25%, file 20%, authentication 5%,
//!   registry 5%; `event.category`/`event.type` are arrays, sometimes of two values;
//! - ~1,000 hosts, a third Windows (backslash paths: JSON escapes in most Windows
//!   strings), the rest Linux and a few macOS; ~5,000 users; ~40 common processes per
//!   OS family with their executables, command lines, `process.args`, parents, hashes,
//!   PE and code-signature data;
//! - `process.entity_id` unique per process start and reused by ~70% of the file,
//!   network and registry events (acting as a recently started process of the same
//!   host), so `sequence by process.entity_id` joins;
//! - median ~1.4 KB per event, a 5% tail of 4–16 KB events (encoded PowerShell, script
//!   blocks, long shell scripts and Java argument lists);
//! - dirt: 5% of names and paths in another case, ~1% of events with non-ASCII text
//!   (a share of them written with `\uXXXX` escapes), 2% missing one field, occasional
//!   `null`s and empty arrays, optional late (out-of-order) events;
//! - an optional rare vocabulary: values the caller wants to see (the literals rules
//!   look for) set in ~1% of the events that have the field.
//!
//! The same [`Config`] always gives the same bytes (own SplitMix64 PRNG, std only).
//!
//! # Sources and fields
//!
//! Each host has one source for its endpoint events: Elastic Defend
//! (`endpoint.events.{process,network,file,registry}`), Sysmon
//! (`windows.sysmon_operational`, `event.code` 1/3/5/11/12/13/22/23…) or auditd
//! (`auditd_manager.auditd`). Logons come from `system.security` (4624/4625/4648/4634,
//! with `winlog.logon.type` and the rendered `message`) and `system.auth` (sshd); long
//! PowerShell script blocks from `windows.powershell_operational` (4104).
//!
//! Every event has `@timestamp`, `agent.*`, `data_stream.*`, `ecs.version`,
//! `event.{kind,category,type,action,dataset,module,ingested}` (plus `event.code`,
//! `event.provider`, `event.outcome`, `event.id`, `event.sequence` where the source has
//! them), `host.{name,hostname,id,ip,mac,architecture}`,
//! `host.os.{type,family,name,platform,version,kernel}`, `user.{name,id}` (and
//! `user.domain` on Windows) and `related.*`. Then per category:
//!
//! - process: `process.{name,executable,command_line,args,args_count,pid,entity_id,
//!   working_directory,hash.*,title,exit_code}`, `process.parent.{name,executable,
//!   command_line,args,args_count,pid,entity_id}`, on Windows `process.pe.*` and (Elastic
//!   Defend) `process.code_signature.*`, `powershell.file.script_block_text`;
//! - network: `source.{ip,port}`, `destination.{ip,port,domain}`,
//!   `network.{direction,transport,type,protocol}`, `dns.question.{name,type}`,
//!   `dns.resolved_ip`;
//! - file: `file.{path,directory,name,extension,size}`;
//! - authentication: `event.outcome`, `source.{ip,port}`, `winlog.logon.*`,
//!   `winlog.event_data.*`, `system.auth.ssh.*`;
//! - registry: `registry.{path,hive,key,value,data.type,data.strings}`;
//!
//! and the acting process (`process.{name,executable,pid,entity_id}`) on file, network
//! and registry events.
//!
//! ```
//! let mut g = streamgen::Generator::new(streamgen::Config::default());
//! let stream = g.ndjson(1_000);
//! let stats = streamgen::StreamStats::of(&stream);
//! assert_eq!(stats.events, 1_000);
//! assert_eq!(stats.invalid_lines, 0);
//! ```

mod catalog;
mod event;
mod fields;
mod json;
mod rng;
mod stats;
mod world;

pub use stats::{StreamStats, TAIL_BYTES};

/// How keys are laid out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Shape {
    /// ECS objects: `{"process":{"parent":{"name":…}}}`.
    #[default]
    Nested,
    /// Flat dotted keys: `{"process.parent.name":…}`.
    Dotted,
    /// Both, chosen per event (a fifth nested, a fifth dotted) and otherwise per
    /// subtree: `{"process":{"parent.name":…},"process.pid":…}`. A field never appears
    /// twice.
    Mixed,
}

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Seed of everything (hosts, users, events).
    pub seed: u64,
    /// Key layout.
    pub shape: Shape,
    /// Share of events whose `@timestamp` is moved back 1–30 s (out-of-order input).
    pub late_share: f64,
    /// `@timestamp` of the first event (epoch ms); events are 1–20 ms apart and
    /// monotone, late ones excepted.
    pub start_ms: i64,
    /// Rare vocabulary: (dotted field path, values). About `rare_share` of the events
    /// that have the field get one of the values, verbatim (numbers for integer fields, a CIDR's
    /// base address for IP fields; in arrays, one element is replaced). Fields the
    /// generator never writes are ignored.
    pub rare: Vec<(String, Vec<String>)>,
    /// The share of the events having a field of the rare vocabulary that get one of
    /// its values (default 0.01).
    pub rare_share: f64,
}

/// 2026-11-01T00:00:00Z.
pub const DEFAULT_START_MS: i64 = 1_793_491_200_000;

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 1,
            shape: Shape::Nested,
            late_share: 0.0,
            start_ms: DEFAULT_START_MS,
            rare: Vec::new(),
            rare_share: 0.01,
        }
    }
}

/// A stream of events; see the [crate documentation](crate).
pub struct Generator {
    inner: event::Gen,
}

impl Generator {
    /// A generator; builds its hosts and users from `config.seed` (a few milliseconds).
    pub fn new(config: Config) -> Self {
        Generator {
            inner: event::Gen::new(config),
        }
    }

    /// Appends the next event to `out`: one JSON object on one line, no newline.
    pub fn next_event(&mut self, out: &mut Vec<u8>) {
        self.inner.next_event(out);
    }

    /// The next `n` events as NDJSON (each line ends with `\n`).
    pub fn ndjson(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n * 2_048);
        for _ in 0..n {
            self.next_event(&mut out);
            out.push(b'\n');
        }
        out
    }
}

impl Iterator for Generator {
    type Item = Vec<u8>;

    /// The next event as one JSON line (no newline); never ends.
    fn next(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(1_600);
        self.next_event(&mut out);
        Some(out)
    }
}

#[cfg(test)]
mod tests;
