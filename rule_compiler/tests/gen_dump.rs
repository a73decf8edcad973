//! Prints what the generator makes of corpus rules (a debugging aid, ignored by default):
//! `EQLC_GEN_RULES=name1,name2 cargo test -p rule_compiler --test gen_dump -- --ignored --nocapture`
//! (substrings of rule file names; `EQLC_GEN_EVENTS=1` prints the events too).

use std::path::Path;

use rule_compiler::gen::{generate, GenOptions};

#[test]
#[ignore]
fn dump() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/detection-rules-eql");
    let wanted: Vec<String> = std::env::var("EQLC_GEN_RULES")
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let events = std::env::var("EQLC_GEN_EVENTS").is_ok();
    let (rules, _) = rule_compiler::codegen::rules_from_dir(&dir).expect("corpus");
    for r in rules
        .iter()
        .filter(|r| wanted.iter().any(|w| r.file.contains(w.as_str())))
    {
        let g = generate(&r.ir, &GenOptions::default());
        println!("=== {}\n{}", r.file, r.query);
        for c in &g.cases {
            println!("  {} {:?}", c.name, c.expect);
            if events {
                for e in &c.events {
                    println!("      {e}");
                }
            }
        }
        for gap in &g.gaps {
            println!("  GAP {} — {}", gap.what, gap.reason);
        }
    }
}
