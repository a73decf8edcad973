//! Per-code-point case folding (eql-semantics.md J.8).
//!
//! Case-insensitive operators (`:`, `like~`, `in~`, `regex~` is the regex crate's own
//! business) and the `~` functions compare *folded* text. Folding here is **simple** case
//! folding: every code point maps to exactly one code point, so a string keeps its number
//! of characters and a wildcard `?` still matches exactly one character after folding.
//! `str::to_lowercase` is never used (it applies full mappings such as `İ` → `i̇`, two
//! characters, and is context-sensitive for final sigma).
//!
//! The mapping, [`fold_char`]:
//! * ASCII: `A`–`Z` → `a`–`z` (fast path, no table lookup);
//! * every other code point whose [`char::to_lowercase`] is exactly one code point maps to
//!   that code point (`Ä` → `ä`, `Σ` → `σ`, the Kelvin sign `K` → `k`);
//! * the code points whose simple case folding (Unicode `CaseFolding.txt`, status C/S)
//!   differs from their lowercase are special-cased so that case variants still meet:
//!   final sigma `ς` → `σ`, long s `ſ` → `s`, micro sign `µ` → `μ`, the Greek symbol forms
//!   `ϐ ϑ ϕ ϖ ϰ ϱ ϵ` → `β θ φ π κ ρ ε`, `ẛ` → `ṡ`, `ι` (U+1FBE) and the combining
//!   ypogegrammeni (U+0345) → `ι`;
//! * `İ` (U+0130), the one code point whose lowercase is two code points, maps to `i`, its
//!   simple lowercase mapping in `UnicodeData.txt` (what Java's `Character.toLowerCase`
//!   returns);
//! * everything else is kept unchanged.
//!
//! The mapping is idempotent (`fold_char(fold_char(c)) == fold_char(c)`), so text folded
//! once (a pattern at build time) can be compared with text folded on the fly.

use std::borrow::Cow;

/// Folds one code point (see the module documentation for the exact mapping).
#[inline]
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    match c {
        'ς' => 'σ',
        '\u{17F}' => 's',         // ſ LATIN SMALL LETTER LONG S
        '\u{B5}' => '\u{3BC}',    // µ MICRO SIGN → μ
        '\u{3D0}' => '\u{3B2}',   // ϐ → β
        '\u{3D1}' => '\u{3B8}',   // ϑ → θ
        '\u{3D5}' => '\u{3C6}',   // ϕ → φ
        '\u{3D6}' => '\u{3C0}',   // ϖ → π
        '\u{3F0}' => '\u{3BA}',   // ϰ → κ
        '\u{3F1}' => '\u{3C1}',   // ϱ → ρ
        '\u{3F5}' => '\u{3B5}',   // ϵ → ε
        '\u{1E9B}' => '\u{1E61}', // ẛ → ṡ
        '\u{1FBE}' => '\u{3B9}',  // ι GREEK PROSGEGRAMMENI → ι
        '\u{345}' => '\u{3B9}',   // COMBINING GREEK YPOGEGRAMMENI → ι
        '\u{130}' => 'i',         // İ: simple lowercase mapping
        _ => {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) => l,
                _ => c,
            }
        }
    }
}

/// Folds a string code point by code point.
///
/// Returns [`Cow::Borrowed`] when folding changes nothing (the common case for
/// already-lowercase text), so only text with upper-case letters allocates. ASCII text takes
/// a byte-level fast path.
pub fn fold(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        return match s.bytes().position(|b| b.is_ascii_uppercase()) {
            None => Cow::Borrowed(s),
            Some(first) => {
                let mut owned = s.to_owned();
                owned[first..].make_ascii_lowercase();
                Cow::Owned(owned)
            }
        };
    }
    let first = s.char_indices().find(|&(_, c)| fold_char(c) != c);
    match first {
        None => Cow::Borrowed(s),
        Some((at, _)) => {
            let mut out = String::with_capacity(s.len());
            out.push_str(&s[..at]);
            out.extend(s[at..].chars().map(fold_char));
            Cow::Owned(out)
        }
    }
}

