//! Elasticsearch `version` field semantics (eql-semantics.md B.3): versions compare by
//! their numeric parts (`1.11.3 > 1.5.0`), a pre-release sorts before its release
//! (`1.2.4-SNAPSHOT < 1.2.4`), and a value that is not a version never satisfies a range
//! (but `==` still compares the text).

use std::cmp::Ordering;

/// A parsed version: its numeric core (`1.2.3`) and its pre-release identifiers
/// (`rc.1`; `None` for a release), both checked at parse time and kept as text, so
/// parsing and comparing allocate nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version<'a> {
    core: &'a str,
    pre: Option<&'a str>,
}

/// A numeric part of a version's core (all digits, fits in `u64`).
fn number(p: &str) -> Option<u64> {
    if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
        None
    } else {
        p.parse::<u64>().ok()
    }
}

impl<'a> Version<'a> {
    /// Parse `1.2.3`, `1.2.3-rc.1`, `1.2.3+build` (build metadata ignored). `None` when
    /// the text is not a version.
    pub fn parse(s: &'a str) -> Option<Version<'a>> {
        let s = s.split_once('+').map_or(s, |(v, _)| v);
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (s, None),
        };
        if pre.is_some_and(|p| p.split('.').any(str::is_empty)) {
            return None;
        }
        if !core.split('.').all(|p| number(p).is_some()) {
            return None;
        }
        Some(Version { core, pre })
    }
}

impl Ord for Version<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        // Numeric parts, a missing part counting as 0 (`1.2` == `1.2.0`).
        let mut a = self.core.split('.').map(|p| number(p).unwrap_or(0));
        let mut b = other.core.split('.').map(|p| number(p).unwrap_or(0));
        loop {
            match (a.next(), b.next()) {
                (None, None) => break,
                (x, y) => match x.unwrap_or(0).cmp(&y.unwrap_or(0)) {
                    Ordering::Equal => {}
                    o => return o,
                },
            }
        }
        match (self.pre, other.pre) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => {
                let (mut xs, mut ys) = (x.split('.'), y.split('.'));
                loop {
                    match (xs.next(), ys.next()) {
                        (None, None) => return Ordering::Equal,
                        (None, Some(_)) => return Ordering::Less,
                        (Some(_), None) => return Ordering::Greater,
                        (Some(a), Some(b)) => {
                            let o = match (a.parse::<u64>(), b.parse::<u64>()) {
                                (Ok(x), Ok(y)) => x.cmp(&y),
                                (Ok(_), Err(_)) => Ordering::Less,
                                (Err(_), Ok(_)) => Ordering::Greater,
                                (Err(_), Err(_)) => a.cmp(b),
                            };
                            if o != Ordering::Equal {
                                return o;
                            }
                        }
                    }
                }
            }
        }
    }
}

impl PartialOrd for Version<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Order two version strings; `None` if either is not a version.
pub fn compare(a: &str, b: &str) -> Option<Ordering> {
    Some(Version::parse(a)?.cmp(&Version::parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_like_elasticsearch() {
        assert_eq!(compare("1.11.3", "1.5.0"), Some(Ordering::Greater));
        assert_eq!(compare("1.2.4-SNAPSHOT", "1.5.0"), Some(Ordering::Less));
        assert_eq!(compare("1.2.4-SNAPSHOT", "1.2.4"), Some(Ordering::Less));
        assert_eq!(compare("1.2", "1.2.0"), Some(Ordering::Equal));
        assert_eq!(compare("2.0.0-rc.2", "2.0.0-rc.10"), Some(Ordering::Less));
        assert_eq!(compare("bad", "1.0.0"), None);
        assert_eq!(compare("1..2", "1.0.0"), None);
    }
}
