//! eqlc's compiled matchers (generated at build time into `OUT_DIR` by `build.rs`, with
//! `rule_compiler::codegen::generate`) tested against the reference interpreter:
//!
//! * [`differential`]: the rules of `rules/` and 80 random rules (two seeds) as one compiled rule set;
//!   `tests/differential.rs` pushes random event streams through it and through the
//!   interpreter and requires identical alerts;
//! * `conformance_*`: Elasticsearch's EQL suite, one compiled rule set per data set;
//!   [`Compiled`] runs it through `eqlc::conformance` (`tests/conformance.rs`).

use eqlc::conformance::{line_events, Backend, Data, DataSet, QueryRunner, SpecQuery};
use rule_compiler::ir::RuleIr;
use rule_runtime::engine::Pipe;
use rule_runtime::event::LineEvent;
use rule_runtime::fields::Fields;
use rule_runtime::json::JsonProjector;
use rule_runtime::options::MatcherOptions;
use rule_runtime::ruleset::{RuleSet, RuleSetSpec, Scratch};
use rule_runtime::sample::SampleMode;
use rule_runtime::state::{RuleState, SetHits};
use std::sync::Arc;

pub mod plant;

/// A generated rule set in a module. The generated text is `TokenStream::to_string()`,
/// unformatted, so a few lints fire on what the generator emits on purpose; they are
/// allowed here only: `clippy::suspicious` for `suspicious_else_formatting` (consecutive
/// `if` blocks end up on one line; allowing that lint by name does not silence it in
/// `include!`d text with clippy 1.95, its group does), `unused_parens` and
/// `double_parens` (every `and`/`or` group is parenthesised), `nonminimal_bool` and
/// `overly_complex_bool_expr` (the suite's queries hold conditions such as
/// `not (a and b)` and `x or true`, compiled as written).
macro_rules! generated {
    ($(#[$m:meta])* $name:ident, $file:literal) => {
        $(#[$m])*
        pub mod $name {
            #![allow(
                unused_parens,
                clippy::double_parens,
                clippy::suspicious,
                clippy::nonminimal_bool,
                clippy::overly_complex_bool_expr
            )]
            include!(concat!(env!("OUT_DIR"), "/", $file));
        }
    };
}

generated!(
    /// The rules of `rules/` and the random rules (`random_rules.json`), one rule set.
    differential,
    "differential.rs"
);
generated!(
    /// The KQL rules of `kql_rules/`, one rule set (`tests/kql_differential.rs`).
    kql,
    "kql.rs"
);
generated!(
    /// `test_queries.toml`, `additional_test_queries.toml`, `test_queries_date.toml`.
    conformance_endgame,
    "conformance_endgame.rs"
);
generated!(
    /// `test_queries_date_nanos.toml`.
    conformance_endgame_nanos,
    "conformance_endgame_nanos.rs"
);
generated!(
    /// `test_extra.toml`.
    conformance_extra,
    "conformance_extra.rs"
);
generated!(
    /// `test_missing_events.toml`.
    conformance_missing_events,
    "conformance_missing_events.rs"
);
generated!(
    /// `test_sample.toml`.
    conformance_sample,
    "conformance_sample.rs"
);
generated!(
    /// `test_sample_multi.toml`.
    conformance_sample_multi,
    "conformance_sample_multi.rs"
);

/// The random rules as the build script wrote them (`OUT_DIR/random_rules.json`).
pub const RANDOM_RULES_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/random_rules.json"));

fn rule_set(set: DataSet) -> &'static RuleSetSpec {
    match set {
        DataSet::Endgame => &conformance_endgame::RULE_SET,
        DataSet::EndgameNanos => &conformance_endgame_nanos::RULE_SET,
        DataSet::Extra => &conformance_extra::RULE_SET,
        DataSet::MissingEvents => &conformance_missing_events::RULE_SET,
        DataSet::Sample => &conformance_sample::RULE_SET,
        DataSet::SampleMulti => &conformance_sample_multi::RULE_SET,
    }
}

/// The compiled conformance rule sets as an `eqlc::conformance` back end: a query is the
/// generated rule whose file is `<spec file>#<name>` in its data set's rule set, run as
/// a rule set of that one rule; events are read from their JSON text by the one-pass
/// projector, as `eqlc scan` reads them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Compiled;

struct CompiledQuery {
    set: RuleSet,
    projector: JsonProjector,
    fields: Fields,
    scratch: Scratch,
    options: MatcherOptions,
}

impl QueryRunner<Arc<LineEvent>> for CompiledQuery {
    fn evaluate(&mut self, event: &Arc<LineEvent>, hits: &mut SetHits) {
        hits.clear();
        if self
            .projector
            .project(event.line(), self.set.table(), &mut self.fields)
            .is_ok()
        {
            let view = self.fields.view(event.line());
            self.set.evaluate(view, &mut self.scratch, hits);
        }
    }

    fn state(&self) -> Result<(Box<dyn RuleState<Arc<LineEvent>>>, Vec<Pipe>), String> {
        self.set
            .states(&self.options)?
            .pop()
            .ok_or_else(|| "no rule".to_string())
    }
}

impl Backend for Compiled {
    type Event = Arc<LineEvent>;

    fn events(&self, data: &Data) -> Vec<Arc<LineEvent>> {
        line_events(data)
    }

    fn runner(
        &self,
        spec: &SpecQuery,
        _rule: &RuleIr,
        data: &Data,
        sample_mode: SampleMode,
    ) -> Result<Box<dyn QueryRunner<Arc<LineEvent>>>, String> {
        let file = format!("{}#{}", spec.file, spec.name);
        let set = RuleSet::new(rule_set(data.set), |r| r.file == file, &data.time);
        if set.len() != 1 {
            return Err(format!(
                "`{file}` was not generated (it did not compile at build time)"
            ));
        }
        let scratch = set.scratch();
        Ok(Box::new(CompiledQuery {
            set,
            projector: JsonProjector::new(),
            fields: Fields::new(),
            scratch,
            options: MatcherOptions {
                sample_mode,
                max_sequence_keys: None,
            },
        }))
    }
}
