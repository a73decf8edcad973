//! Strings generated from a regex, for `regex` / `regex~` leaves.
//!
//! The IR holds patterns already translated from Lucene syntax into the `regex` crate's
//! ([`crate::lucene_regex`]), so the parser here reads the subset that translation emits:
//! flag groups (`(?i)`, `(?s)`), anchors (`\A`, `\z`, `^`, `$`), groups (`(?:…)`, `(…)`),
//! alternation, the quantifiers `* + ? {n} {n,} {n,m}` (lazy `?` suffix allowed),
//! classes `[…]` / `[^…]` with ranges, escapes and Perl classes (`\d \s \w` and their
//! negations), `.`, and escaped or plain literal characters. Anything else makes
//! [`generate`] return `None`, and the caller reports a gap.
//!
//! Generation walks the parsed pattern: literals as written, a class's most "plausible"
//! member (a letter or digit when it has one), a repetition at its minimum or 1, an
//! alternation's first branch (other branches for other variants, or when the first
//! cannot produce a string, as the empty class `[^\s\S]` cannot). Every generated value
//! is still checked against the rule by the interpreter.

#[derive(Debug, Clone)]
enum Re {
    Empty,
    Lit(char),
    Class {
        items: Vec<ClassItem>,
        negated: bool,
    },
    Concat(Vec<Re>),
    Alt(Vec<Re>),
    Repeat {
        inner: Box<Re>,
        min: u32,
        max: Option<u32>,
    },
}

#[derive(Debug, Clone)]
enum ClassItem {
    Range(char, char),
    /// A negated Perl class (`\S`, `\D`, `\W`) inside a class: anything outside these.
    Not(Vec<(char, char)>),
}

