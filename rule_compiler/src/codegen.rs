//! IR → Rust tokens: the code generator that both the proc-macro (`rule_macros`) and
//! `cargo xtask generate` call.
//!
//! The generated code is specialised, not an interpreter in disguise:
//! * one field table for the rule set (`FIELDS`, sorted): an event is projected onto it
//!   once (`project`), and predicates read slots (`fields::PROCESS_NAME`), never paths;
//! * every stage tests its event category first, and `&&` stops there when it differs;
//! * `:`/`like` patterns are folded at build time and become `eq_folded`,
//!   `starts_with_folded`, `ends_with_folded`, `contains_folded` (or `==`,
//!   `starts_with` … when case-sensitive); long exact lists become one hash set and
//!   long `*needle*` lists one Aho-Corasick automaton ([`LARGE_LIST`]); `in` lists are
//!   hash sets; regexes are compiled once;
//! * sequences and samples are the runtime's typed state machines
//!   (`rule_runtime::rules`) driven by the generated stage logic.
//!
//! Output is deterministic (rules sorted by file name, fields sorted) and hygienic
//! (absolute `::rule_runtime::` / `::std::` paths, no `macro_rules!`), one module per
//! rule named after its file, with the rule's name, id and query in its doc comment.

use crate::ast::ArithOp;
use crate::functions::Function;
use crate::ir::lower_rule;
use crate::ir::*;
use crate::schema::FieldType;
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};
use rule_runtime::pattern::{Wildcard, WildcardForm};
use std::collections::{BTreeMap, BTreeSet};

/// From this many exact (wildcard-free) patterns in one `:`/`like` list on, they are
/// tested with one hash-set lookup, and from this many `*needle*` patterns on, with one
/// Aho-Corasick pass, instead of a chain of comparisons: below it, a few `eq_folded` /
/// `contains_folded` calls (no hashing, no automaton, no folding of the haystack) are
/// cheaper.
pub const LARGE_LIST: usize = 8;

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
    pub field_types: BTreeMap<String, FieldType>,
}

