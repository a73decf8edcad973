//! IP addresses and CIDR blocks, for `cidrMatch` and for comparisons with IP literals
//! (eql-semantics.md B.3, F, J.7).
//!
//! Addresses are parsed with `std::net` (dotted-quad IPv4 without leading zeros, any IPv6
//! text form including `::`-compression and an embedded dotted quad; no zone ids, no
//! surrounding whitespace).
//!
//! **One address space.** Like Lucene's `InetAddressPoint` (how Elasticsearch indexes `ip`
//! fields), every address is placed in the 128-bit IPv6 space, an IPv4 address `a.b.c.d`
//! becoming the IPv4-mapped address `::ffff:a.b.c.d`. Consequences, all deliberate:
//! * `10.1.2.3` and `::ffff:10.1.2.3` are the same address ([`ip_key`] is equal);
//! * an IPv4 block `10.0.0.0/8` is the mapped block `::ffff:10.0.0.0/104`, so it contains
//!   `::ffff:10.1.2.3` too; `0.0.0.0/0` contains every IPv4 (and mapped) address but no
//!   native IPv6 address; `::/0` contains everything;
//! * IPv4-compatible addresses (`::10.1.2.3`, deprecated) are *not* IPv4.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// Parses an IPv4 or IPv6 address; `None` if `s` is not one (never panics).
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

/// The address as a 128-bit number in the shared IPv6 space (IPv4 → `::ffff:a.b.c.d`).
/// Equal keys mean equal addresses; keys order addresses as Elasticsearch's `ip` type does.
pub fn ip_key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// [`parse_ip`] followed by [`ip_key`].
pub fn parse_ip_key(s: &str) -> Option<u128> {
    parse_ip(s).map(ip_key)
}

/// Whether `s` could be an IP address at all (cheap pre-check before parsing): it starts
/// with a hex digit or `:` and has only hex digits, `.` and `:`.
pub fn looks_like_ip(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 45
        && (b[0].is_ascii_hexdigit() || b[0] == b':')
        && b.iter()
            .all(|c| c.is_ascii_hexdigit() || *c == b'.' || *c == b':')
        && b.iter().any(|c| *c == b'.' || *c == b':')
}

/// Whether two texts are the same IP address (`::1` and `0:0::1`, `10.0.0.1` and
/// `::ffff:10.0.0.1`); `None` when either is not an address.
pub fn ip_eq(a: &str, b: &str) -> Option<bool> {
    Some(parse_ip_key(a)? == parse_ip_key(b)?)
}

/// Why a CIDR block did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CidrError {
    /// The part before `/` (or the whole text) is not an IP address.
    InvalidAddress(String),
    /// The part after `/` is not a decimal number within 0..=32 (IPv4) or 0..=128 (IPv6).
    InvalidPrefix(String),
}

impl fmt::Display for CidrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CidrError::InvalidAddress(s) => write!(f, "invalid IP address in CIDR block [{s}]"),
            CidrError::InvalidPrefix(s) => write!(f, "invalid prefix length in CIDR block [{s}]"),
        }
    }
}

impl std::error::Error for CidrError {}

/// A CIDR block such as `10.0.0.0/8` or `2001:db8::/32`; a bare address is a block of one
/// (`/32` or `/128`). Host bits after the prefix are allowed and ignored
/// (`10.6.48.157/8` = `10.0.0.0/8`, as the Elasticsearch tests use it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    /// Network address in the shared IPv6 space, host bits cleared.
    network: u128,
    /// Prefix length in the shared space (an IPv4 `/n` is stored as `/96+n`).
    prefix: u8,
    /// Whether the block was written as IPv4 (for display only).
    v4: bool,
}

fn mask(prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(prefix.min(128)))
    }
}

impl Cidr {
    /// Parses `addr` or `addr/prefix`. Never panics; whitespace is not trimmed.
    pub fn parse(s: &str) -> Result<Cidr, CidrError> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let ip = parse_ip(addr).ok_or_else(|| CidrError::InvalidAddress(s.to_owned()))?;
        let (v4, max) = match ip {
            IpAddr::V4(_) => (true, 32u8),
            IpAddr::V6(_) => (false, 128u8),
        };
        let len = match prefix {
            None => max,
            Some(p) => {
                let ok = !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit());
                match p.parse::<u8>() {
                    Ok(n) if ok && n <= max => n,
                    _ => return Err(CidrError::InvalidPrefix(s.to_owned())),
                }
            }
        };
        let prefix = if v4 { len + 96 } else { len };
        Ok(Cidr {
            network: ip_key(ip) & mask(prefix),
            prefix,
            v4,
        })
    }

    /// Whether the block contains `ip` (in the shared space, see the module docs).
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.contains_key(ip_key(ip))
    }

    /// Whether the block contains the address with this [`ip_key`].
    pub fn contains_key(&self, key: u128) -> bool {
        key & mask(self.prefix) == self.network
    }

    /// Whether the block contains the address written in `s`; `None` if `s` is not an
    /// address.
    pub fn contains_str(&self, s: &str) -> Option<bool> {
        parse_ip_key(s).map(|k| self.contains_key(k))
    }

    /// The network address (host bits cleared), in the family the block was written in.
    pub fn network(&self) -> IpAddr {
        if self.v4 {
            // The low 32 bits of a mapped address are the IPv4 address.
            IpAddr::V4(Ipv4Addr::from((self.network & 0xffff_ffff) as u32))
        } else {
            IpAddr::V6(Ipv6Addr::from(self.network))
        }
    }

    /// The prefix length as written (0..=32 for IPv4, 0..=128 for IPv6).
    pub fn prefix_len(&self) -> u8 {
        if self.v4 {
            self.prefix - 96
        } else {
            self.prefix
        }
    }
}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cidr::parse(s)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network(), self.prefix_len())
    }
}

