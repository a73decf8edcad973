//! KQL leaves as Rust constant expressions (`rule_runtime::kql::KqlTest` statics).

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use rule_runtime::cmp::CmpOp;
use rule_runtime::kql::{Analyzer, Indexing, KqlNumber, KqlTest, Query};

fn cow_str(s: &str) -> TokenStream {
    quote!(::std::borrow::Cow::Borrowed(#s))
}

fn cow_strs(ts: &[std::borrow::Cow<'static, str>]) -> TokenStream {
    let items = ts.iter().map(|t| cow_str(t));
    quote!(::std::borrow::Cow::Borrowed(&[#(#items),*]))
}

fn op(o: CmpOp) -> TokenStream {
    match o {
        CmpOp::Eq => quote!(::rule_runtime::cmp::CmpOp::Eq),
        CmpOp::Lt => quote!(::rule_runtime::cmp::CmpOp::Lt),
        CmpOp::Le => quote!(::rule_runtime::cmp::CmpOp::Le),
        CmpOp::Gt => quote!(::rule_runtime::cmp::CmpOp::Gt),
        CmpOp::Ge => quote!(::rule_runtime::cmp::CmpOp::Ge),
    }
}

fn analyzer(a: Analyzer) -> TokenStream {
    match a {
        Analyzer::Standard => quote!(::rule_runtime::kql::Analyzer::Standard),
        Analyzer::PowershellScript => quote!(::rule_runtime::kql::Analyzer::PowershellScript),
    }
}

fn indexing(i: Indexing) -> TokenStream {
    match i {
        Indexing::Keyword { lowercase } => {
            quote!(::rule_runtime::kql::Indexing::Keyword { lowercase: #lowercase })
        }
        Indexing::Text(a) => {
            let a = analyzer(a);
            quote!(::rule_runtime::kql::Indexing::Text(#a))
        }
        Indexing::Integer => quote!(::rule_runtime::kql::Indexing::Integer),
        Indexing::Float => quote!(::rule_runtime::kql::Indexing::Float),
        Indexing::Ip => quote!(::rule_runtime::kql::Indexing::Ip),
        Indexing::Boolean => quote!(::rule_runtime::kql::Indexing::Boolean),
        Indexing::Dynamic => quote!(::rule_runtime::kql::Indexing::Dynamic),
        Indexing::Presence => quote!(::rule_runtime::kql::Indexing::Presence),
    }
}

fn number(n: KqlNumber) -> TokenStream {
    match n {
        KqlNumber::Int(i) => {
            let i = Literal::i64_unsuffixed(i);
            quote!(::rule_runtime::kql::KqlNumber::Int(#i))
        }
        KqlNumber::Float(f) => {
            let f = Literal::f64_unsuffixed(f);
            quote!(::rule_runtime::kql::KqlNumber::Float(#f))
        }
    }
}

fn query(q: &Query) -> TokenStream {
    match q {
        Query::Exists => quote!(::rule_runtime::kql::Query::Exists),
        Query::Term(t) => {
            let t = cow_str(t);
            quote!(::rule_runtime::kql::Query::Term(#t))
        }
        Query::Wildcard {
            pattern,
            case_insensitive,
        } => {
            let p = cow_str(pattern);
            quote!(::rule_runtime::kql::Query::Wildcard { pattern: #p, case_insensitive: #case_insensitive })
        }
        Query::AnyToken(ts) => {
            let ts = cow_strs(ts);
            quote!(::rule_runtime::kql::Query::AnyToken(#ts))
        }
        Query::Phrase(ts) => {
            let ts = cow_strs(ts);
            quote!(::rule_runtime::kql::Query::Phrase(#ts))
        }
        Query::TokenWildcard(p) => {
            let p = cow_str(p);
            quote!(::rule_runtime::kql::Query::TokenWildcard(#p))
        }
        Query::Number { op: o, value } => {
            let (o, v) = (op(*o), number(*value));
            quote!(::rule_runtime::kql::Query::Number { op: #o, value: #v })
        }
        Query::IpIn { lo, hi } => {
            let (lo, hi) = (Literal::u128_unsuffixed(*lo), Literal::u128_unsuffixed(*hi));
            quote!(::rule_runtime::kql::Query::IpIn { lo: #lo, hi: #hi })
        }
        Query::IpRange { op: o, value } => {
            let (o, v) = (op(*o), Literal::u128_unsuffixed(*value));
            quote!(::rule_runtime::kql::Query::IpRange { op: #o, value: #v })
        }
        Query::Bool(b) => quote!(::rule_runtime::kql::Query::Bool(#b)),
        Query::TextRange { op: o, value } => {
            let (o, v) = (op(*o), cow_str(value));
            quote!(::rule_runtime::kql::Query::TextRange { op: #o, value: #v })
        }
        Query::DynamicTerm(t) => {
            let t = cow_str(t);
            quote!(::rule_runtime::kql::Query::DynamicTerm(#t))
        }
        Query::AnyOf(qs) => {
            let items = qs.iter().map(query);
            quote!(::rule_runtime::kql::Query::AnyOf(::std::borrow::Cow::Borrowed(&[#(#items),*])))
        }
    }
}

/// The test as a constant expression.
pub(super) fn test_tokens(t: &KqlTest) -> TokenStream {
    let i = indexing(t.indexing);
    let ia = match t.ignore_above {
        Some(n) => {
            let n = Literal::u32_unsuffixed(n);
            quote!(::std::option::Option::Some(#n))
        }
        None => quote!(::std::option::Option::None),
    };
    let q = query(&t.query);
    quote!(::rule_runtime::kql::KqlTest { indexing: #i, ignore_above: #ia, query: #q })
}