/// Generate the code for a rule set: `FIELDS`, `fields::*`, `RULES`, `project`,
/// `matchers`, and one module per rule. Rules are sorted by file name.
pub fn generate(rules: &[GenRule], options: &GenOptions) -> TokenStream {
    let mut rules: Vec<&GenRule> = rules.iter().collect();
    rules.sort_by(|a, b| a.file.cmp(&b.file).then(a.ir.id.cmp(&b.ir.id)));

    // The rule set's field table.
    let all_fields: BTreeSet<&str> = rules
        .iter()
        .flat_map(|r| r.ir.fields.iter().map(String::as_str))
        .collect();
    let table: Vec<&str> = all_fields.into_iter().collect();
    let slot_of: BTreeMap<&str, usize> = table.iter().enumerate().map(|(i, f)| (*f, i)).collect();
    let const_names = field_const_names(&table);

    let field_consts = table.iter().enumerate().map(|(i, path)| {
        let name = &const_names[i];
        let doc = format!(" Slot of `{path}`.");
        let i = Literal::usize_unsuffixed(i);
        quote! {
            #[doc = #doc]
            pub const #name: usize = #i;
        }
    });

    let mut module_names = BTreeSet::new();
    let mut modules = Vec::new();
    let mut summaries = Vec::new();
    let mut constructors = Vec::new();
    for r in &rules {
        let name = unique_ident(&module_name(&r.file), &mut module_names);
        let slots: Vec<Ident> =
            r.ir.fields
                .iter()
                .map(|f| const_names[slot_of[f.as_str()]].clone())
                .collect();
        let types: Vec<Option<FieldType>> =
            r.ir.fields
                .iter()
                .map(|f| options.field_types.get(f).copied())
                .collect();
        let g = RuleGen {
            ir: &r.ir,
            slots,
            types,
            statics: Vec::new(),
        };
        modules.push(g.module(r, &name));
        let (id, rname, severity, file) = (&r.info.id, &r.info.name, &r.info.severity, &r.file);
        let kind = match r.ir.query {
            QueryIr::Event(_) => "event",
            QueryIr::Sequence(_) => "sequence",
            QueryIr::Sample(_) => "sample",
        };
        summaries.push(quote! {
            ::rule_runtime::compiled::RuleSummary {
                id: #id, name: #rname, kind: #kind, severity: #severity, file: #file,
            }
        });
        constructors.push(quote! {
            (#name::matcher(options), #name::pipes())
        });
    }
    let n_rules = Literal::usize_unsuffixed(rules.len());

    quote! {
        /// The field table: every field path some rule reads, sorted; an event is
        /// projected onto it once and matchers read slots.
        pub const FIELDS: &[&str] = &[#(#table),*];

        /// Slot numbers of [`FIELDS`], by field.
        pub mod fields {
            #(#field_consts)*
        }

        /// The compiled rules, in the order [`matchers`] returns them.
        pub const RULES: [::rule_runtime::compiled::RuleSummary; #n_rules] = [#(#summaries),*];

        /// Project an event of any `Event` type onto [`FIELDS`] (each field read once).
        pub fn project<J: ::rule_runtime::event::Event>(
            event: J,
        ) -> ::std::sync::Arc<::rule_runtime::compiled::Projected<J>> {
            ::std::sync::Arc::new(::rule_runtime::compiled::Projected::new(event, FIELDS))
        }

        /// [`FIELDS`] indexed for [`project_json`].
        static FIELD_TABLE: ::std::sync::LazyLock<::rule_runtime::compiled::FieldTable> =
            ::std::sync::LazyLock::new(|| ::rule_runtime::compiled::FieldTable::new(FIELDS));

        /// Project a JSON event onto [`FIELDS`]: one walk finds the fields it has, and
        /// only those are read (the same values as [`project`]).
        pub fn project_json<J: ::rule_runtime::event::Event + ::rule_runtime::engine::EventJson>(
            event: J,
        ) -> ::std::sync::Arc<::rule_runtime::compiled::Projected<J>> {
            ::std::sync::Arc::new(::rule_runtime::compiled::Projected::from_json(event, &FIELD_TABLE))
        }

        /// One matcher per rule with the pipes of its query, for
        /// `rule_runtime::engine::Engine`.
        #[allow(clippy::type_complexity)]
        pub fn matchers<J: 'static>(
            options: &::rule_runtime::compiled::MatcherOptions,
        ) -> ::std::vec::Vec<(
            ::std::boxed::Box<
                dyn ::rule_runtime::alert::RuleMatcher<
                    ::std::sync::Arc<::rule_runtime::compiled::Projected<J>>,
                >,
            >,
            ::std::vec::Vec<::rule_runtime::engine::Pipe>,
        )> {
            let _ = options;
            ::std::vec![#(#constructors),*]
        }

        #(#modules)*
    }
}

/// `process.name` → `PROCESS_NAME`, made unique.
fn field_const_names(table: &[&str]) -> Vec<Ident> {
    let mut seen = BTreeSet::new();
    table
        .iter()
        .map(|path| {
            let mut base: String = path
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect();
            base = base.trim_matches('_').to_string();
            if base.is_empty() || base.starts_with(|c: char| c.is_ascii_digit()) {
                base = format!("F_{base}");
            }
            let mut name = base.clone();
            let mut n = 2;
            while !seen.insert(name.clone()) {
                name = format!("{base}_{n}");
                n += 1;
            }
            Ident::new(&name, Span::call_site())
        })
        .collect()
}

/// A module name from a rule file name: `credential_access_x.toml` →
/// `credential_access_x`.
fn module_name(file: &str) -> String {
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    let mut name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("rule_{name}");
    }
    if is_keyword(&name) {
        name.push('_');
    }
    name
}

fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "as" | "break"
            | "const"
            | "continue"
            | "crate"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "async"
            | "await"
            | "dyn"
            | "abstract"
            | "become"
            | "box"
            | "do"
            | "final"
            | "macro"
            | "override"
            | "priv"
            | "typeof"
            | "unsized"
            | "virtual"
            | "yield"
            | "try"
            | "gen"
            | "fields"
    )
}

fn unique_ident(base: &str, seen: &mut BTreeSet<String>) -> Ident {
    let mut name = base.to_string();
    let mut n = 2;
    while !seen.insert(name.clone()) {
        name = format!("{base}_{n}");
        n += 1;
    }
    Ident::new(&name, Span::call_site())
}

