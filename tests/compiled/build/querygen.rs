//! The random rules: a seeded, deterministic generator of EQL query texts over the field
//! vocabulary of `src/plant.rs`. Candidate `i` is built around a theme (`i` modulo the
//! number of themes: one operator family or function; `i` modulo 5: a query shape), so that every
//! feature appears however few candidates survive the checks.

use crate::plant::Rng;

/// A string as an EQL literal (double-quoted, `\` and `"` escaped).
fn q(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

const STR_FIELDS: &[&str] = &[
    "process.name",
    "process.parent.name",
    "user.name",
    "host.id",
    "file.path",
    "process.args",
];

fn str_values(field: &str) -> &'static [&'static str] {
    match field {
        "process.name" => &[
            "cmd.exe",
            "powershell.exe",
            "rundll32.exe",
            "ÄRZTE.EXE",
            "ΣΊΓΜΑ",
            "svchost.exe",
        ],
        "process.parent.name" => &["explorer.exe", "cmd.exe", "WINWORD.EXE"],
        "user.name" => &["root", "Admin", "bob", "ÄRZTE"],
        "host.id" => &["h1", "h2", "h3"],
        "file.path" => &[
            "C:\\Windows\\System32\\cmd.exe",
            "/tmp/x.sh",
            "/etc/passwd",
            "C:\\Users\\bob\\ÄRZTE.doc",
        ],
        "process.args" => &["-enc", "whoami", "/c", "ΣΊΓΜΑ"],
        _ => &["x"],
    }
}

/// A wildcard pattern derived from a value: exact, prefix, suffix, contains or general.
fn pattern(v: &str, rng: &mut Rng) -> String {
    let chars: Vec<char> = v.chars().collect();
    let n = chars.len();
    let take = |a: usize, b: usize| chars[a.min(n)..b.min(n)].iter().collect::<String>();
    let p = match rng.below(6) {
        0 => v.to_string(),
        1 => format!("{}*", take(0, 3)),
        2 => format!("*{}", take(n.saturating_sub(4), n)),
        3 => format!("*{}*", take(1, 4)),
        4 => format!("{}?{}*", take(0, 1), take(2, 4)),
        _ => format!("*{}*{}", take(0, 2), take(n.saturating_sub(2), n)),
    };
    if rng.chance(1, 3) {
        p.to_uppercase()
    } else {
        p
    }
}

fn patterns(field: &str, rng: &mut Rng) -> String {
    let vals = str_values(field);
    if rng.chance(1, 2) {
        q(&pattern(rng.pick::<&str>(vals), rng))
    } else {
        let k = 2 + rng.below(2);
        let ps: Vec<String> = (0..k)
            .map(|_| q(&pattern(rng.pick::<&str>(vals), rng)))
            .collect();
        format!("({})", ps.join(", "))
    }
}

const REGEXES: &[(&str, &str)] = &[
    ("process.name", "[a-z]+\\.exe"),
    ("process.name", "c.d\\.exe"),
    ("process.name", "(cmd|powershell)\\.exe"),
    ("process.name", "Σ.*"),
    ("user.name", "[A-Z].*"),
    ("file.path", ".*\\\\System32\\\\.*"),
    ("source.ip", "10\\..*"),
    ("process.args", "-[a-z]+"),
];