/// Folds `s` into `out` (cleared first), reusing its buffer: no allocation once `out`
/// has grown. Returns the folded text, which is `s` itself when folding changes nothing.
pub fn fold_into<'a>(s: &'a str, out: &'a mut String) -> &'a str {
    let unchanged = if s.is_ascii() {
        !s.bytes().any(|b| b.is_ascii_uppercase())
    } else {
        s.chars().all(|c| fold_char(c) == c)
    };
    if unchanged {
        return s;
    }
    out.clear();
    if s.is_ascii() {
        out.push_str(s);
        out.make_ascii_lowercase();
    } else {
        out.extend(s.chars().map(fold_char));
    }
    out
}

/// Whether `haystack`, once folded, equals `folded_needle` (which must already be the
/// output of [`fold`]). Never allocates.
pub fn eq_folded(haystack: &str, folded_needle: &str) -> bool {
    if haystack.is_ascii() {
        // ASCII only folds to ASCII, so a non-ASCII needle cannot match (lengths or bytes
        // differ).
        return haystack.len() == folded_needle.len()
            && haystack
                .bytes()
                .zip(folded_needle.bytes())
                .all(|(h, n)| h.to_ascii_lowercase() == n);
    }
    haystack.chars().map(fold_char).eq(folded_needle.chars())
}

/// Whether folded `haystack` starts with `folded_needle` (already folded). Never allocates.
pub fn starts_with_folded(haystack: &str, folded_needle: &str) -> bool {
    if haystack.is_ascii() {
        let (h, n) = (haystack.as_bytes(), folded_needle.as_bytes());
        return h.len() >= n.len() && h.iter().zip(n).all(|(h, n)| h.to_ascii_lowercase() == *n);
    }
    let mut hay = haystack.chars().map(fold_char);
    folded_needle.chars().all(|n| hay.next() == Some(n))
}

/// Whether folded `haystack` ends with `folded_needle` (already folded). Never allocates.
pub fn ends_with_folded(haystack: &str, folded_needle: &str) -> bool {
    if haystack.is_ascii() {
        let (h, n) = (haystack.as_bytes(), folded_needle.as_bytes());
        return h.len() >= n.len()
            && h[h.len() - n.len()..]
                .iter()
                .zip(n)
                .all(|(h, n)| h.to_ascii_lowercase() == *n);
    }
    let mut hay = haystack.chars().rev().map(fold_char);
    folded_needle.chars().rev().all(|n| hay.next() == Some(n))
}

/// Size of the stack buffer that [`contains_folded`] folds ASCII text into.
const CHUNK: usize = 1024;

