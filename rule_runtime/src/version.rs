//! Elasticsearch `version` field semantics (eql-semantics.md B.3): versions compare by
//! their numeric parts (`1.11.3 > 1.5.0`), a pre-release sorts before its release
//! (`1.2.4-SNAPSHOT < 1.2.4`), and a value that is not a version never satisfies a range
//! (but `==` still compares the text).

use std::cmp::Ordering;

/// A parsed version: numeric parts, and pre-release identifiers (empty for a release).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version<'a> {
    parts: Vec<u64>,
    pre: Vec<&'a str>,
}

impl<'a> Version<'a> {
    /// Parse `1.2.3`, `1.2.3-rc.1`, `1.2.3+build` (build metadata ignored). `None` when
    /// the text is not a version.
    pub fn parse(s: &'a str) -> Option<Version<'a>> {
        let s = s.split_once('+').map_or(s, |(v, _)| v);
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) => (c, p.split('.').collect::<Vec<_>>()),
            None => (s, Vec::new()),
        };
        if pre.iter().any(|p| p.is_empty()) {
            return None;
        }
        let parts = core
            .split('.')
            .map(|p| {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                    None
                } else {
                    p.parse::<u64>().ok()
                }
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Version { parts, pre })
    }
}

impl Ord for Version<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.parts.len().max(other.parts.len());
        for i in 0..n {
            let a = self.parts.get(i).copied().unwrap_or(0);
            let b = other.parts.get(i).copied().unwrap_or(0);
            match a.cmp(&b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                for (a, b) in self.pre.iter().zip(&other.pre) {
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
                self.pre.len().cmp(&other.pre.len())
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