/// One leaf of theme `t` (or a random theme).
fn leaf(t: usize, rng: &mut Rng) -> String {
    let f = *rng.pick(STR_FIELDS);
    let v = *rng.pick(str_values(f));
    match t {
        // Comparisons with strings, numbers, null.
        0 => {
            let op = *rng.pick(&["==", "!=", "<", "<=", ">", ">="]);
            match rng.below(4) {
                0 => format!("{f} {op} {}", q(v)),
                1 => format!(
                    "{} {op} {}",
                    rng.pick(&["event.code", "process.pid", "destination.port"]),
                    rng.pick(&["7", "100", "443", "4624", "\"7\"", "\"443\"", "1.5", "-1"])
                ),
                2 => format!("{f} {} null", rng.pick(&["==", "!="])),
                _ => format!("{} {op} {}", f, q(rng.pick::<&str>(&["m", "C", "ä", "Σ"]))),
            }
        }
        1 => format!("{f} : {}", patterns(f, rng)),
        2 => format!("{f} {} {}", rng.pick(&["like", "like~"]), patterns(f, rng)),
        3 => {
            let (f, re) = *rng.pick(REGEXES);
            format!("{f} {} \"\"\"{re}\"\"\"", rng.pick(&["regex", "regex~"]))
        }
        4 => {
            let op = *rng.pick(&["in", "in~", "not in", "not in~"]);
            if rng.chance(1, 3) {
                format!("event.code {op} (7, \"4624\", 1)")
            } else {
                let vals = str_values(f);
                let k = 1 + rng.below(3);
                let items: Vec<String> = (0..k)
                    .map(|_| {
                        let s = *rng.pick(vals);
                        q(&if rng.chance(1, 3) {
                            s.to_lowercase()
                        } else {
                            s.to_string()
                        })
                    })
                    .collect();
                format!("{f} {op} ({})", items.join(", "))
            }
        }
        5 => {
            let s = *rng.pick(&["cmd", "ÄRZ", "ärz", "exe", ".EXE", "σ", "ΣΊ"]);
            match rng.below(13) {
                0 => format!(
                    "length({f}) {} {}",
                    rng.pick(&[">", "==", "<="]),
                    rng.pick(&["5", "7", "11"])
                ),
                1 => format!("startsWith~({f}, {})", q(s)),
                2 => format!("endsWith({f}, {})", q(s)),
                3 => format!("stringContains~({f}, {})", q(s)),
                4 => format!(
                    "concat(user.name, \"@\", host.id) == {}",
                    q(rng.pick::<&str>(&["bob@h1", "root@h2", "Admin@h3"]))
                ),
                5 => format!(
                    "substring({f}, 0, 3) == {}",
                    q(rng.pick::<&str>(&["cmd", "pow", "ÄRZ", "C:\\"]))
                ),
                6 => format!("number(event.code) {} 7", rng.pick(&["==", ">"])),
                7 => format!(
                    "string(process.pid) == {}",
                    q(rng.pick::<&str>(&["100", "4", "7.5"]))
                ),
                8 => format!(
                    "cidrMatch(source.ip, {})",
                    rng.pick(&["\"10.0.0.0/8\"", "\"192.168.0.0/16\", \"::1/128\""])
                ),
                9 => format!(
                    "between(file.path, \"\\\\\", \".\") == {}",
                    q(rng.pick::<&str>(&["Windows", "Users", ""]))
                ),
                10 => format!(
                    "indexOf~({f}, {}) {} {}",
                    q(s),
                    rng.pick(&["==", ">=", "<"]),
                    rng.pick(&["0", "2", "3"])
                ),
                11 => format!(
                    "{}(process.pid, {}) {} {}",
                    rng.pick(&["add", "modulo", "divide"]),
                    rng.pick(&["1", "2", "4", "0"]),
                    rng.pick(&["==", ">", "<"]),
                    rng.pick(&["0", "1", "50", "101"])
                ),
                _ => format!(
                    "startsWith({f}, {}) == {}",
                    q(s),
                    rng.pick(&["true", "false"])
                ),
            }
        }
        6 => match rng.below(4) {
            0 => format!("process.pid * 2 {} 200", rng.pick(&[">", "==", "<"])),
            1 => format!("process.pid + 1 == {}", rng.pick(&["101", "5", "1235"])),
            2 => format!("-process.pid < {}", rng.pick(&["0", "-50"])),
            _ => format!("(process.pid % 4) == {}", rng.pick(&["0", "3"])),
        },
        // Long lists: the rule set's index merges them with every other rule's literals.
        7 => {
            let op = *rng.pick(&[":", "like~", "like", "in", "in~", "not in"]);
            let vals = str_values(f);
            let k = 8 + rng.below(5);
            let items: Vec<String> = (0..k)
                .map(|j| {
                    let base = vals[j % vals.len()];
                    let v = if op.starts_with("in") || op == "not in" {
                        match j % 5 {
                            0 => base.to_uppercase(),
                            1 => format!("{base}{j}"),
                            _ => base.to_string(),
                        }
                    } else {
                        pattern(base, rng)
                    };
                    q(&v)
                })
                .collect();
            if op.contains("in") && rng.chance(1, 3) {
                format!(
                    "{} {op} (\"10.0.0.1\", \"::1\", 7, \"443\", 4624, \"192.168.1.10\", \"0:0::2\", 1.5, true)",
                    rng.pick(&["source.ip", "event.code", "destination.port"])
                )
            } else {
                format!("{f} {op} ({})", items.join(", "))
            }
        }
        // Fields typed by the schema (date, version) and IP addresses.
        8 => match rng.below(6) {
            0 => format!(
                "event.created {} {}",
                rng.pick(&[">=", "<", "=="]),
                rng.pick(&[
                    "1700000000000",
                    "\"2023-11-14T22:13:20.000Z\"",
                    "1700000000500"
                ])
            ),
            1 => format!(
                "package.version {} {}",
                rng.pick(&["<", ">=", "=="]),
                q(rng.pick::<&str>(&["1.2.0", "1.10.1", "2.0.0-beta"]))
            ),
            2 => format!(
                "source.ip {} {}",
                rng.pick(&["==", "!="]),
                q(rng.pick::<&str>(&["10.0.0.1", "::ffff:10.0.0.1", "::1", "0:0::1"]))
            ),
            3 => format!(
                "source.ip in ({})",
                ["\"10.0.0.1\"", "\"::1\"", "\"192.168.1.10\""].join(", ")
            ),
            4 => format!(
                "source.ip : {}",
                q(rng.pick::<&str>(&["10.*", "*:*", "192.168.?.10"]))
            ),
            _ => format!(
                "package.version in ({})",
                ["\"1.2.0\"", "\"1.10.1\"", "\"2.0.0-beta\""].join(", ")
            ),
        },
        // Optional fields.
        _ => match rng.below(3) {
            0 => format!("?process.title {} null", rng.pick(&["==", "!="])),
            1 => format!("?process.title : {}", q(rng.pick::<&str>(&["x*", "T*"]))),
            _ => format!(
                "?user.domain {} {}",
                rng.pick(&["==", "!=", ":"]),
                q(rng.pick::<&str>(&["corp", "CORP"]))
            ),
        },
    }
}

