//! Conditions, leaves and value expressions of a rule, as Rust expressions over the
//! rule set's context `a` (`rule_runtime::ruleset::Ctx`).
//!
//! * a leaf made of atoms reads them from the index: `a.atom(12)`, `(a.atom(3) ||
//!   a.atom(4))`, or `a.any(&[…])` for long lists;
//! * a range against a literal compares with a `Literal` prepared at build time
//!   (`cmp::any_literal`), a `date`/`date_nanos`/`version` field with its type's order;
//! * `f == null` is an empty slot; `cidrMatch(f, "…", …)` a CIDR set built once; regexes
//!   are compiled once;
//! * any other leaf is evaluated one assignment of its field mentions at a time
//!   (`rule_runtime::assign::any`), each mention bound to one value (J.1).

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::rule::RuleGen;
use crate::ast::ArithOp;
use crate::functions::Function;
use crate::ir::*;
use crate::schema::FieldType;
use rule_runtime::pattern::{Wildcard, WildcardForm};

/// From this many exact (wildcard-free) patterns in one list on, an expression's value is
/// tested with one hash-set lookup, and from this many `*needle*` patterns on with one
/// Aho-Corasick pass (for leaves on fields, the rule set's index does this for all rules).
pub const LARGE_LIST: usize = 8;

