//! Lucene regular expressions (what EQL's `regex` / `regex~` take) translated to the
//! syntax of the `regex` crate, anchored to the whole value (eql-semantics.md J.6).
//!
//! Lucene's syntax (`org.apache.lucene.util.automaton.RegExp`, default flags):
//! `.` any character; `?` `*` `+` `{n}` `{n,}` `{n,m}`; `|`; `( )`; classes `[a-z]`,
//! `[^…]`; `"…"` a quoted literal; `\c` the character `c` literally, except the classes
//! `\d \D \s \S \w \W` (ASCII, Lucene ≥ 8.6); `@` any string; `#` the empty language.
//! `~` (complement) is not enabled by default since Lucene 10 and is a literal here.
//! Intersection `&` and numeric intervals `<1-10>` have no faithful translation in
//! eqlc yet: they are errors naming the construct, never silent approximations.
//! Everything else is a literal character, escaped for the `regex` crate. The result
//! matches the whole value (`\A(?:…)\z`), and `.` matches newlines, as in Lucene.

/// Why a Lucene pattern cannot be translated: a message and the byte offset in the
/// pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranslateError {
    pub offset: usize,
    pub message: String,
}

fn err<T>(offset: usize, message: impl Into<String>) -> Result<T, TranslateError> {
    Err(TranslateError {
        offset,
        message: message.into(),
    })
}

const DIGIT: &str = "0-9";
const SPACE: &str = "\\t\\n\\x0B\\x0C\\r ";
const WORD: &str = "0-9A-Za-z_";

/// Translate a Lucene regexp into an anchored `regex`-crate pattern. With
/// `insensitive`, the pattern is prefixed with `(?i)` (Unicode simple case folding).
pub fn translate(pattern: &str, insensitive: bool) -> Result<String, TranslateError> {
    let mut out = String::with_capacity(pattern.len() + 16);
    out.push_str(if insensitive { "(?i)" } else { "" });
    out.push_str("(?s)\\A(?:");
    let chars: Vec<(usize, char)> = pattern.char_indices().collect();
    let mut i = 0;
    let mut depth = 0usize;
    while i < chars.len() {
        let (off, c) = chars[i];
        match c {
            '\\' => {
                let Some(&(_, n)) = chars.get(i + 1) else {
                    return err(off, "a trailing `\\` escapes nothing");
                };
                match class_escape(n) {
                    Some(class) => out.push_str(&class),
                    None => push_literal(&mut out, n),
                }
                i += 2;
                continue;
            }
            '"' => {
                // A quoted literal string.
                let mut j = i + 1;
                while j < chars.len() && chars[j].1 != '"' {
                    push_literal(&mut out, chars[j].1);
                    j += 1;
                }
                if j >= chars.len() {
                    return err(off, "unterminated `\"` literal");
                }
                i = j + 1;
                continue;
            }
            '[' => {
                i = class(&chars, i, &mut out)?;
                continue;
            }
            '(' => {
                depth += 1;
                out.push_str("(?:");
            }
            ')' => {
                if depth == 0 {
                    return err(off, "unbalanced `)`");
                }
                depth -= 1;
                out.push(')');
            }
            '{' => {
                // {n}, {n,}, {n,m}
                let mut j = i + 1;
                let mut body = String::new();
                while j < chars.len() && chars[j].1 != '}' {
                    body.push(chars[j].1);
                    j += 1;
                }
                let valid = j < chars.len()
                    && !body.is_empty()
                    && body.split(',').count() <= 2
                    && body
                        .split(',')
                        .enumerate()
                        .all(|(k, p)| (k == 1 && p.is_empty()) || p.parse::<u32>().is_ok_and(|n| n <= 1000));
                if !valid {
                    return err(off, "a repetition must be `{n}`, `{n,}` or `{n,m}` with n, m ≤ 1000");
                }
                out.push('{');
                out.push_str(&body);
                out.push('}');
                i = j + 1;
                continue;
            }
            '.' => out.push('.'),
            '?' | '*' | '+' | '|' => out.push(c),
            '@' => out.push_str("(?:.*)"),
            '#' => out.push_str("[^\\s\\S]"),
            '&' => {
                return err(
                    off,
                    "Lucene intersection `&` has no translation in eqlc; escape it as `\\&` if you mean the character",
                )
            }
            '<' => {
                return err(
                    off,
                    "Lucene numeric intervals `<n-m>` are not supported by eqlc; spell the numbers out, or escape `\\<`",
                )
            }
            c => push_literal(&mut out, c),
        }
        i += 1;
    }
    if depth != 0 {
        return err(pattern.len(), "unbalanced `(`");
    }
    out.push_str(")\\z");
    // The regex crate must accept what we produced (e.g. `a**` or `|*` quirks).
    if let Err(e) = regex::Regex::new(&out) {
        return err(0, format!("the pattern does not compile: {e}"));
    }
    Ok(out)
}