const SPACE: &[(char, char)] = &[('\t', '\r'), (' ', ' ')];
const DIGIT: &[(char, char)] = &[('0', '9')];
const WORD: &[(char, char)] = &[('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];

struct Parser {
    chars: Vec<char>,
    i: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        self.i += 1;
        c
    }

    fn alt(&mut self) -> Option<Re> {
        let mut alts = vec![self.concat()?];
        while self.peek() == Some('|') {
            self.i += 1;
            alts.push(self.concat()?);
        }
        Some(if alts.len() == 1 {
            alts.pop()?
        } else {
            Re::Alt(alts)
        })
    }

    fn concat(&mut self) -> Option<Re> {
        let mut items = Vec::new();
        loop {
            match self.peek() {
                None | Some('|') | Some(')') => break,
                _ => {}
            }
            let mut atom = self.atom()?;
            while let Some((min, max)) = self.quantifier()? {
                atom = Re::Repeat {
                    inner: Box::new(atom),
                    min,
                    max,
                };
            }
            items.push(atom);
        }
        Some(Re::Concat(items))
    }

    /// A quantifier after an atom: `Some(Some((min, max)))`, `Some(None)` if there is
    /// none, `None` on a syntax the generator does not know.
    #[allow(clippy::option_option)]
    fn quantifier(&mut self) -> Option<Option<(u32, Option<u32>)>> {
        let q = match self.peek() {
            Some('*') => {
                self.i += 1;
                (0, None)
            }
            Some('+') => {
                self.i += 1;
                (1, None)
            }
            Some('?') => {
                self.i += 1;
                (0, Some(1))
            }
            Some('{') => {
                self.i += 1;
                let mut body = String::new();
                loop {
                    match self.next()? {
                        '}' => break,
                        c => body.push(c),
                    }
                }
                let mut parts = body.splitn(2, ',');
                let min: u32 = parts.next()?.trim().parse().ok()?;
                let max = match parts.next() {
                    None => Some(min),
                    Some(m) if m.trim().is_empty() => None,
                    Some(m) => Some(m.trim().parse().ok()?),
                };
                (min, max)
            }
            _ => return Some(None),
        };
        // A lazy suffix changes nothing about the language.
        if self.peek() == Some('?') {
            self.i += 1;
        }
        Some(Some(q))
    }

    fn atom(&mut self) -> Option<Re> {
        match self.next()? {
            '(' => {
                if self.peek() == Some('?') {
                    self.i += 1;
                    // Flags: `(?i)`, `(?s)`, `(?is:` …
                    loop {
                        match self.next()? {
                            ')' => return Some(Re::Empty),
                            ':' => break,
                            c if c.is_ascii_alphabetic() || c == '-' => {}
                            _ => return None,
                        }
                    }
                }
                let inner = self.alt()?;
                (self.next()? == ')').then_some(inner)
            }
            '[' => self.class(),
            '.' => Some(Re::Class {
                items: Vec::new(),
                negated: true,
            }),
            '^' | '$' => Some(Re::Empty),
            '\\' => self.escape(false).map(|e| match e {
                Escape::Char(c) => Re::Lit(c),
                Escape::Empty => Re::Empty,
                Escape::Class(items, negated) => Re::Class { items, negated },
            }),
            c => Some(Re::Lit(c)),
        }
    }

    fn escape(&mut self, in_class: bool) -> Option<Escape> {
        let c = self.next()?;
        let class = |ranges: &[(char, char)], negated: bool| {
            if negated {
                Escape::Class(vec![ClassItem::Not(ranges.to_vec())], false)
            } else {
                Escape::Class(
                    ranges
                        .iter()
                        .map(|&(a, b)| ClassItem::Range(a, b))
                        .collect(),
                    false,
                )
            }
        };
        Some(match c {
            'A' | 'z' | 'b' | 'B' if !in_class => Escape::Empty,
            'd' => class(DIGIT, false),
            'D' => class(DIGIT, true),
            's' => class(SPACE, false),
            'S' => class(SPACE, true),
            'w' => class(WORD, false),
            'W' => class(WORD, true),
            't' => Escape::Char('\t'),
            'n' => Escape::Char('\n'),
            'r' => Escape::Char('\r'),
            'f' => Escape::Char('\x0C'),
            'v' => Escape::Char('\x0B'),
            'x' => {
                let mut hex = String::new();
                if self.peek() == Some('{') {
                    self.i += 1;
                    loop {
                        match self.next()? {
                            '}' => break,
                            c => hex.push(c),
                        }
                    }
                } else {
                    hex.push(self.next()?);
                    hex.push(self.next()?);
                }
                Escape::Char(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?)
            }
            c if c.is_ascii_alphanumeric() => return None,
            c => Escape::Char(c),
        })
    }

    fn class(&mut self) -> Option<Re> {
        let mut negated = false;
        if self.peek() == Some('^') {
            negated = true;
            self.i += 1;
        }
        let mut items = Vec::new();
        let mut first = true;
        loop {
            let c = self.next()?;
            let lo = match c {
                ']' if !first => break,
                '\\' => match self.escape(true)? {
                    Escape::Char(c) => c,
                    Escape::Class(more, _) => {
                        items.extend(more);
                        first = false;
                        continue;
                    }
                    Escape::Empty => return None,
                },
                '[' => return None,
                c => c,
            };
            first = false;
            // A range `lo-hi` (a `-` before `]` is literal).
            if self.peek() == Some('-') && self.chars.get(self.i + 1).is_some_and(|&n| n != ']') {
                self.i += 1;
                let hi = match self.next()? {
                    '\\' => match self.escape(true)? {
                        Escape::Char(c) => c,
                        _ => return None,
                    },
                    c => c,
                };
                items.push(ClassItem::Range(lo, hi));
            } else {
                items.push(ClassItem::Range(lo, lo));
            }
        }
        Some(Re::Class { items, negated })
    }
}

enum Escape {
    Char(char),
    Empty,
    Class(Vec<ClassItem>, bool),
}

fn class_contains(items: &[ClassItem], negated: bool, c: char) -> bool {
    let inside = items.iter().any(|it| match it {
        ClassItem::Range(a, b) => *a <= c && c <= *b,
        ClassItem::Not(ranges) => !ranges.iter().any(|(a, b)| *a <= c && c <= *b),
    });
    inside != negated
}

/// Characters tried first for a class, in order of plausibility.
const PREFERRED: &[char] = &[
    'a', '1', 'x', 'e', 's', '0', '_', '-', '.', '/', '\\', 'A', 'X', ' ', ':', '=',
];

fn pick_char(items: &[ClassItem], negated: bool, variant: usize) -> Option<char> {
    let n = PREFERRED.len();
    for k in 0..n {
        let c = PREFERRED[(k + variant) % n];
        if class_contains(items, negated, c) {
            return Some(c);
        }
    }
    // The start of a range, then printable ASCII, then a few non-ASCII characters.
    for it in items {
        if let ClassItem::Range(a, _) = it {
            if class_contains(items, negated, *a) {
                return Some(*a);
            }
        }
    }
    ('!'..='~')
        .chain(['é', 'ß', 'ʰ', 'Σ', '\u{2028}'])
        .find(|&c| class_contains(items, negated, c))
}

fn gen(re: &Re, variant: usize, out: &mut String) -> bool {
    match re {
        Re::Empty => true,
        Re::Lit(c) => {
            out.push(*c);
            true
        }
        Re::Class { items, negated } => match pick_char(items, *negated, variant / 2) {
            Some(c) => {
                out.push(c);
                true
            }
            None => false,
        },
        Re::Concat(items) => items.iter().all(|r| gen(r, variant, out)),
        Re::Alt(alts) => {
            let n = alts.len();
            for k in 0..n {
                let len = out.len();
                if gen(&alts[(k + variant) % n], variant, out) {
                    return true;
                }
                out.truncate(len);
            }
            false
        }
        Re::Repeat { inner, min, max } => {
            let want = if variant % 2 == 0 {
                (*min).max(1)
            } else {
                *min
            };
            let count = max.map_or(want, |m| want.min(m));
            (0..count).all(|_| gen(inner, variant, out))
        }
    }
}

/// A string the (translated, anchored) pattern should match; `variant` picks other
/// alternation branches, repetition counts and class members. `None` when the pattern
/// uses syntax this generator does not read, or admits no string.
pub(crate) fn generate(pattern: &str, variant: usize) -> Option<String> {
    let mut p = Parser {
        chars: pattern.chars().collect(),
        i: 0,
    };
    let re = p.alt()?;
    if p.i != p.chars.len() {
        return None;
    }
    let mut out = String::new();
    gen(&re, variant, &mut out).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::generate;
    use crate::lucene_regex::translate;

    fn check(lucene: &str, insensitive: bool) -> String {
        let t = translate(lucene, insensitive).unwrap();
        let re = regex::Regex::new(&t).unwrap();
        for v in 0..4 {
            let s = generate(&t, v).unwrap_or_else(|| panic!("{t}: nothing generated"));
            assert!(re.is_match(&s), "{lucene} ({t}) variant {v}: {s:?}");
        }
        generate(&t, 0).unwrap()
    }

    #[test]
    fn corpus_shapes_generate_matching_strings() {
        assert_eq!(
            check(r"/var/run/\w+\.(pid|lock|reboot)", false),
            "/var/run/a.pid"
        );
        check(r"C:\\Program Files( \(x86\))?\\Steam\\.*", false);
        check(r".*[0-9]{1,3}(\.[0-9]{1,3}){3}.*", false);
        check(r"[a-z0-9_\-][a-z0-9_\-\.]{1,254}", true);
        check(".*[ʰ-˿ᴬ-ᶻ]+.*", false);
        check(r"\d\s\S", false);
        check(r#""a.b"c"#, false);
        check("a@", false);
        check("a~b|#", false);
        check("[^a-z]+x", false);
        check(".*?net1.*?", true);
    }

    #[test]
    fn empty_language_gives_none() {
        let t = translate("#", false).unwrap();
        assert_eq!(generate(&t, 0), None);
    }
}
