//! `eqlc`: compile Elastic EQL detection rules into fast, tested matchers.

use rule_compiler::ruleset::check_paths;
use rule_compiler::schema::Schema;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
eqlc: compile Elastic EQL detection rules into fast, tested Rust matchers

USAGE:
    eqlc check [--schema PATH] [--quiet] [PATH…]
        Load, parse and check rule files (detection-rules *.toml, bare *.eql);
        PATH is a file or a folder (walked recursively), default `rules/`.
        --schema PATH  a field schema (ECS flat JSON, detection-rules non-ECS JSON,
                       optionally .gz) or a folder of them: warns about unknown fields
                       and literals whose type cannot match
        --quiet        print only errors and the summary line
        Exit status 0 iff no rule failed.

    eqlc help
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("check") => check(&args[1..]),
        Some("help" | "--help" | "-h") | None => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("eqlc: unknown command `{other}`\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn check(args: &[String]) -> ExitCode {
    let mut paths = Vec::new();
    let mut schema_path = None;
    let mut quiet = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--schema" => match it.next() {
                Some(p) => schema_path = Some(PathBuf::from(p)),
                None => return usage_error("--schema needs a path"),
            },
            "--quiet" | "-q" => quiet = true,
            "--help" | "-h" => {
                print!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            s if s.starts_with('-') => return usage_error(&format!("unknown option `{s}`")),
            p => paths.push(PathBuf::from(p)),
        }
    }
    if paths.is_empty() {
        paths.push(PathBuf::from("rules"));
    }
    let schema = match schema_path.map(|p| Schema::load(&p)).transpose() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("eqlc: cannot load the schema: {e}");
            return ExitCode::from(2);
        }
    };
    for p in &paths {
        if !p.exists() {
            eprintln!("eqlc: {}: no such file or folder", p.display());
            return ExitCode::from(2);
        }
    }
    let report = match check_paths(&paths, schema.as_ref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("eqlc: cannot read the rules: {e}");
            return ExitCode::from(2);
        }
    };
    for f in &report.files {
        if f.diagnostics.is_empty() || (quiet && !f.has_errors()) {
            continue;
        }
        let name = f.path.display().to_string();
        for d in &f.diagnostics {
            if quiet && !d.is_error() {
                continue;
            }
            println!("{}", d.render(&name, &f.text));
        }
    }
    println!("{}", report.summary());
    if report.failed() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("eqlc: {msg}\n\n{USAGE}");
    ExitCode::from(2)
}
