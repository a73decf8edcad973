//! eqlc's compiled matchers (generated at build time into `OUT_DIR` by `build.rs`, with
//! `rule_compiler::codegen::generate`) tested against the reference interpreter:
//!
//! * [`differential`]: the rules of `rules/` and 40 random rules as one compiled rule set;
//!   `tests/differential.rs` pushes random event streams through it and through the
//!   interpreter and requires identical alerts;
//! * `conformance_*`: Elasticsearch's EQL suite, one compiled rule set per data set;
//!   [`Compiled`] runs it through `eqlc::conformance` (`tests/conformance.rs`).

use eqlc::conformance::{Backend, Data, DataSet, SpecQuery};
use rule_compiler::ir::RuleIr;
use rule_runtime::alert::RuleMatcher;
use rule_runtime::compiled::{MatcherOptions, Projected, RuleSummary};
use rule_runtime::engine::Pipe;
use rule_runtime::event::JsonEvent;
use rule_runtime::sample::SampleMode;
use std::sync::Arc;

pub mod plant;

/// What compiled matchers take: an event projected onto a rule set's field table.
pub type Handle = Arc<Projected<Arc<JsonEvent>>>;

/// A matcher with its pipes, as `Engine::new` takes them.
pub type MatcherAndPipes = (Box<dyn RuleMatcher<Handle>>, Vec<Pipe>);

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

/// One generated rule set: its rule table, projector and matchers.
struct RuleSet {
    rules: &'static [RuleSummary],
    project: fn(Arc<JsonEvent>) -> Handle,
    matchers: fn(&MatcherOptions) -> Vec<MatcherAndPipes>,
}

macro_rules! rule_set {
    ($m:ident) => {
        RuleSet {
            rules: &$m::RULES,
            project: $m::project_json::<Arc<JsonEvent>>,
            matchers: $m::matchers::<Arc<JsonEvent>>,
        }
    };
}

fn rule_set(set: DataSet) -> RuleSet {
    match set {
        DataSet::Endgame => rule_set!(conformance_endgame),
        DataSet::EndgameNanos => rule_set!(conformance_endgame_nanos),
        DataSet::Extra => rule_set!(conformance_extra),
        DataSet::MissingEvents => rule_set!(conformance_missing_events),
        DataSet::Sample => rule_set!(conformance_sample),
        DataSet::SampleMulti => rule_set!(conformance_sample_multi),
    }
}

/// The compiled conformance matchers as an `eqlc::conformance` back end: a query's
/// matcher is the generated rule whose file is `<spec file>#<name>` in its data set's
/// rule set (the table is the generated `RULES`, in the order `matchers` returns them).
#[derive(Debug, Clone, Copy, Default)]
pub struct Compiled;

impl Backend for Compiled {
    type Event = Handle;

    fn events(&self, data: &Data) -> Vec<Handle> {
        let project = rule_set(data.set).project;
        data.events.iter().map(|e| project(Arc::clone(e))).collect()
    }

    fn matcher(
        &self,
        spec: &SpecQuery,
        _rule: &RuleIr,
        data: &Data,
        sample_mode: SampleMode,
    ) -> Result<MatcherAndPipes, String> {
        let set = rule_set(data.set);
        let file = format!("{}#{}", spec.file, spec.name);
        let i = set
            .rules
            .iter()
            .position(|r| r.file == file)
            .ok_or_else(|| {
                format!("`{file}` was not generated (it did not compile at build time)")
            })?;
        let options = MatcherOptions {
            sample_mode,
            max_sequence_keys: None,
        };
        // `matchers` builds the whole set; the others are dropped unused (cheap: the
        // patterns and regexes are statics shared by every construction).
        Ok((set.matchers)(&options).swap_remove(i))
    }
}