const LEAF_THEMES: usize = 10;

/// A condition: theme leaf `t` combined with `and`/`or`/`not` and random leaves.
fn cond(t: usize, depth: usize, rng: &mut Rng) -> String {
    let first = leaf(t, rng);
    if depth == 0 || rng.chance(1, 3) {
        return first;
    }
    let other = cond(rng.below(LEAF_THEMES), depth - 1, rng);
    match rng.below(5) {
        0 | 1 => format!("{first} and {other}"),
        2 => format!("{first} or {other}"),
        3 => format!("not ({first}) and ({other})"),
        _ => format!(
            "({first} or {other}) and not {}",
            leaf(rng.below(LEAF_THEMES), rng)
        ),
    }
}

fn category(rng: &mut Rng) -> &'static str {
    rng.pick::<&str>(&["process", "process", "file", "network", "any"])
}

fn stage(t: usize, rng: &mut Rng) -> String {
    format!("{} where {}", category(rng), cond(t, 1, rng))
}

const KEYS: &[&str] = &[
    "host.id",
    "user.name",
    "process.pid",
    "process.args",
    "?user.domain",
];

/// Candidate `i`'s query text.
pub fn query(i: usize, rng: &mut Rng) -> String {
    let t = i % LEAF_THEMES;
    let pipe = |rng: &mut Rng| match rng.below(5) {
        0 => format!(" | head {}", 1 + rng.below(3)),
        1 => format!(" | tail {}", 1 + rng.below(3)),
        2 => format!(" | head {} | tail 1", 2 + rng.below(3)),
        _ => String::new(),
    };
    // Shapes cycle with period 5 and themes with period 10: every pairing in 50.
    match i % 5 {
        0 | 1 => {
            let p = pipe(rng);
            format!("{} where {}{p}", category(rng), cond(t, 2, rng))
        }
        2 | 3 => {
            // Sequences: top-level and per-stage keys, maxspan, until, runs, missing.
            let top = if rng.chance(2, 3) {
                format!("by {} ", rng.pick(KEYS))
            } else {
                String::new()
            };
            let per_stage = rng
                .chance(1, 3)
                .then(|| *rng.pick(&["host.id", "user.name", "?user.domain"]));
            let missing = rng.chance(1, 3);
            let maxspan = if missing || rng.chance(1, 2) {
                format!(
                    "with maxspan={} ",
                    rng.pick(&["10ms", "50ms", "100ms", "1s"])
                )
            } else {
                String::new()
            };
            let n = 2 + rng.below(2);
            let missing_at = missing.then(|| rng.below(n + 1));
            let mut stages = Vec::new();
            for j in 0..n {
                if missing_at == Some(j) {
                    stages.push(format!(
                        "![{}]{}",
                        stage(rng.below(LEAF_THEMES), rng),
                        by(per_stage)
                    ));
                }
                let runs = if rng.chance(1, 6) { " with runs=2" } else { "" };
                let th = if j == 0 { t } else { rng.below(LEAF_THEMES) };
                stages.push(format!("[{}]{}{runs}", stage(th, rng), by(per_stage)));
            }
            if missing_at == Some(n) {
                stages.push(format!(
                    "![{}]{}",
                    stage(rng.below(LEAF_THEMES), rng),
                    by(per_stage)
                ));
            }
            let until = if rng.chance(1, 4) {
                format!(
                    " until [{}]{}",
                    stage(rng.below(LEAF_THEMES), rng),
                    by(per_stage)
                )
            } else {
                String::new()
            };
            let p = pipe(rng);
            format!("sequence {top}{maxspan}{}{until}{p}", stages.join(" "))
        }
        _ => {
            // Samples: 2–3 filters, top-level and/or per-filter keys, no pipes.
            let per_stage = rng
                .chance(1, 3)
                .then(|| *rng.pick(&["user.name", "?user.domain"]));
            let top = if per_stage.is_none() || rng.chance(1, 2) {
                format!(
                    "by {} ",
                    rng.pick(&["host.id", "user.name", "process.args", "?user.domain"])
                )
            } else {
                String::new()
            };
            let n = 2 + rng.below(2);
            let stages: Vec<String> = (0..n)
                .map(|j| {
                    let th = if j == 0 { t } else { rng.below(LEAF_THEMES) };
                    format!("[{}]{}", stage(th, rng), by(per_stage))
                })
                .collect();
            format!("sample {top}{}", stages.join(" "))
        }
    }
}

fn by(key: Option<&str>) -> String {
    key.map_or_else(String::new, |k| format!(" by {k}"))
}