fn class_escape(c: char) -> Option<String> {
    Some(match c {
        'd' => format!("[{DIGIT}]"),
        'D' => format!("[^{DIGIT}]"),
        's' => format!("[{SPACE}]"),
        'S' => format!("[^{SPACE}]"),
        'w' => format!("[{WORD}]"),
        'W' => format!("[^{WORD}]"),
        _ => return None,
    })
}

fn push_literal(out: &mut String, c: char) {
    let mut buf = [0u8; 4];
    out.push_str(&regex::escape(c.encode_utf8(&mut buf)));
}

/// A character class starting at `chars[start] == '['`; returns the index after `]`.
fn class(chars: &[(usize, char)], start: usize, out: &mut String) -> Result<usize, TranslateError> {
    let open = chars[start].0;
    let mut i = start + 1;
    out.push('[');
    if chars.get(i).map(|c| c.1) == Some('^') {
        out.push('^');
        i += 1;
    }
    let mut empty = true;
    while i < chars.len() {
        let c = chars[i].1;
        match c {
            ']' if !empty => {
                out.push(']');
                return Ok(i + 1);
            }
            '\\' => {
                let Some(&(_, n)) = chars.get(i + 1) else {
                    return err(chars[i].0, "a trailing `\\` escapes nothing");
                };
                match n {
                    'd' => out.push_str(DIGIT),
                    's' => out.push_str(SPACE),
                    'w' => out.push_str(WORD),
                    'D' | 'S' | 'W' => {
                        return err(
                            chars[i].0,
                            format!(
                                "`\\{n}` inside a character class is not supported; use `[^…]`"
                            ),
                        )
                    }
                    n => push_class_literal(out, n),
                }
                i += 2;
            }
            '-' if !empty && chars.get(i + 1).is_some_and(|n| n.1 != ']') => {
                out.push('-');
                i += 1;
            }
            c => {
                push_class_literal(out, c);
                i += 1;
            }
        }
        empty = false;
    }
    err(open, "unterminated character class `[`")
}

fn push_class_literal(out: &mut String, c: char) {
    if matches!(c, '\\' | ']' | '[' | '^' | '-' | '&' | '~') {
        out.push('\\');
    }
    out.push(c);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, text: &str) -> bool {
        let re = regex::Regex::new(&translate(pattern, false).unwrap()).unwrap();
        re.is_match(text)
    }

    #[test]
    fn anchored_whole_value() {
        assert!(m("abc", "abc"));
        assert!(!m("abc", "xabc"));
        assert!(!m("abc", "abcx"));
        assert!(m(".*net1.*", "cmd /c net1 user"));
        assert!(m("a|b", "b"));
        assert!(!m("a|b", "ab"));
    }

    #[test]
    fn corpus_shapes() {
        assert!(m(r"/var/run/\w+\.(pid|lock|reboot)", "/var/run/abc_1.pid"));
        assert!(!m(r"/var/run/\w+\.(pid|lock|reboot)", "/var/run/a-b.pid"));
        assert!(m(
            r"C:\\Program Files( \(x86\))?\\Steam\\.*",
            r"C:\Program Files (x86)\Steam\x.exe"
        ));
        assert!(m(r".*[0-9]{1,3}(\.[0-9]{1,3}){3}.*", "curl 10.1.2.3/x"));
        assert!(m(r"[a-z0-9_\-][a-z0-9_\-\.]{1,254}", "a-b.c"));
        assert!(m(".*[ʰ-˿ᴬ-ᶻ]+.*", "xʰy"));
        assert!(m(r"\d\s\S", "1 x"));
        assert!(m(r#""a.b"c"#, "a.bc"));
        assert!(!m(r#""a.b"c"#, "axbc"));
        assert!(m("a@", "anything"));
        assert!(!m("#", ""));
        assert!(m("a~b", "a~b"));
        assert!(m(".", "\n"));
    }

    #[test]
    fn case_insensitive() {
        let re = regex::Regex::new(&translate("ÄRZTE.*", true).unwrap()).unwrap();
        assert!(re.is_match("ärzte und"));
    }

    #[test]
    fn untranslatable_constructs_are_errors() {
        assert!(translate("a&b", false)
            .unwrap_err()
            .message
            .contains("intersection"));
        assert!(translate("<1-10>", false)
            .unwrap_err()
            .message
            .contains("interval"));
        assert!(translate("(a", false).is_err());
        assert!(translate("a)", false).is_err());
        assert!(translate("[a", false).is_err());
        assert!(translate("a{2,x}", false).is_err());
        assert!(translate("\\", false).is_err());
    }
}