/// Several CIDR blocks, as in `cidrMatch(ip, "10.0.0.0/8", "192.168.0.0/16")`: an address
/// matches if any block contains it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CidrSet {
    blocks: Vec<Cidr>,
}

impl CidrSet {
    /// Parses every block; the first invalid one is the error.
    pub fn parse<'s>(blocks: impl IntoIterator<Item = &'s str>) -> Result<CidrSet, CidrError> {
        let blocks = blocks
            .into_iter()
            .map(Cidr::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CidrSet { blocks })
    }

    /// The blocks, in the order given.
    pub fn blocks(&self) -> &[Cidr] {
        &self.blocks
    }

    /// Whether any block contains `ip`.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let key = ip_key(ip);
        self.blocks.iter().any(|b| b.contains_key(key))
    }

    /// Whether any block contains the address written in `s`; `None` if `s` is not an
    /// address (the caller treats that like a missing value).
    pub fn contains_str(&self, s: &str) -> Option<bool> {
        parse_ip(s).map(|ip| self.contains(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn c(s: &str) -> Cidr {
        Cidr::parse(s).expect("valid test CIDR")
    }

    #[test]
    fn parses_blocks() {
        assert_eq!(c("10.0.0.0/8").to_string(), "10.0.0.0/8");
        assert_eq!(c("10.6.48.157/8").to_string(), "10.0.0.0/8");
        assert_eq!(c("2001:db8::/32").to_string(), "2001:db8::/32");
        assert_eq!(c("192.168.1.1").prefix_len(), 32);
        assert_eq!(c("::1").prefix_len(), 128);
        assert_eq!(c("0.0.0.0/0").prefix_len(), 0);
        assert_eq!(c("::/0").prefix_len(), 0);
    }

    #[test]
    fn rejects_invalid() {
        for bad in [
            "",
            "/8",
            "10.0.0.0/",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/-1",
            "10.0.0.0/+8",
            "10.0.0.0/ 8",
            " 10.0.0.0/8",
            "10.0.0/8",
            "10.0.0.256/8",
            "300.1.1.1",
            "fe80::1%eth0",
            "10.0.0.0/8/8",
            "10.0.0.0/0008",
            "hello",
            "010.0.0.1",
        ] {
            assert!(Cidr::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(matches!(
            Cidr::parse("x/8"),
            Err(CidrError::InvalidAddress(_))
        ));
        assert!(matches!(
            Cidr::parse("1.2.3.4/99"),
            Err(CidrError::InvalidPrefix(_))
        ));
    }

    #[test]
    fn contains() {
        let ip = |s: &str| parse_ip(s).expect("valid test address");
        assert!(c("10.6.48.157/8").contains(ip("10.6.48.157")));
        assert!(c("10.0.0.0/8").contains(ip("10.255.255.255")));
        assert!(!c("10.0.0.0/8").contains(ip("11.0.0.0")));
        assert!(c("192.168.0.0/16").contains(ip("192.168.7.8")));
        assert!(c("0.0.0.0/0").contains(ip("8.8.8.8")));
        assert!(!c("0.0.0.0/0").contains(ip("2001:db8::1")));
        assert!(c("::/0").contains(ip("8.8.8.8")));
        assert!(c("2001:db8::/32").contains(ip("2001:db8:ffff::1")));
        assert!(!c("2001:db8::/32").contains(ip("2001:db9::1")));
        // IPv4-mapped IPv6 is the IPv4 address
        assert!(c("10.0.0.0/8").contains(ip("::ffff:10.1.2.3")));
        assert!(c("::ffff:10.0.0.0/104").contains(ip("10.1.2.3")));
        assert!(!c("10.0.0.0/8").contains(ip("::10.1.2.3")));
        assert!(c("1.2.3.4").contains(ip("1.2.3.4")));
        assert!(!c("1.2.3.4").contains(ip("1.2.3.5")));
        assert_eq!(c("10.0.0.0/8").contains_str("nope"), None);
    }

    #[test]
    fn address_equality() {
        assert_eq!(ip_eq("::1", "0:0::1"), Some(true));
        assert_eq!(ip_eq("::1", "::2"), Some(false));
        assert_eq!(ip_eq("10.0.0.1", "::ffff:10.0.0.1"), Some(true));
        assert_eq!(ip_eq("10.0.0.1", "x"), None);
        assert!(looks_like_ip("::1") && looks_like_ip("10.0.0.1"));
        assert!(!looks_like_ip("cmd.exe") && !looks_like_ip("") && !looks_like_ip("abc"));
    }

    #[test]
    fn sets() {
        let set = CidrSet::parse(["192.168.0.0/16", "10.6.48.157/8"]).expect("valid");
        assert_eq!(set.blocks().len(), 2);
        assert_eq!(set.contains_str("10.1.1.1"), Some(true));
        assert_eq!(set.contains_str("172.16.0.1"), Some(false));
        assert_eq!(set.contains_str(""), None);
        assert!(CidrSet::parse(["10.0.0.0/8", "bad"]).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,50}") {
            let _ = Cidr::parse(&s);
            let _ = parse_ip(&s);
        }

        #[test]
        fn v4_prefix_semantics(a in any::<u32>(), b in any::<u32>(), len in 0u8..=32) {
            let block = Cidr::parse(&format!("{}/{}", Ipv4Addr::from(a), len)).expect("valid");
            let m = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            prop_assert_eq!(block.contains(IpAddr::V4(Ipv4Addr::from(b))), a & m == b & m);
        }
    }
}