/// A literal as a `rule_runtime::value::Value` constant expression.
pub(super) fn value_lit(l: &Lit) -> TokenStream {
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

fn cmp_op(op: CmpOp) -> TokenStream {
    match op {
        CmpOp::Eq => quote!(::rule_runtime::cmp::CmpOp::Eq),
        CmpOp::Lt => quote!(::rule_runtime::cmp::CmpOp::Lt),
        CmpOp::Le => quote!(::rule_runtime::cmp::CmpOp::Le),
        CmpOp::Gt => quote!(::rule_runtime::cmp::CmpOp::Gt),
        CmpOp::Ge => quote!(::rule_runtime::cmp::CmpOp::Ge),
    }
}

/// `a.atom(n)` for each atom, or'ed.
fn atoms_test(atoms: &[u32]) -> TokenStream {
    match atoms {
        [] => quote!(false),
        [one] => {
            let one = Literal::u32_unsuffixed(*one);
            quote!(a.atom(#one))
        }
        few if few.len() <= 4 => {
            let few = few.iter().map(|&x| Literal::u32_unsuffixed(x));
            quote!((#(a.atom(#few))||*))
        }
        many => {
            let many = many.iter().map(|&x| Literal::u32_unsuffixed(x));
            quote!(a.any(&[#(#many),*]))
        }
    }
}

/// The most operands of one parenthesised `&&`/`||` group in generated code.
pub const CHAIN_GROUP: usize = 16;

/// `(a && b && …)` (`and`) or `(a || b || …)`, as parenthesised groups of at most
/// [`CHAIN_GROUP`] operands, grouped again until one group is left: `a && b && c …` is a
/// left-deep tree in Rust's syntax, and one of thousands of operands (a long `and`/`or`
/// chain, which EQL rules have) would be thousands of levels deep for rustc; grouped, it
/// is log₁₆ n levels. Operands keep their order, so evaluation short-circuits as written.
fn balanced_chain(operands: Vec<TokenStream>, and: bool) -> TokenStream {
    let join = |group: Vec<TokenStream>| {
        if and {
            quote!((#(#group)&&*))
        } else {
            quote!((#(#group)||*))
        }
    };
    if operands.is_empty() {
        return if and { quote!(true) } else { quote!(false) };
    }
    let mut level = operands;
    while level.len() > CHAIN_GROUP {
        let mut it = level.into_iter().peekable();
        let mut next = Vec::new();
        while it.peek().is_some() {
            next.push(join(it.by_ref().take(CHAIN_GROUP).collect()));
        }
        level = next;
    }
    join(level)
}

impl RuleGen<'_> {
    fn field_type(&self, v: &ValueIr) -> Option<FieldType> {
        match v {
            ValueIr::Field(id) => self.types.get(*id as usize).copied().flatten(),
            _ => None,
        }
    }

    fn cmp_kind(&self, lhs: &ValueIr, rhs: &ValueIr) -> TokenStream {
        match self.field_type(lhs).or_else(|| self.field_type(rhs)) {
            Some(FieldType::Date) => quote!(::rule_runtime::cmp::CmpKind::Date),
            Some(FieldType::DateNanos) => quote!(::rule_runtime::cmp::CmpKind::DateNanos),
            Some(FieldType::Version) => quote!(::rule_runtime::cmp::CmpKind::Version),
            _ => quote!(::rule_runtime::cmp::CmpKind::Plain),
        }
    }

    fn is_typed(&self, v: &ValueIr) -> bool {
        matches!(
            self.field_type(v),
            Some(FieldType::Date | FieldType::DateNanos | FieldType::Version)
        )
    }

    /// The slot of a field, read from the event.
    fn slot_of(&self, id: FieldId) -> TokenStream {
        let s = self.slot(id);
        quote!(a.event().slot(#s))
    }

    pub(super) fn cond(&mut self, c: &Cond) -> TokenStream {
        match c {
            Cond::Const(true) => quote!(true),
            Cond::Const(false) => quote!(false),
            Cond::Not(x) => {
                let x = self.cond(x);
                quote!(!(#x))
            }
            Cond::And(xs) => {
                let xs: Vec<_> = xs.iter().map(|x| self.cond(x)).collect();
                balanced_chain(xs, true)
            }
            Cond::Or(xs) => {
                let xs: Vec<_> = xs.iter().map(|x| self.cond(x)).collect();
                balanced_chain(xs, false)
            }
            Cond::Leaf(l) => self.leaf(l),
        }
    }

    fn leaf(&mut self, l: &Leaf) -> TokenStream {
        let slots = &self.plan.rules[self.index].slots;
        if let Some(atoms) = self.plan.leaf_atoms(self.ir, slots, &self.types, l) {
            return atoms_test(&atoms);
        }
        match l {
            Leaf::Compare {
                op,
                lhs: ValueIr::Field(id),
                rhs: ValueIr::Lit(lit),
                nulls_equal: false,
            } if !matches!(lit, Lit::Null) => {
                let slot = self.slot_of(*id);
                let opt = cmp_op(*op);
                if self.is_typed(&ValueIr::Field(*id)) {
                    let kind = self.cmp_kind(&ValueIr::Field(*id), &ValueIr::Lit(lit.clone()));
                    let lit = value_lit(lit);
                    quote!(::rule_runtime::cmp::any_typed(#slot, #kind, #opt, &#lit))
                } else {
                    let ip = match lit {
                        Lit::Str(s) => rule_runtime::value::Literal::new(
                            rule_runtime::value::Value::from(s.as_str()),
                        )
                        .ip_key(),
                        _ => None,
                    };
                    let ip = match ip {
                        Some(k) => {
                            let k = Literal::u128_unsuffixed(k);
                            quote!(::std::option::Option::Some(#k))
                        }
                        None => quote!(::std::option::Option::None),
                    };
                    let v = value_lit(lit);
                    let s = self.add_static(
                        quote!(::rule_runtime::value::Literal),
                        quote!(::rule_runtime::value::Literal::from_parts(#v, #ip)),
                    );
                    quote!(::rule_runtime::cmp::any_literal(#slot, #opt, &#s))
                }
            }
            Leaf::IsNull(ValueIr::Field(id)) => {
                let slot = self.slot_of(*id);
                quote!(#slot.is_empty())
            }
            Leaf::Truthy(ValueIr::Field(id)) => {
                let slot = self.slot_of(*id);
                quote!(#slot.iter().any(|v| ::std::matches!(v, ::rule_runtime::value::Value::Bool(true))))
            }
            Leaf::Regex {
                value: ValueIr::Field(id),
                patterns,
            } => {
                let res = self.regexes(patterns);
                let slot = self.slot_of(*id);
                quote!(#slot.iter().any(|v| #(#res.matches_value(&v))||*))
            }
            Leaf::Truthy(ValueIr::Call {
                function: Function::CidrMatch,
                args,
                ..
            }) if self.cidr_literals(args).is_some() => {
                let (id, blocks) = self.cidr_literals(args).unwrap_or_default();
                let set = self.add_lazy(
                    quote!(::rule_runtime::cidr::CidrSet),
                    // The blocks were checked when the rule was compiled.
                    quote!(match ::rule_runtime::cidr::CidrSet::parse([#(#blocks),*]) {
                        ::std::result::Result::Ok(s) => s,
                        ::std::result::Result::Err(e) => ::std::unreachable!("{}", e),
                    }),
                );
                let slot = self.slot_of(id);
                quote!(#slot.strs().any(|s| #set.contains_str(s) == ::std::option::Option::Some(true)))
            }
            Leaf::Kql { field, test } => self.kql_leaf(*field, test),
            other => self.generic_leaf(other),
        }
    }

    /// A KQL leaf: its test a `static`, tried on each value of the field's slot.
    fn kql_leaf(&mut self, field: FieldId, test: &rule_runtime::kql::KqlTest) -> TokenStream {
        let t = super::kql::test_tokens(test);
        let s = self.add_static(quote!(::rule_runtime::kql::KqlTest), t);
        let slot = self.slot_of(field);
        quote!(#slot.iter().any(|v| #s.matches_value(&v)))
    }

    /// `cidrMatch(field, "block", …)` with string literals only: the field and blocks.
    fn cidr_literals(&self, args: &[ValueIr]) -> Option<(FieldId, Vec<String>)> {
        let (first, rest) = args.split_first()?;
        let ValueIr::Field(id) = first else {
            return None;
        };
        let blocks = rest
            .iter()
            .map(|a| match a {
                ValueIr::Lit(Lit::Str(s)) => Some(s.clone()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?;
        (!blocks.is_empty()).then_some((*id, blocks))
    }

    fn regexes(&mut self, patterns: &[String]) -> Vec<proc_macro2::Ident> {
        patterns
            .iter()
            .map(|p| {
                self.add_lazy(
                    quote!(::rule_runtime::pattern::RegexMatcher),
                    // The pattern was translated and compiled when the rule was.
                    quote!(match ::rule_runtime::pattern::RegexMatcher::new(#p, false) {
                        ::std::result::Result::Ok(r) => r,
                        ::std::result::Result::Err(e) => ::std::unreachable!("{}", e),
                    }),
                )
            })
            .collect()
    }

    /// A leaf over expressions: some assignment of its field mentions satisfies it.
    fn generic_leaf(&mut self, l: &Leaf) -> TokenStream {
        let mut mentions: Vec<FieldId> = Vec::new();
        let test = match l {
            Leaf::Compare {
                op,
                lhs,
                rhs,
                nulls_equal,
            } => {
                let kind = self.cmp_kind(lhs, rhs);
                let opt = cmp_op(*op);
                let l = self.scalar(lhs, &mut mentions);
                let r = self.scalar(rhs, &mut mentions);
                let nulls = if *nulls_equal {
                    quote!((l.is_null() && r.is_null()) ||)
                } else {
                    quote!()
                };
                quote! {{
                    let l = #l;
                    let r = #r;
                    #nulls ::rule_runtime::cmp::compare(#kind, #opt, &l, &r) == ::std::option::Option::Some(true)
                }}
            }
            Leaf::IsNull(v) => {
                let x = self.scalar(v, &mut mentions);
                quote!((#x).is_null())
            }
            Leaf::Truthy(v) => {
                let x = self.scalar(v, &mut mentions);
                quote!(::std::matches!(#x, ::rule_runtime::value::Value::Bool(true)))
            }
            Leaf::Wildcard {
                value,
                patterns,
                insensitive,
            } => {
                let x = self.scalar(value, &mut mentions);
                let tests = self.wildcard_tests(patterns, *insensitive);
                quote!(::rule_runtime::cmp::text_test(&#x, |t| #(#tests)||*))
            }
            Leaf::Regex { value, patterns } => {
                let x = self.scalar(value, &mut mentions);
                let res = self.regexes(patterns);
                quote!({ let x = #x; #(#res.matches_value(&x))||* })
            }
            Leaf::Kql { field, test } => return self.kql_leaf(*field, test),
            Leaf::InSet {
                value,
                set,
                insensitive,
            } => {
                let x = self.scalar(value, &mut mentions);
                let lits = set.iter().map(value_lit);
                let s = self.add_lazy(
                    quote!(::rule_runtime::pattern::InSet),
                    quote!(::rule_runtime::pattern::InSet::new([#(#lits),*].iter(), #insensitive)),
                );
                quote!(#s.contains(&#x))
            }
        };
        let slots = mentions.iter().map(|&id| self.slot_of(id));
        let v = if mentions.is_empty() {
            quote!(_)
        } else {
            quote!(v)
        };
        quote! {
            ::rule_runtime::assign::any(&[#(#slots),*], |#v| #test)
        }
    }

    /// The tests of a pattern list on a text `t`: cheapest first.
    fn wildcard_tests(&mut self, patterns: &[String], insensitive: bool) -> Vec<TokenStream> {
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
                    let s = self.add_lazy(
                        quote!(::rule_runtime::pattern::Wildcard),
                        quote!(::rule_runtime::pattern::Wildcard::new(#p, #insensitive)),
                    );
                    tests.push(quote!(#s.matches(t)));
                }
            }
        }
        let mut first = Vec::new();
        if exact.len() >= LARGE_LIST {
            let s = self.add_lazy(
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
            let s = self.add_lazy(
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
        if first.is_empty() {
            first.push(quote!(false));
        }
        first
    }

    /// A value expression for one assignment: an expression of type `Value<'_>` over
    /// `v`, the values bound to the leaf's field mentions (pushed to `mentions` in the
    /// order they are read).
    fn scalar(&mut self, v: &ValueIr, mentions: &mut Vec<FieldId>) -> TokenStream {
        let f = quote!(::rule_runtime::functions);
        match v {
            ValueIr::Lit(l) => value_lit(l),
            ValueIr::Field(id) => {
                let k = Literal::usize_unsuffixed(mentions.len());
                mentions.push(*id);
                quote!(v[#k].clone())
            }
            ValueIr::Neg(x) => {
                let x = self.scalar(x, mentions);
                quote!(#f::subtract(&::rule_runtime::value::Value::Int(0), &#x))
            }
            ValueIr::Arith { op, lhs, rhs } => {
                let a = self.scalar(lhs, mentions);
                let b = self.scalar(rhs, mentions);
                let fun = match op {
                    ArithOp::Add => quote!(add),
                    ArithOp::Sub => quote!(subtract),
                    ArithOp::Mul => quote!(multiply),
                    ArithOp::Div => quote!(divide),
                    ArithOp::Mod => quote!(modulo),
                };
                quote!(#f::#fun(&#a, &#b))
            }
            ValueIr::Call {
                function,
                insensitive,
                args,
            } => {
                let args: Vec<TokenStream> =
                    args.iter().map(|a| self.scalar(a, mentions)).collect();
                let n = Literal::usize_unsuffixed(args.len());
                let i = *insensitive;
                let call = match function {
                    Function::Add => quote!(#f::add(&x[0], &x[1])),
                    Function::Subtract => quote!(#f::subtract(&x[0], &x[1])),
                    Function::Multiply => quote!(#f::multiply(&x[0], &x[1])),
                    Function::Divide => quote!(#f::divide(&x[0], &x[1])),
                    Function::Modulo => quote!(#f::modulo(&x[0], &x[1])),
                    Function::Between => {
                        quote!(#f::between(&x[0], &x[1], &x[2], x.get(3), #i).into_owned())
                    }
                    Function::CidrMatch => quote!(#f::cidr_match(&x[0], &x[1..])),
                    Function::Concat => quote!(#f::concat(&x).into_owned()),
                    Function::EndsWith => quote!(#f::ends_with(&x[0], &x[1], #i)),
                    Function::StartsWith => quote!(#f::starts_with(&x[0], &x[1], #i)),
                    Function::StringContains => quote!(#f::string_contains(&x[0], &x[1], #i)),
                    Function::IndexOf => quote!(#f::index_of(&x[0], &x[1], x.get(2), #i)),
                    Function::Length => quote!(#f::length(&x[0])),
                    Function::Number => quote!(#f::number(&x[0], x.get(1))),
                    Function::String => quote!(#f::string(&x[0]).into_owned()),
                    Function::Substring => {
                        quote!(#f::substring(&x[0], &x[1], x.get(2)).into_owned())
                    }
                };
                quote! {{
                    let x: [::rule_runtime::value::Value<'_>; #n] = [#(#args),*];
                    #call
                }}
            }
            ValueIr::Cond(cond) => match &**cond {
                Cond::Leaf(Leaf::Compare { op, lhs, rhs, .. }) => {
                    let kind = self.cmp_kind(lhs, rhs);
                    let opt = cmp_op(*op);
                    let l = self.scalar(lhs, mentions);
                    let r = self.scalar(rhs, mentions);
                    quote!(::rule_runtime::cmp::compare_value(#kind, #opt, &#l, &#r))
                }
                other => {
                    let t = self.cond(other);
                    quote!(::rule_runtime::value::Value::Bool(#t))
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenTree;

    /// The deepest nesting of groups (parentheses …) in a token stream.
    fn depth(ts: TokenStream) -> usize {
        ts.into_iter()
            .map(|t| match t {
                TokenTree::Group(g) => 1 + depth(g.stream()),
                _ => 0,
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn long_chains_are_balanced_groups() {
        let operands = |n: u32| (0..n).map(|i| quote!(a.atom(#i))).collect::<Vec<_>>();
        // Up to 16 operands: one group, as before.
        assert_eq!(
            balanced_chain(operands(3), true).to_string(),
            "(a . atom (0u32) && a . atom (1u32) && a . atom (2u32))"
        );
        assert_eq!(balanced_chain(Vec::new(), false).to_string(), "false");
        // 23,000 operands: ⌈log₁₆ 23,000⌉ = 4 levels of groups (each operand's own
        // parentheses add one), in order.
        let chain = balanced_chain(operands(23_000), false);
        assert_eq!(depth(chain.clone()), 5);
        let text = chain.to_string();
        assert_eq!(text.matches("||").count(), 22_999);
        assert!(text.find("(0u32)") < text.find("(22999u32)"));
        assert!(!text.contains("&&"));
    }
}
