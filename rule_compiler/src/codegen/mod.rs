//! IR → Rust tokens: the code generator that both the proc-macro (`rule_macros`) and
//! `cargo xtask generate` call.
//!
//! The unit of compilation is the **rule set** ([`crate::plan`]): the generated code
//! declares one field table, one table of atoms (every distinct test of a field against
//! a literal, shared by all rules) and one [`RuleSetSpec`] listing each rule with its
//! required disjunction of atoms and its evaluation function. At run time
//! `rule_runtime::ruleset::RuleSet` builds the literal index over the atoms, so an event
//! is tested against all literals of all rules once per field, and only the rules one of
//! whose required atoms holds run their function.
//!
//! A rule's function is specialised code: atoms are read from the index (`a.atom(12)`),
//! ranges compare against literals prepared at build time, `cidrMatch` against a CIDR set
//! built once, regexes are compiled once; other expressions (functions, arithmetic) are
//! evaluated one assignment of field values at a time (`rule_runtime::assign`).
//!
//! Output is deterministic (rules sorted by file name, fields sorted, atoms in order of
//! first use) and hygienic (absolute `::rule_runtime::` / `::std::` paths, no
//! `macro_rules!`), one module per rule named after its file, with the rule's name, id,
//! query and atoms in its doc comment.
//!
//! [`RuleSetSpec`]: rule_runtime::ruleset::RuleSetSpec

mod cond;
mod expand;
mod kql;
mod names;
mod rule;

pub use expand::{
    expand_dir, gen_rule, load_rules, rules_from_dir, rules_from_dir_shown_from, BrokenRule,
    LoadedRules,
};

use crate::ir::RuleIr;
use crate::plan::{FieldTypes, Plan};
use proc_macro2::{Literal, TokenStream};
use quote::quote;
use rule_runtime::index::AtomKind;
use std::collections::BTreeSet;

/// One rule to generate: its IR and the metadata alerts carry.
#[derive(Debug, Clone)]
pub struct GenRule {
    pub ir: RuleIr,
    pub info: rule_runtime::alert::RuleInfo,
    /// The rule file's name (`credential_access_x.toml`), for docs and listings.
    pub file: String,
    /// The query text, for the doc comment.
    pub query: String,
}

/// Build-time choices of the generator.
#[derive(Debug, Clone, Default)]
pub struct GenOptions {
    /// Field types (from a mapping or schema): `date`, `date_nanos` and `version`
    /// fields get typed comparisons, as in the interpreter.
    pub field_types: FieldTypes,
}

fn atom_kind(kind: AtomKind) -> TokenStream {
    let k = match kind {
        AtomKind::Category => quote!(Category),
        AtomKind::Text => quote!(Text),
        AtomKind::Ip => quote!(Ip),
        AtomKind::Number => quote!(Number),
        AtomKind::Bool => quote!(Bool),
        AtomKind::Folded => quote!(Folded),
        AtomKind::Like => quote!(Like),
        AtomKind::LikeFolded => quote!(LikeFolded),
    };
    quote!(::rule_runtime::index::AtomKind::#k)
}

/// Generate the code for a rule set: `FIELDS`, `fields::*`, `ATOMS`, `RULE_SET`,
/// `rules`, and one module per rule. Rules are sorted by file name.
pub fn generate(rules: &[GenRule], options: &GenOptions) -> TokenStream {
    let mut rules: Vec<&GenRule> = rules.iter().collect();
    rules.sort_by(|a, b| a.file.cmp(&b.file).then(a.ir.id.cmp(&b.ir.id)));
    let irs: Vec<&RuleIr> = rules.iter().map(|r| &r.ir).collect();
    let plan = Plan::new(&irs, &options.field_types);

    let table: Vec<&str> = plan.fields.iter().map(String::as_str).collect();
    let const_names = names::field_const_names(&table);
    let field_consts = table.iter().enumerate().map(|(i, path)| {
        let name = &const_names[i];
        let doc = format!(" Slot of `{path}`.");
        let i = Literal::usize_unsuffixed(i);
        quote! {
            #[doc = #doc]
            pub const #name: usize = #i;
        }
    });

    let atoms = plan.atoms.iter().map(|a| {
        let slot = &const_names[a.slot as usize];
        let kind = atom_kind(a.kind);
        let literal = &a.literal;
        quote! {
            ::rule_runtime::index::AtomSpec {
                slot: fields::#slot as u32,
                kind: #kind,
                literal: #literal,
            }
        }
    });

    let mut module_names = BTreeSet::new();
    let mut modules = Vec::new();
    let mut specs = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        let name = names::unique_ident(&names::module_name(&r.file), &mut module_names);
        let g = rule::RuleGen::new(r, &plan, i, &const_names, options);
        let (module, spec) = g.generate(&name);
        modules.push(module);
        specs.push(spec);
    }
    let n_rules = Literal::usize_unsuffixed(rules.len());
    let n_atoms = Literal::usize_unsuffixed(plan.atoms.len());

    quote! {
        /// The field table: every field path some rule reads, sorted; an event is
        /// projected onto it once and rules read slots.
        pub const FIELDS: &[&str] = &[#(#table),*];

        /// Slot numbers of [`FIELDS`], by field.
        pub mod fields {
            #(#field_consts)*
        }

        /// Every distinct test of a field against a literal, over all rules (each rule
        /// module's documentation lists the atoms it reads by number).
        pub static ATOMS: [::rule_runtime::index::AtomSpec; #n_atoms] = [#(#atoms),*];

        /// The rules, sorted by file name.
        pub static RULES: [::rule_runtime::ruleset::RuleSpec; #n_rules] = [#(#specs),*];

        /// The compiled rule set, for `rule_runtime::ruleset::RuleSet`.
        pub static RULE_SET: ::rule_runtime::ruleset::RuleSetSpec =
            ::rule_runtime::ruleset::RuleSetSpec {
                fields: FIELDS,
                atoms: &ATOMS,
                rules: &RULES,
            };

        /// Every rule of the set, ready to run, reading event time from `time`.
        pub fn rules(time: &::rule_runtime::time::TimeFields) -> ::rule_runtime::ruleset::RuleSet {
            ::rule_runtime::ruleset::RuleSet::all(&RULE_SET, time)
        }

        #(#modules)*
    }
}
