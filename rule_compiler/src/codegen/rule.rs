//! One rule's module (its `info`, its `evaluate` function, one function per distinct
//! stage and per stage's keys) and its entry in the rule set's `RULES` table.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::{GenOptions, GenRule};
use crate::ir::*;
use crate::plan::Plan;
use crate::schema::FieldType;

/// Generates one rule.
pub(super) struct RuleGen<'a> {
    pub(super) rule: &'a GenRule,
    pub(super) ir: &'a RuleIr,
    pub(super) plan: &'a Plan,
    /// The rule's position in the plan.
    pub(super) index: usize,
    /// The rule's FieldId → the rule set's slot constant.
    pub(super) slot_names: Vec<Ident>,
    /// The rule's FieldId → its type, if the options give one.
    pub(super) types: Vec<Option<FieldType>>,
    /// `static` items the functions refer to (literals, sets, regexes).
    pub(super) statics: Vec<TokenStream>,
}

impl<'a> RuleGen<'a> {
    pub(super) fn new(
        rule: &'a GenRule,
        plan: &'a Plan,
        index: usize,
        const_names: &[Ident],
        options: &GenOptions,
    ) -> RuleGen<'a> {
        let slots = &plan.rules[index].slots;
        RuleGen {
            rule,
            ir: &rule.ir,
            plan,
            index,
            slot_names: slots
                .iter()
                .map(|&s| const_names[s as usize].clone())
                .collect(),
            types: rule
                .ir
                .fields
                .iter()
                .map(|f| options.field_types.get(f).copied())
                .collect(),
            statics: Vec::new(),
        }
    }

    /// The slot constant of a field, as the rule module names it.
    pub(super) fn slot(&self, id: FieldId) -> TokenStream {
        let c = &self.slot_names[id as usize];
        quote!(super::fields::#c)
    }

    /// A `static` of type `ty` initialised by the constant expression `init`.
    pub(super) fn add_static(&mut self, ty: TokenStream, init: TokenStream) -> Ident {
        let name = format_ident!("S{}", self.statics.len());
        self.statics.push(quote! {
            static #name: #ty = #init;
        });
        name
    }

    /// A `static` initialised at first use.
    pub(super) fn add_lazy(&mut self, ty: TokenStream, init: TokenStream) -> Ident {
        let name = format_ident!("S{}", self.statics.len());
        self.statics.push(quote! {
            static #name: ::std::sync::LazyLock<#ty> = ::std::sync::LazyLock::new(|| #init);
        });
        name
    }

    /// The rule's module and its `RuleSpec`.
    pub(super) fn generate(mut self, name: &Ident) -> (TokenStream, TokenStream) {
        let ir = self.ir;
        let rule = self.rule;
        let rplan = &self.plan.rules[self.index];

        // Stages (identical stages, as `with runs=N` makes, share one function).
        let (stages, until): (Vec<&StageIr>, Option<&StageIr>) = match &ir.query {
            QueryIr::Event(_) => (Vec::new(), None),
            QueryIr::Sequence(s) => (s.stages.iter().collect(), s.until.as_ref()),
            QueryIr::Sample(s) => (s.stages.iter().collect(), None),
        };
        let mut calls = Vec::new();
        let mut fns = Vec::new();
        match &ir.query {
            QueryIr::Event(f) => {
                let test = self.filter(f);
                fns.push(quote! {
                    // A constant filter (`any where true`) does not read the event.
                    #[allow(unused_variables)]
                    fn stage_0(a: &mut ::rule_runtime::ruleset::Ctx<'_>) -> bool {
                        #test
                    }
                });
                calls.push(quote! {
                    if stage_0(a) {
                        hits.push(0, ::std::vec![::std::vec::Vec::new()]);
                    }
                });
            }
            _ => {
                let mut rep_of: Vec<usize> = Vec::new();
                for i in 0..stages.len() {
                    let rep = (0..i).find(|&j| {
                        stages[j].filter == stages[i].filter && stages[j].keys == stages[i].keys
                    });
                    match rep {
                        Some(j) => rep_of.push(rep_of[j]),
                        None => {
                            rep_of.push(i);
                            fns.push(self.stage_fns(&i.to_string(), stages[i]));
                        }
                    }
                }
                let reps: std::collections::BTreeSet<usize> = rep_of.iter().copied().collect();
                for rep in reps {
                    let f = format_ident!("stage_{rep}");
                    let k = format_ident!("keys_{rep}");
                    let copies: Vec<usize> =
                        (0..rep_of.len()).filter(|&i| rep_of[i] == rep).collect();
                    let push = if copies.len() == 1 {
                        let i = copies[0];
                        quote!(hits.push(#i, #k(a.event()));)
                    } else {
                        let last = copies[copies.len() - 1];
                        let rest = &copies[..copies.len() - 1];
                        quote! {
                            let keys = #k(a.event());
                            #( hits.push(#rest, keys.clone()); )*
                            hits.push(#last, keys);
                        }
                    };
                    calls.push(quote! {
                        if #f(a) {
                            #push
                        }
                    });
                }
                if let Some(u) = until {
                    fns.push(self.stage_fns("until", u));
                    calls.push(quote! {
                        if stage_until(a) {
                            hits.until = keys_until(a.event());
                        }
                    });
                }
            }
        }

        let info = info_tokens(&rule.info);
        let doc_title = format!(" {}", rule.info.name);
        let doc_meta = format!(
            " rule_id `{}`, severity {}, from `{}`.",
            rule.info.id, rule.info.severity, rule.file
        );
        let doc_query: Vec<String> = std::iter::once(" ```eql".to_string())
            .chain(rule.query.trim().lines().map(|l| format!(" {l}")))
            .chain(std::iter::once(" ```".to_string()))
            .collect();
        let doc_atoms: Vec<String> = rplan
            .atoms
            .iter()
            .map(|&a| {
                let atom = &self.plan.atoms[a as usize];
                format!(
                    " * atom {a}: `{}` {:?} {:?}",
                    self.plan.fields[atom.slot as usize], atom.kind, atom.literal
                )
            })
            .collect();
        let doc_required = match &rplan.required {
            Some(req) => format!(
                " Evaluated when {}.",
                req.iter()
                    .map(|d| format!(
                        "one of the atoms {} holds",
                        d.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
                    ))
                    .collect::<Vec<_>>()
                    .join(", and ")
            ),
            None => " Evaluated on every event (no required atom).".to_string(),
        };
        let statics = std::mem::take(&mut self.statics);
        let module = quote! {
            #[doc = #doc_title]
            #[doc = ""]
            #[doc = #doc_meta]
            #[doc = ""]
            #(#[doc = #doc_query])*
            #[doc = ""]
            #[doc = #doc_required]
            #[doc = ""]
            #(#[doc = #doc_atoms])*
            pub mod #name {
                /// What this rule's alerts say about it.
                pub fn info() -> ::rule_runtime::alert::RuleInfo {
                    #info
                }

                /// The stages of this rule the event matches, with their join keys.
                pub fn evaluate(
                    a: &mut ::rule_runtime::ruleset::Ctx<'_>,
                    hits: &mut ::rule_runtime::state::StageHits,
                ) {
                    #(#calls)*
                }

                #(#statics)*
                #(#fns)*
            }
        };

        let (id, rname, severity, file) = (
            &rule.info.id,
            &rule.info.name,
            &rule.info.severity,
            &rule.file,
        );
        let shape = match &ir.query {
            QueryIr::Event(_) => quote!(::rule_runtime::ruleset::Shape::Event),
            QueryIr::Sequence(s) => {
                let kinds = s.stages.iter().map(|st| match st.kind {
                    StageKind::Positive => quote!(::rule_runtime::sequence::StageKind::Positive),
                    StageKind::Missing => quote!(::rule_runtime::sequence::StageKind::Missing),
                });
                let maxspan = match s.maxspan_ms {
                    Some(ms) => {
                        let ms = Literal::u64_unsuffixed(ms);
                        quote!(::std::option::Option::Some(#ms))
                    }
                    None => quote!(::std::option::Option::None),
                };
                quote! {
                    ::rule_runtime::ruleset::Shape::Sequence {
                        stages: ::std::borrow::Cow::Borrowed(&[#(#kinds),*]),
                        maxspan_ms: #maxspan,
                    }
                }
            }
            QueryIr::Sample(s) => {
                let n = Literal::usize_unsuffixed(s.stages.len());
                quote!(::rule_runtime::ruleset::Shape::Sample { filters: #n })
            }
        };
        let pipes = ir.pipes.iter().map(|p| match p {
            Pipe::Head(n) => {
                let n = Literal::u64_unsuffixed(*n);
                quote!(::rule_runtime::engine::Pipe::Head(#n))
            }
            Pipe::Tail(n) => {
                let n = Literal::u64_unsuffixed(*n);
                quote!(::rule_runtime::engine::Pipe::Tail(#n))
            }
        });
        let field_slots = self.slot_names.iter().map(|c| quote!(fields::#c as u32));
        let atoms = rplan.atoms.iter().map(|&a| Literal::u32_unsuffixed(a));
        let required = match &rplan.required {
            Some(req) => {
                let req = req.iter().map(|d| {
                    let d = d.iter().map(|&a| Literal::u32_unsuffixed(a));
                    quote!(&[#(#d),*])
                });
                quote!(::std::option::Option::Some(&[#(#req),*]))
            }
            None => quote!(::std::option::Option::None),
        };
        let spec = quote! {
            ::rule_runtime::ruleset::RuleSpec {
                id: #id,
                name: #rname,
                severity: #severity,
                file: #file,
                info: #name::info,
                shape: #shape,
                pipes: &[#(#pipes),*],
                fields: &[#(#field_slots),*],
                atoms: &[#(#atoms),*],
                required: #required,
                evaluate: #name::evaluate,
            }
        };
        (module, spec)
    }

    /// `stage_N(a) -> bool` and `keys_N(event) -> Vec<Key>`.
    fn stage_fns(&mut self, suffix: &str, stage: &StageIr) -> TokenStream {
        let f = format_ident!("stage_{suffix}");
        let k = format_ident!("keys_{suffix}");
        let test = self.filter(&stage.filter);
        let key_items: Vec<TokenStream> = stage
            .keys
            .iter()
            .map(|key| {
                let slot = self.slot(key.field);
                let date = matches!(
                    self.types.get(key.field as usize).copied().flatten(),
                    Some(FieldType::Date | FieldType::DateNanos)
                );
                let optional = key.optional;
                quote!((::rule_runtime::ruleset::key_parts(ev.slot(#slot).iter(), #date), #optional))
            })
            .collect();
        let keys = if key_items.is_empty() {
            quote! {
                fn #k(_: ::rule_runtime::fields::EventView<'_>) -> ::std::vec::Vec<::rule_runtime::state::Key> {
                    ::std::vec![::std::vec::Vec::new()]
                }
            }
        } else {
            // A non-optional key without a value excludes the event (C.3): checked first,
            // so a stage that matches an event without its keys costs no allocation.
            let required: Vec<TokenStream> = stage
                .keys
                .iter()
                .filter(|k| !k.optional)
                .map(|k| {
                    let slot = self.slot(k.field);
                    quote!(ev.slot(#slot).is_empty())
                })
                .collect();
            let guard = if required.is_empty() {
                quote!()
            } else {
                quote! {
                    if #(#required)||* {
                        return ::std::vec::Vec::new();
                    }
                }
            };
            quote! {
                fn #k(ev: ::rule_runtime::fields::EventView<'_>) -> ::std::vec::Vec<::rule_runtime::state::Key> {
                    #guard
                    ::rule_runtime::key::key_tuples(&[#(#key_items),*])
                }
            }
        };
        quote! {
            // A constant filter (`any where true`) does not read the event.
            #[allow(unused_variables)]
            fn #f(a: &mut ::rule_runtime::ruleset::Ctx<'_>) -> bool {
                #test
            }

            #keys
        }
    }

    /// A filter: its category atom, then its condition (`&&` stops at the first false).
    fn filter(&mut self, filter: &FilterIr) -> TokenStream {
        let cond = self.cond(&filter.condition);
        let cat = self
            .plan
            .category_atom(self.ir, &self.plan.rules[self.index].slots, filter);
        match cat {
            Some(c) => {
                let c = Literal::u32_unsuffixed(c);
                if matches!(filter.condition, Cond::Const(true)) {
                    quote!(a.atom(#c))
                } else {
                    quote!(a.atom(#c) && #cond)
                }
            }
            None => cond,
        }
    }
}

fn opt_i64(v: Option<i64>) -> TokenStream {
    match v {
        Some(n) => {
            let n = Literal::i64_unsuffixed(n);
            quote!(::std::option::Option::Some(#n))
        }
        None => quote!(::std::option::Option::None),
    }
}

fn info_tokens(info: &rule_runtime::alert::RuleInfo) -> TokenStream {
    let (id, name, severity) = (&info.id, &info.name, &info.severity);
    let version = opt_i64(info.version);
    let risk = opt_i64(info.risk_score);
    let bb = info.building_block;
    let tags = &info.tags;
    let threat = info.threat.iter().map(|t| {
        let tactic = &t.tactic;
        let techniques = &t.techniques;
        quote! {
            ::rule_runtime::alert::ThreatInfo {
                tactic: ::std::string::String::from(#tactic),
                techniques: ::std::vec![#(::std::string::String::from(#techniques)),*],
            }
        }
    });
    quote! {
        ::rule_runtime::alert::RuleInfo {
            id: ::std::string::String::from(#id),
            name: ::std::string::String::from(#name),
            version: #version,
            severity: ::std::string::String::from(#severity),
            risk_score: #risk,
            building_block: #bb,
            tags: ::std::vec![#(::std::string::String::from(#tags)),*],
            threat: ::std::vec![#(#threat),*],
        }
    }
}