/// Generates one rule's module.
struct RuleGen<'a> {
    ir: &'a RuleIr,
    /// The rule's FieldId → the rule set's slot constant.
    slots: Vec<Ident>,
    types: Vec<Option<FieldType>>,
    /// `static` items the predicates refer to (patterns, sets, regexes).
    statics: Vec<TokenStream>,
}

fn value_lit(l: &Lit) -> TokenStream {
    match l {
        Lit::Null => quote!(::rule_runtime::value::Value::Null),
        Lit::Bool(b) => quote!(::rule_runtime::value::Value::Bool(#b)),
        Lit::Int(i) => {
            let i = Literal::i64_unsuffixed(*i);
            quote!(::rule_runtime::value::Value::Int(#i))
        }
        Lit::Float(x) => {
            let x = Literal::f64_unsuffixed(*x);
            quote!(::rule_runtime::value::Value::Float(#x))
        }
        Lit::Str(s) => quote!(::rule_runtime::value::Value::Str(::std::borrow::Cow::Borrowed(#s))),
    }
}

fn cmp_op(op: CmpIr) -> TokenStream {
    match op {
        CmpIr::Eq => quote!(::rule_runtime::compiled::CmpOp::Eq),
        CmpIr::Lt => quote!(::rule_runtime::compiled::CmpOp::Lt),
        CmpIr::Le => quote!(::rule_runtime::compiled::CmpOp::Le),
        CmpIr::Gt => quote!(::rule_runtime::compiled::CmpOp::Gt),
        CmpIr::Ge => quote!(::rule_runtime::compiled::CmpOp::Ge),
    }
}

impl RuleGen<'_> {
    fn slot(&self, id: FieldId) -> TokenStream {
        let c = &self.slots[id as usize];
        quote!(ev.slot(super::fields::#c))
    }

    fn field_type(&self, v: &ValueIr) -> Option<FieldType> {
        match v {
            ValueIr::Field(id) => self.types.get(*id as usize).copied().flatten(),
            _ => None,
        }
    }

    fn add_static(&mut self, ty: TokenStream, init: TokenStream) -> Ident {
        let name = format_ident!("S{}", self.statics.len());
        self.statics.push(quote! {
            static #name: ::std::sync::LazyLock<#ty> = ::std::sync::LazyLock::new(|| #init);
        });
        name
    }

    fn module(mut self, rule: &GenRule, name: &Ident) -> TokenStream {
        let ir = self.ir;
        let doc_title = format!(" {}", rule.info.name);
        let doc_meta = format!(
            " rule_id `{}`, severity {}, from `{}`.",
            rule.info.id, rule.info.severity, rule.file
        );
        let doc_query: Vec<String> = std::iter::once(" ```eql".to_string())
            .chain(rule.query.trim().lines().map(|l| format!(" {l}")))
            .chain(std::iter::once(" ```".to_string()))
            .collect();

        // Stage functions (identical stages, as `with runs=N` makes, share one).
        let (filters, keys, until): (Vec<&FilterIr>, Vec<&[KeyIr]>, Option<&StageIr>) =
            match &ir.query {
                QueryIr::Event(f) => (vec![f], vec![&[][..]], None),
                QueryIr::Sequence(s) => (
                    s.stages.iter().map(|st| &st.filter).collect(),
                    s.stages.iter().map(|st| st.keys.as_slice()).collect(),
                    s.until.as_ref(),
                ),
                QueryIr::Sample(s) => (
                    s.stages.iter().map(|st| &st.filter).collect(),
                    s.stages.iter().map(|st| st.keys.as_slice()).collect(),
                    None,
                ),
            };
        let mut distinct: Vec<usize> = Vec::new(); // stage index → representative
        let mut fns = Vec::new();
        for i in 0..filters.len() {
            let rep = (0..i).find(|&j| filters[j] == filters[i] && keys[j] == keys[i]);
            match rep {
                Some(j) => distinct.push(distinct[j]),
                None => {
                    distinct.push(i);
                    fns.push(self.stage_fns(i, filters[i], keys[i]));
                }
            }
        }
        let until_fns = until.map(|u| self.stage_fns(usize::MAX, &u.filter, &u.keys));

        // evaluate(): each distinct stage once, its hits pushed for every copy.
        let mut eval = Vec::new();
        let reps: BTreeSet<usize> = distinct.iter().copied().collect();
        for rep in reps {
            let f = format_ident!("stage_{rep}");
            let k = format_ident!("keys_{rep}");
            let copies: Vec<usize> = (0..distinct.len())
                .filter(|&i| distinct[i] == rep)
                .collect();
            let push = if copies.len() == 1 {
                let i = copies[0];
                quote!(hits.stages.push((#i, keys));)
            } else {
                quote!(#( hits.stages.push((#copies, keys.clone())); )*)
            };
            eval.push(quote! {
                if #f(ev) {
                    let keys = #k(ev);
                    if !keys.is_empty() {
                        #push
                    }
                }
            });
        }
        if until.is_some() {
            eval.push(quote! {
                if stage_until(ev) {
                    hits.until = keys_until(ev);
                }
            });
        }

        let info = info_tokens(&rule.info);
        let pipes = ir.pipes.iter().map(|p| match p {
            PipeIr::Head(n) => {
                let n = Literal::u64_unsuffixed(*n);
                quote!(::rule_runtime::engine::Pipe::Head(#n))
            }
            PipeIr::Tail(n) => {
                let n = Literal::u64_unsuffixed(*n);
                quote!(::rule_runtime::engine::Pipe::Tail(#n))
            }
        });
        let constructor = match &ir.query {
            QueryIr::Event(_) => quote! {
                let _ = options;
                ::std::boxed::Box::new(::rule_runtime::rules::EventRule::new(
                    ::std::sync::Arc::new(info()),
                    Logic,
                ))
            },
            QueryIr::Sequence(s) => {
                let kinds = s.stages.iter().map(|st| {
                    if st.missing {
                        quote!(::rule_runtime::sequence::StageKind::Missing)
                    } else {
                        quote!(::rule_runtime::sequence::StageKind::Positive)
                    }
                });
                let maxspan = match s.maxspan_ms {
                    Some(ms) => {
                        let ms = Literal::u64_unsuffixed(ms);
                        quote!(::std::option::Option::Some(#ms))
                    }
                    None => quote!(::std::option::Option::None),
                };
                quote! {
                    let spec = ::rule_runtime::sequence::SequenceSpec {
                        stages: ::std::vec![#(#kinds),*],
                        maxspan_ms: #maxspan,
                        max_keys: options.max_keys(),
                    };
                    match ::rule_runtime::rules::SequenceRule::new(::std::sync::Arc::new(info()), Logic, spec) {
                        ::std::result::Result::Ok(m) => ::std::boxed::Box::new(m),
                        // The spec was checked when the rule was compiled, and the
                        // options are sanitised.
                        ::std::result::Result::Err(e) => ::std::unreachable!("{}", e),
                    }
                }
            }
            QueryIr::Sample(s) => {
                let n = Literal::usize_unsuffixed(s.stages.len());
                quote! {
                    let config = options.sample_config();
                    match ::rule_runtime::rules::SampleRule::new(::std::sync::Arc::new(info()), Logic, #n, config) {
                        ::std::result::Result::Ok(m) => ::std::boxed::Box::new(m),
                        // 2 to 5 filters were checked when the rule was compiled, and
                        // the options are sanitised.
                        ::std::result::Result::Err(e) => ::std::unreachable!("{}", e),
                    }
                }
            }
        };
        let statics = &self.statics;
        quote! {
            #[doc = #doc_title]
            #[doc = ""]
            #[doc = #doc_meta]
            #[doc = ""]
            #(#[doc = #doc_query])*
            pub mod #name {
                /// What this rule's alerts say about it.
                pub fn info() -> ::rule_runtime::alert::RuleInfo {
                    #info
                }

                /// The pipes of the query.
                pub fn pipes() -> ::std::vec::Vec<::rule_runtime::engine::Pipe> {
                    ::std::vec![#(#pipes),*]
                }

                /// The rule's matcher.
                pub fn matcher<J: 'static>(
                    options: &::rule_runtime::compiled::MatcherOptions,
                ) -> ::std::boxed::Box<
                    dyn ::rule_runtime::alert::RuleMatcher<
                        ::std::sync::Arc<::rule_runtime::compiled::Projected<J>>,
                    >,
                > {
                    #constructor
                }

                /// The stages this rule's filters match on one event, with their keys.
                pub struct Logic;

                impl<J> ::rule_runtime::rules::RuleLogic<::std::sync::Arc<::rule_runtime::compiled::Projected<J>>> for Logic {
                    fn evaluate(
                        &self,
                        ev: &::std::sync::Arc<::rule_runtime::compiled::Projected<J>>,
                        hits: &mut ::rule_runtime::rules::StageHits,
                    ) {
                        let ev: &::rule_runtime::compiled::Projected<J> = ev;
                        #(#eval)*
                    }
                }

                #(#statics)*
                #(#fns)*
                #until_fns
            }
        }
    }

    /// `stage_N(ev) -> bool` and `keys_N(ev) -> Vec<Key>` (N = `until` for usize::MAX).
    fn stage_fns(&mut self, i: usize, filter: &FilterIr, keys: &[KeyIr]) -> TokenStream {
        let (f, k) = if i == usize::MAX {
            (format_ident!("stage_until"), format_ident!("keys_until"))
        } else {
            (format_ident!("stage_{i}"), format_ident!("keys_{i}"))
        };
        let cond = self.cond(&filter.condition);
        let test = match &filter.category {
            Some(c) => {
                let slot = self.slot(self.ir.category_field);
                quote!(::rule_runtime::compiled::has_category(#slot, #c) && #cond)
            }
            None => cond,
        };
        let key_items = keys.iter().map(|key| {
            let slot = self.slot(key.field);
            let date = matches!(
                self.types.get(key.field as usize).copied().flatten(),
                Some(FieldType::Date | FieldType::DateNanos)
            );
            let optional = key.optional;
            quote!((::rule_runtime::compiled::key_parts(#slot, #date), #optional))
        });
        quote! {
            #[allow(unused_variables)]
            fn #f<J>(ev: &::rule_runtime::compiled::Projected<J>) -> bool {
                #test
            }

            #[allow(unused_variables)]
            fn #k<J>(ev: &::rule_runtime::compiled::Projected<J>) -> ::std::vec::Vec<::rule_runtime::rules::Key> {
                ::rule_runtime::key::key_tuples(&[#(#key_items),*])
            }
        }
    }

    fn cond(&mut self, c: &Cond) -> TokenStream {
        match c {
            Cond::Const(true) => quote!(true),
            Cond::Const(false) => quote!(false),
            Cond::Not(x) => {
                let x = self.cond(x);
                quote!(!(#x))
            }
            Cond::And(xs) => {
                let xs: Vec<_> = xs.iter().map(|x| self.cond(x)).collect();
                quote!((#(#xs)&&*))
            }
            Cond::Or(xs) => {
                let xs: Vec<_> = xs.iter().map(|x| self.cond(x)).collect();
                quote!((#(#xs)||*))
            }
            Cond::Leaf(l) => self.leaf(l),
        }
    }

    fn cmp_kind(&self, lhs: &ValueIr, rhs: &ValueIr) -> TokenStream {
        match self.field_type(lhs).or_else(|| self.field_type(rhs)) {
            Some(FieldType::Date) => quote!(::rule_runtime::compiled::CmpKind::Date),
            Some(FieldType::DateNanos) => quote!(::rule_runtime::compiled::CmpKind::DateNanos),
            Some(FieldType::Version) => quote!(::rule_runtime::compiled::CmpKind::Version),
            _ => quote!(::rule_runtime::compiled::CmpKind::Plain),
        }
    }

    fn leaf(&mut self, l: &Leaf) -> TokenStream {
        match l {
            Leaf::Compare {
                op,
                lhs,
                rhs,
                nulls_equal,
            } => {
                let op = *op;
                let kind = self.cmp_kind(lhs, rhs);
                let opt = cmp_op(op);
                if let (ValueIr::Field(id), ValueIr::Lit(lit), false) = (lhs, rhs, nulls_equal) {
                    let slot = self.slot(*id);
                    let lit = value_lit(lit);
                    return quote! {
                        #slot.iter().any(|v| ::rule_runtime::compiled::compare(#kind, #opt, v, &#lit) == ::std::option::Option::Some(true))
                    };
                }
                let ls = self.values(lhs);
                let rs = self.values(rhs);
                let nulls = if *nulls_equal {
                    quote!((l.is_null() && r.is_null()) ||)
                } else {
                    quote!()
                };
                quote! {
                    ::rule_runtime::compiled::any2(&#ls, &#rs, |l, r| #nulls ::rule_runtime::compiled::compare(#kind, #opt, l, r) == ::std::option::Option::Some(true))
                }
            }
            Leaf::IsNull(ValueIr::Field(id)) => {
                let slot = self.slot(*id);
                quote!(#slot.is_empty())
            }
            Leaf::IsNull(v) => {
                let vs = self.values(v);
                quote!(#vs.iter().any(::rule_runtime::value::Value::is_null))
            }
            Leaf::Wildcard {
                value,
                patterns,
                insensitive,
            } => self.wildcard(value, patterns, *insensitive),
            Leaf::Regex { value, patterns } => {
                let res: Vec<Ident> = patterns
                    .iter()
                    .map(|p| {
                        self.add_static(
                            quote!(::rule_runtime::pattern::RegexMatcher),
                            // The pattern was translated and compiled when the rule was.
                            quote!(match ::rule_runtime::pattern::RegexMatcher::new(#p, false) {
                                ::std::result::Result::Ok(r) => r,
                                ::std::result::Result::Err(e) => ::std::unreachable!("{}", e),
                            }),
                        )
                    })
                    .collect();
                let vs = self.values_or_slot(value);
                quote!(#vs.iter().any(|v| #(#res.matches_value(v))||*))
            }
            Leaf::InSet {
                value,
                set,
                insensitive,
            } => {
                let lits = set.iter().map(value_lit);
                let s = self.add_static(
                    quote!(::rule_runtime::pattern::InSet),
                    quote!(::rule_runtime::pattern::InSet::new([#(#lits),*].iter(), #insensitive)),
                );
                let vs = self.values_or_slot(value);
                quote!(#vs.iter().any(|v| #s.contains(v)))
            }
            Leaf::Truthy(v) => {
                let vs = self.values_or_slot(v);
                quote!(#vs.iter().any(|v| ::std::matches!(v, ::rule_runtime::value::Value::Bool(true))))
            }
        }
    }

    /// A field's slot directly (no values → no match, which is J.1's null for these
    /// leaves), or any other expression's values.
    fn values_or_slot(&mut self, v: &ValueIr) -> TokenStream {
        match v {
            ValueIr::Field(id) => self.slot(*id),
            other => self.values(other),
        }
    }

    fn wildcard(&mut self, value: &ValueIr, patterns: &[String], insensitive: bool) -> TokenStream {
        let mut tests = Vec::new();
        let mut exact: Vec<String> = Vec::new();
        let mut contains: Vec<String> = Vec::new();
        for p in patterns {
            let w = Wildcard::new(p, insensitive);
            match w.form() {
                WildcardForm::Exact(s) => exact.push(s.clone()),
                WildcardForm::Contains(s) => contains.push(s.clone()),
                WildcardForm::Any => tests.push(quote!(true)),
                WildcardForm::Prefix(s) => tests.push(if insensitive {
                    quote!(::rule_runtime::fold::starts_with_folded(t, #s))
                } else {
                    quote!(t.starts_with(#s))
                }),
                WildcardForm::Suffix(s) => tests.push(if insensitive {
                    quote!(::rule_runtime::fold::ends_with_folded(t, #s))
                } else {
                    quote!(t.ends_with(#s))
                }),
                _ => {
                    let s = self.add_static(
                        quote!(::rule_runtime::pattern::Wildcard),
                        quote!(::rule_runtime::pattern::Wildcard::new(#p, #insensitive)),
                    );
                    tests.push(quote!(#s.matches(t)));
                }
            }
        }
        // Cheapest first: exact tests, then one contains pass, then the rest.
        let mut first = Vec::new();
        if exact.len() >= LARGE_LIST {
            let s = self.add_static(
                quote!(::rule_runtime::pattern::InSet),
                quote!(::rule_runtime::pattern::InSet::from_strs([#(#exact),*], #insensitive)),
            );
            first.push(quote!(#s.contains_str(t)));
        } else {
            first.extend(exact.iter().map(|e| {
                if insensitive {
                    quote!(::rule_runtime::fold::eq_folded(t, #e))
                } else {
                    quote!(t == #e)
                }
            }));
        }
        if contains.len() >= LARGE_LIST {
            let s = self.add_static(
                quote!(::rule_runtime::pattern::ContainsSet),
                // Building an automaton from a few thousand needles cannot fail.
                quote!(match ::rule_runtime::pattern::ContainsSet::new([#(#contains),*], #insensitive) {
                    ::std::option::Option::Some(s) => s,
                    ::std::option::Option::None => ::std::unreachable!("aho-corasick over literal needles"),
                }),
            );
            first.push(quote!(#s.matches(t)));
        } else {
            first.extend(contains.iter().map(|c| {
                if insensitive {
                    quote!(::rule_runtime::fold::contains_folded(t, #c))
                } else {
                    quote!(t.contains(#c))
                }
            }));
        }
        first.extend(tests);
        let tests = first;
        // A field's slot is already the `&[Value]` `any_text` takes; any other
        // expression's values are a `Vec`, borrowed.
        let vs = match value {
            ValueIr::Field(id) => self.slot(*id),
            other => {
                let vs = self.values(other);
                quote!(&#vs)
            }
        };
        quote!(::rule_runtime::compiled::any_text(#vs, |t| #(#tests)||*))
    }

    /// The values an expression takes (J.1: each field mention ranges over its values).
    fn values(&mut self, v: &ValueIr) -> TokenStream {
        let f = quote!(::rule_runtime::functions);
        let c = quote!(::rule_runtime::compiled);
        match v {
            ValueIr::Lit(l) => {
                let l = value_lit(l);
                quote!(::std::vec![#l])
            }
            ValueIr::Field(id) => {
                let slot = self.slot(*id);
                quote!(#c::field_values(#slot))
            }
            ValueIr::Neg(x) => {
                let x = self.values(x);
                quote!(#c::map1(&#x, |a| #f::subtract(&::rule_runtime::value::Value::Int(0), a)))
            }
            ValueIr::Arith { op, lhs, rhs } => {
                let a = self.values(lhs);
                let b = self.values(rhs);
                let fun = match op {
                    ArithOp::Add => quote!(add),
                    ArithOp::Sub => quote!(subtract),
                    ArithOp::Mul => quote!(multiply),
                    ArithOp::Div => quote!(divide),
                    ArithOp::Mod => quote!(modulo),
                };
                quote!(#c::map2(&#a, &#b, |x, y| #f::#fun(x, y)))
            }
            ValueIr::Call {
                function,
                insensitive,
                args,
            } => {
                let args: Vec<TokenStream> = args.iter().map(|a| self.values(a)).collect();
                let i = *insensitive;
                let call = match function {
                    Function::Add => quote!(#f::add(&a[0], &a[1])),
                    Function::Subtract => quote!(#f::subtract(&a[0], &a[1])),
                    Function::Multiply => quote!(#f::multiply(&a[0], &a[1])),
                    Function::Divide => quote!(#f::divide(&a[0], &a[1])),
                    Function::Modulo => quote!(#f::modulo(&a[0], &a[1])),
                    Function::Between => {
                        quote!(#f::between(&a[0], &a[1], &a[2], a.get(3), #i).into_owned())
                    }
                    Function::CidrMatch => quote!(#f::cidr_match(&a[0], &a[1..])),
                    Function::Concat => quote!(#f::concat(a).into_owned()),
                    Function::EndsWith => quote!(#f::ends_with(&a[0], &a[1], #i)),
                    Function::StartsWith => quote!(#f::starts_with(&a[0], &a[1], #i)),
                    Function::StringContains => quote!(#f::string_contains(&a[0], &a[1], #i)),
                    Function::IndexOf => quote!(#f::index_of(&a[0], &a[1], a.get(2), #i)),
                    Function::Length => quote!(#f::length(&a[0])),
                    Function::Number => quote!(#f::number(&a[0], a.get(1))),
                    Function::String => quote!(#f::string(&a[0]).into_owned()),
                    Function::Substring => {
                        quote!(#f::substring(&a[0], &a[1], a.get(2)).into_owned())
                    }
                };
                quote!(#c::map_n(&[#(#args),*], |a| #call))
            }
            ValueIr::Cond(cond) => match &**cond {
                Cond::Leaf(Leaf::Compare { op, lhs, rhs, .. }) => {
                    let kind = self.cmp_kind(lhs, rhs);
                    let opt = cmp_op(*op);
                    let ls = self.values(lhs);
                    let rs = self.values(rhs);
                    quote!(#c::map2(&#ls, &#rs, |l, r| #c::compare_value(#kind, #opt, l, r)))
                }
                other => {
                    let t = self.cond(other);
                    quote!(::std::vec![::rule_runtime::value::Value::Bool(#t)])
                }
            },
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

/// Load, check and lower every rule under `dir` for the generator. On failure, the
/// rendered diagnostics of every file that failed.
pub fn rules_from_dir(
    dir: &std::path::Path,
) -> Result<(Vec<GenRule>, Vec<std::path::PathBuf>), Vec<String>> {
    rules_from_dir_shown_from(dir, None)
}

/// [`rules_from_dir`], with file names in diagnostics shown relative to `root` when
/// they are under it (the macro passes the calling crate's folder).
pub fn rules_from_dir_shown_from(
    dir: &std::path::Path,
    root: Option<&std::path::Path>,
) -> Result<(Vec<GenRule>, Vec<std::path::PathBuf>), Vec<String>> {
    let report = crate::ruleset::check_paths(&[dir.to_path_buf()], None).map_err(|e| {
        vec![format!(
            "error: cannot read the rules folder {}: {e}",
            dir.display()
        )]
    })?;
    let files: Vec<std::path::PathBuf> = report.files.iter().map(|f| f.path.clone()).collect();
    let mut errors = Vec::new();
    let mut rules = Vec::new();
    for f in &report.files {
        if f.has_errors() {
            // Warnings do not stop the build; errors do, all of them.
            let shown = root
                .and_then(|r| f.path.strip_prefix(r).ok())
                .unwrap_or(&f.path);
            let name = shown.display().to_string();
            errors.extend(
                f.diagnostics
                    .iter()
                    .filter(|d| d.is_error())
                    .map(|d| d.render(&name, &f.text)),
            );
            continue;
        }
        let Some((rule, query)) = f.ok() else {
            continue;
        };
        match lower_rule(rule, query) {
            Ok(ir) => rules.push(GenRule {
                info: crate::interpreter::rule_info(&rule.meta),
                file: f
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                query: rule.query.clone(),
                ir,
            }),
            Err(e) => errors.push(format!("error: {}: {}", f.path.display(), e.message)),
        }
    }
    if errors.is_empty() {
        Ok((rules, files))
    } else {
        Err(errors)
    }
}

/// What the proc-macro expands to for a rules folder: the generated code plus an
/// `include_bytes!` of every rule file (so editing one rebuilds), or, when a rule does
/// not compile, one `compile_error!` per diagnostic and an empty rule set with the same
/// items (so no follow-on errors cascade).
pub fn expand_dir(dir: &std::path::Path, root: Option<&std::path::Path>) -> TokenStream {
    match rules_from_dir_shown_from(dir, root) {
        Ok((rules, files)) => {
            let code = generate(&rules, &GenOptions::default());
            let tracked = tracked_files(&files);
            quote!(#tracked #code)
        }
        Err(errors) => {
            let files = crate::source::collect_rule_files(&[dir.to_path_buf()]).unwrap_or_default();
            let tracked = tracked_files(&files);
            let skeleton = generate(&[], &GenOptions::default());
            quote! {
                #(::core::compile_error!(#errors);)*
                #tracked
                #skeleton
            }
        }
    }
}

fn tracked_files(files: &[std::path::PathBuf]) -> TokenStream {
    let mut paths: Vec<String> = files
        .iter()
        .map(|p| {
            std::fs::canonicalize(p)
                .unwrap_or_else(|_| p.clone())
                .display()
                .to_string()
        })
        .collect();
    paths.sort();
    quote! {
        // The rule files this code was generated from: their contents are part of the
        // build, so editing one makes cargo rebuild.
        #(const _: &[u8] = ::core::include_bytes!(#paths);)*
    }
}