/// Whether folded `haystack` contains `folded_needle` (already folded).
///
/// ASCII haystacks are folded chunk by chunk into a stack buffer and searched with the
/// standard library's linear-time substring search, so they never allocate; other
/// haystacks are folded with [`fold`] (allocating only if folding changes them).
pub fn contains_folded(haystack: &str, folded_needle: &str) -> bool {
    if folded_needle.is_empty() {
        return true;
    }
    if !haystack.is_ascii() {
        return fold(haystack).contains(folded_needle);
    }
    let needle = folded_needle.as_bytes();
    if !folded_needle.is_ascii() || needle.len() > haystack.len() {
        return false;
    }
    if needle.len() > CHUNK / 2 {
        return fold(haystack).contains(folded_needle);
    }
    let hay = haystack.as_bytes();
    let mut buf = [0u8; CHUNK];
    let step = CHUNK - (needle.len() - 1);
    let mut start = 0;
    loop {
        let end = hay.len().min(start + CHUNK);
        let chunk = &mut buf[..end - start];
        for (dst, src) in chunk.iter_mut().zip(&hay[start..end]) {
            *dst = src.to_ascii_lowercase();
        }
        // The chunk is ASCII, hence valid UTF-8.
        if let Ok(text) = std::str::from_utf8(chunk) {
            if text.contains(folded_needle) {
                return true;
            }
        }
        if end == hay.len() {
            return false;
        }
        start += step;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ascii_fast_path_borrows() {
        assert!(matches!(fold("already lower 123"), Cow::Borrowed(_)));
        assert!(matches!(fold(""), Cow::Borrowed(_)));
        assert!(matches!(fold("ärzte"), Cow::Borrowed(_)));
        assert_eq!(fold("CMD.EXE"), "cmd.exe");
        assert_eq!(fold("c:\\Windows\\System32"), "c:\\windows\\system32");
    }

    #[test]
    fn non_ascii() {
        assert_eq!(fold("ÄRZTE"), "ärzte");
        assert_eq!(fold("ΣΊΓΜΑ"), fold("σίγμα"));
        assert_eq!(fold("ΣΊΓΜΑ"), "σίγμα");
        // final sigma and capital sigma meet at σ
        assert_eq!(fold("ΟΔΟΣ"), fold("οδος"));
        assert_eq!(fold("ΟΔΟΣ"), fold("οδοσ"));
        assert_eq!(fold("Straße"), "straße");
        assert_eq!(fold("ẞ"), "ß");
        assert_eq!(fold("\u{212A}elvin"), "kelvin");
        assert_eq!(fold("ſ"), "s");
        assert_eq!(fold("µ"), "μ");
        assert_eq!(fold("İstanbul"), "istanbul");
        assert_eq!(fold("ДОКУМЕНТ"), "документ");
    }

    #[test]
    fn char_count_preserved() {
        for s in ["İI", "ΣΊΓΜΑ ς", "ǅǄǆ", "ﬀ", "ŉ", "\u{1F600}A"] {
            assert_eq!(fold(s).chars().count(), s.chars().count(), "{s}");
        }
    }

    #[test]
    fn comparisons() {
        assert!(eq_folded("ÄRZTE", "ärzte"));
        assert!(eq_folded("CMD.exe", "cmd.exe"));
        assert!(!eq_folded("CMD.exe", "cmd.ex"));
        assert!(!eq_folded("abc", "äbc"));
        assert!(eq_folded("\u{212A}", "k"));
        assert!(eq_folded("", ""));
        assert!(starts_with_folded("EXPLORER.EXE", "explorer."));
        assert!(!starts_with_folded("EXP", "explorer."));
        assert!(starts_with_folded("ÄRZTE", "är"));
        assert!(ends_with_folded("EXPLORER.EXE", ".exe"));
        assert!(ends_with_folded(
            "ΟΔΟΣ",
            "ος".chars().map(fold_char).collect::<String>().as_str()
        ));
        assert!(!ends_with_folded("E", ".exe"));
        assert!(contains_folded(
            "C:\\Windows\\SYSTEM32\\cmd.exe",
            "system32"
        ));
        assert!(!contains_folded("C:\\Windows", "system32"));
        assert!(contains_folded("anything", ""));
        assert!(contains_folded("XÄRZTEX", "ärzte"));
    }

    #[test]
    fn contains_across_chunks() {
        let mut hay = "A".repeat(CHUNK - 3);
        hay.push_str("NEEDLE");
        hay.push_str(&"B".repeat(3 * CHUNK));
        assert!(contains_folded(&hay, "needle"));
        assert!(contains_folded(&hay, "aneedleb"));
        assert!(!contains_folded(&hay, "needlea"));
        let long = "x".repeat(CHUNK);
        assert!(contains_folded(&format!("Y{}", long.to_uppercase()), &long));
    }

    proptest! {
        #[test]
        fn fold_is_idempotent_and_per_char(s in "\\PC{0,16}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once.clone());
            prop_assert_eq!(once.chars().count(), s.chars().count());
            let expected: String = s.chars().map(fold_char).collect();
            prop_assert_eq!(once.as_ref(), expected.as_str());
            prop_assert!(eq_folded(&s, &once));
        }

        #[test]
        fn helpers_agree_with_folding(h in "[aAbBäÄσςΣ]{0,12}", n in "[aAbBäÄσςΣ]{0,4}") {
            let (fh, fnd) = (fold(&h), fold(&n));
            prop_assert_eq!(starts_with_folded(&h, &fnd), fh.starts_with(fnd.as_ref()));
            prop_assert_eq!(ends_with_folded(&h, &fnd), fh.ends_with(fnd.as_ref()));
            prop_assert_eq!(contains_folded(&h, &fnd), fh.contains(fnd.as_ref()));
            prop_assert_eq!(eq_folded(&h, &fnd), fh == fnd);
        }
    }
}
