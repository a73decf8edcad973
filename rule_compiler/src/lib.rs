//! eqlc's compiler: everything between a rule file and the code that matches it.
//!
//! ```text
//! rules/*.toml ─source─▶ RuleSource ─parser─▶ ast::Query ─checker─▶ checked query
//!                          │                                          │
//!                     diagnostics (file:line:col)                     ▼
//!                                                          IR ─▶ codegen / interpreter
//! ```
//!
//! * [`source`]: load detection-rules TOML files and bare `.eql` files, keep all keys,
//!   map offsets inside the query back to the file.
//! * [`parser`]: the pest grammar (`eql.pest`) and the AST builder.
//! * [`checker`]: what parses but Elasticsearch would reject, and schema warnings.
//! * [`diagnostic`]: errors and warnings with `file:line:col`, a snippet and a caret.
//! * [`ir`]: the checked query lowered to plain data for the back ends.
//! * [`kql`]: the KQL front end (Kibana's `kuery` rules): parser, typed lowering to the IR.
//! * [`plan`]: the rule set as one unit: its atoms and each rule's required disjunction.
//! * [`codegen`]: the IR as specialised Rust (the proc-macro's and `cargo xtask generate`'s).
//! * [`gen`]: events generated from a rule: matching examples and near misses.
//! * [`explain`]: why a rule did (not) match some events, per event, stage and condition.
//! * [`printer`]: the AST printed back to EQL.
//! * [`lucene_regex`]: Lucene regexps (EQL `regex`) translated for the `regex` crate.

pub mod ast;
pub mod checker;
pub mod codegen;
pub mod diagnostic;
pub mod explain;
pub mod functions;
pub mod gen;
pub mod interpreter;
pub mod ir;
pub mod kql;
pub mod lucene_regex;
pub mod parser;
pub mod plan;
pub mod printer;
pub mod ruleset;
pub mod schema;
pub mod source;

pub use diagnostic::{Code, Diagnostic, Severity};
pub use parser::parse_query;
