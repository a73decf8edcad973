//! The population the stream is drawn from: ~1,000 hosts (a third Windows) and ~5,000
//! users, built once from the seed.

use std::fmt::Write as _;

use crate::catalog::{self, Proc};
use crate::rng::{cumulative, mix64, Rng};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Os {
    Windows,
    Linux,
    Macos,
}

/// Where a host's endpoint events come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// Elastic Defend (`endpoint.events.*`).
    Endpoint,
    /// Sysmon through the Windows integration (`windows.sysmon_operational`).
    Sysmon,
    /// Auditd through `auditd_manager`.
    Auditd,
}

pub(crate) struct OsVariant {
    pub name: &'static str,
    pub platform: &'static str,
    pub family: &'static str,
    pub version: &'static str,
    pub kernel: &'static str,
}

const fn v(
    name: &'static str,
    platform: &'static str,
    family: &'static str,
    version: &'static str,
    kernel: &'static str,
) -> OsVariant {
    OsVariant {
        name,
        platform,
        family,
        version,
        kernel,
    }
}

pub(crate) static WIN_VARIANTS: &[OsVariant] = &[
    v(
        "Windows 10 Pro",
        "windows",
        "windows",
        "10.0",
        "10.0.19041.5007 (WinBuild.160101.0800)",
    ),
    v(
        "Windows 11 Enterprise",
        "windows",
        "windows",
        "10.0",
        "10.0.22621.4317 (WinBuild.160101.0800)",
    ),
    v(
        "Windows 11 Pro",
        "windows",
        "windows",
        "10.0",
        "10.0.22621.4317 (WinBuild.160101.0800)",
    ),
    v(
        "Windows Server 2019 Datacenter",
        "windows",
        "windows",
        "10.0",
        "10.0.17763.6414 (WinBuild.160101.0800)",
    ),
    v(
        "Windows Server 2022 Standard",
        "windows",
        "windows",
        "10.0",
        "10.0.20348.2762 (WinBuild.160101.0800)",
    ),
];
pub(crate) static LINUX_VARIANTS: &[OsVariant] = &[
    v(
        "Ubuntu",
        "ubuntu",
        "debian",
        "22.04.5 LTS (Jammy Jellyfish)",
        "5.15.0-124-generic",
    ),
    v(
        "Ubuntu",
        "ubuntu",
        "debian",
        "24.04.1 LTS (Noble Numbat)",
        "6.8.0-47-generic",
    ),
    v(
        "Debian GNU/Linux",
        "debian",
        "debian",
        "12 (bookworm)",
        "6.1.0-26-amd64",
    ),
    v(
        "Red Hat Enterprise Linux",
        "rhel",
        "redhat",
        "9.4 (Plow)",
        "5.14.0-427.37.1.el9_4.x86_64",
    ),
    v(
        "Amazon Linux",
        "amzn",
        "redhat",
        "2023",
        "6.1.112-122.189.amzn2023.x86_64",
    ),
    v(
        "CentOS Linux",
        "centos",
        "redhat",
        "7 (Core)",
        "3.10.0-1160.119.1.el7.x86_64",
    ),
];
pub(crate) static MAC_VARIANTS: &[OsVariant] = &[
    v("macOS", "darwin", "darwin", "14.7", "23.6.0"),
    v("macOS", "darwin", "darwin", "15.1", "24.1.0"),
];

pub(crate) struct Host {
    pub name: String,
    pub id: String,
    pub os: Os,
    pub variant: &'static OsVariant,
    pub source: Source,
    pub ip4: [u8; 4],
    pub ip: String,
    pub ip6: String,
    pub mac: String,
    pub agent_id: String,
    pub agent_version: &'static str,
    /// Windows domain (NetBIOS) users of this host log on to.
    pub domain: &'static str,
    /// Index of the host's main user in [`World::users`].
    pub owner: u32,
    pub server: bool,
}

pub(crate) struct User {
    pub name: String,
    /// Windows SID.
    pub sid: String,
    /// Windows domain ("NT AUTHORITY" for system accounts); empty: the host's domain.
    pub domain: &'static str,
    /// POSIX uid.
    pub uid: u32,
    pub kind: UserKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UserKind {
    WinSystem,
    NixSystem,
    Person,
    Exotic,
}

/// Windows system accounts come first in [`World::users`], then POSIX system accounts,
/// then people, then people with non-ASCII names.
pub(crate) const WIN_SYSTEM: std::ops::Range<u32> = 0..5;
pub(crate) const NIX_SYSTEM: std::ops::Range<u32> = 5..11;
pub(crate) const PEOPLE: u32 = 5_000;

pub(crate) struct Catalog {
    pub procs: &'static [Proc],
    pub cum: Vec<u32>,
    /// Parent candidates (indices into `procs`) per process.
    pub parents: Vec<Vec<u16>>,
}

impl Catalog {
    fn new(procs: &'static [Proc]) -> Self {
        let cum = cumulative(procs.iter().map(|p| p.weight));
        let parents = procs
            .iter()
            .map(|p| {
                p.parents
                    .iter()
                    .filter_map(|n| procs.iter().position(|q| q.name == *n).map(|i| i as u16))
                    .collect()
            })
            .collect();
        Catalog {
            procs,
            cum,
            parents,
        }
    }
}

pub(crate) struct World {
    pub hosts: Vec<Host>,
    /// Host indices per OS.
    pub windows: Vec<u16>,
    pub linux: Vec<u16>,
    pub macos: Vec<u16>,
    pub users: Vec<User>,
    pub people: std::ops::Range<u32>,
    pub exotic: std::ops::Range<u32>,
    pub win: Catalog,
    pub nix: Catalog,
    pub mac: Catalog,
    pub seed: u64,
}

const AGENT_VERSIONS: &[&str] = &["8.15.3", "8.16.1", "8.17.0", "9.1.4", "9.2.0"];
const DOMAINS: &[&str] = &["CORP", "CORP", "CORP", "EUROPE", "ASIA"];
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

fn uuid(rng: &mut Rng) -> String {
    let a = rng.next_u64();
    let b = rng.next_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

impl World {
    pub(crate) fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed ^ 0x0057_0A1D);
        let users = Self::users(&mut rng, seed);
        let people = NIX_SYSTEM.end..NIX_SYSTEM.end + PEOPLE;
        let exotic = people.end..users.len() as u32;
        let mut hosts = Vec::with_capacity(1000);
        let (mut windows, mut linux, mut macos) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..1000u32 {
            // A third Windows, 3% macOS, the rest Linux; interleaved so every prefix of
            // the host list has the same mix.
            let os = match i % 100 {
                0..=32 => Os::Windows,
                33..=35 => Os::Macos,
                _ => Os::Linux,
            };
            let h = Self::host(&mut rng, i, os, &people);
            let list = match os {
                Os::Windows => &mut windows,
                Os::Linux => &mut linux,
                Os::Macos => &mut macos,
            };
            list.push(i as u16);
            hosts.push(h);
        }
        World {
            hosts,
            windows,
            linux,
            macos,
            users,
            people,
            exotic,
            win: Catalog::new(catalog::WINDOWS),
            nix: Catalog::new(catalog::LINUX),
            mac: Catalog::new(catalog::MACOS),
            seed,
        }
    }

    pub(crate) fn catalog(&self, os: Os) -> &Catalog {
        match os {
            Os::Windows => &self.win,
            Os::Linux => &self.nix,
            Os::Macos => &self.mac,
        }
    }

    fn users(rng: &mut Rng, seed: u64) -> Vec<User> {
        let mut users = Vec::with_capacity(5_100);
        let sys = |name: &str, sid: &str, uid: u32, kind: UserKind, domain: &'static str| User {
            name: name.to_string(),
            sid: sid.to_string(),
            domain,
            uid,
            kind,
        };
        let nt = "NT AUTHORITY";
        users.push(sys("SYSTEM", "S-1-5-18", 0, UserKind::WinSystem, nt));
        users.push(sys("LOCAL SERVICE", "S-1-5-19", 0, UserKind::WinSystem, nt));
        users.push(sys(
            "NETWORK SERVICE",
            "S-1-5-20",
            0,
            UserKind::WinSystem,
            nt,
        ));
        users.push(sys(
            "DWM-1",
            "S-1-5-90-0-1",
            0,
            UserKind::WinSystem,
            "Window Manager",
        ));
        users.push(sys(
            "UMFD-0",
            "S-1-5-96-0-0",
            0,
            UserKind::WinSystem,
            "Font Driver Host",
        ));
        for (name, uid) in [
            ("root", 0),
            ("www-data", 33),
            ("postgres", 113),
            ("nobody", 65534),
            ("systemd-network", 100),
            ("ubuntu", 1000),
        ] {
            users.push(sys(name, "", uid, UserKind::NixSystem, ""));
        }
        let (f, l) = (catalog::FIRST_NAMES, catalog::LAST_NAMES);
        let space = (f.len() * l.len() * 3) as u64;
        let domain_sids: Vec<String> = (0..3)
            .map(|_| {
                format!(
                    "S-1-5-21-{}-{}-{}",
                    rng.range(1_000_000_000, 4_000_000_000),
                    rng.range(1_000_000_000, 4_000_000_000),
                    rng.range(100_000_000, 4_000_000_000)
                )
            })
            .collect();
        let stride = 7919u64; // prime, coprime with the space
        let offset = mix64(seed) % space;
        for i in 0..u64::from(PEOPLE) {
            let k = (offset + i * stride) % space;
            let (fi, rest) = ((k % f.len() as u64) as usize, k / f.len() as u64);
            let (li, style) = ((rest % l.len() as u64) as usize, rest / l.len() as u64);
            let (first, last) = (f[fi], l[li]);
            let mut name = match style {
                0 => format!("{first}.{last}"),
                1 => format!("{}{last}", &first[..1]),
                _ => format!("{first}_{}", &last[..last.len().min(4)]),
            };
            if i % 97 == 13 {
                // A few admin accounts.
                name.insert_str(0, "adm-");
            }
            let d = (i % 3) as usize;
            users.push(User {
                sid: format!("{}-{}", domain_sids[d], 1100 + i),
                name,
                domain: "",
                uid: 1001 + i as u32,
                kind: UserKind::Person,
            });
        }
        for (i, name) in catalog::EXOTIC_USERS.iter().enumerate() {
            users.push(User {
                name: (*name).to_string(),
                sid: format!("{}-{}", domain_sids[i % 3], 9100 + i),
                domain: "",
                uid: 9001 + i as u32,
                kind: UserKind::Exotic,
            });
        }
        users
    }

    fn host(rng: &mut Rng, i: u32, os: Os, people: &std::ops::Range<u32>) -> Host {
        let server = rng.chance(match os {
            Os::Windows => 0.2,
            Os::Linux => 0.85,
            Os::Macos => 0.0,
        });
        let owner = people.start + rng.below((people.end - people.start) as usize) as u32;
        let second = (i / 250) as u8 + if server { 100 } else { 20 };
        let third = rng.below(256) as u8;
        let mut name = String::new();
        match os {
            Os::Windows if server => {
                let role = *rng.pick(&["DC", "FS", "SQL", "APP", "EXCH", "WEB", "RDS", "PRT"]);
                let _ = write!(name, "SRV-{role}{:02}", i % 100);
            }
            Os::Windows => match rng.below(3) {
                0 => {
                    name.push_str("DESKTOP-");
                    for _ in 0..7 {
                        name.push(*rng.pick(ALNUM) as char);
                    }
                }
                1 => {
                    name.push_str("LAPTOP-");
                    for _ in 0..8 {
                        name.push(*rng.pick(ALNUM) as char);
                    }
                }
                _ => {
                    let dept = *rng.pick(&["FIN", "HR", "ENG", "OPS", "MKT", "IT", "LEG"]);
                    let _ = write!(name, "WS-{dept}-{:04}", i);
                }
            },
            Os::Linux => {
                let role = *rng.pick(&[
                    "web-prod",
                    "db",
                    "k8s-worker",
                    "ci-runner",
                    "bastion",
                    "kafka",
                    "api",
                    "cache",
                    "ip",
                ]);
                if role == "ip" {
                    // Named after its address (set below from the same numbers).
                    let _ = write!(name, "ip-10-{second}-{third}-{}", (i % 250) + 2);
                } else {
                    let _ = write!(name, "{role}-{:03}", i);
                }
            }
            Os::Macos => {
                let _ = write!(name, "MacBook-Pro-{:04}", i);
            }
        }
        let variant = match os {
            Os::Windows if server => &WIN_VARIANTS[3 + rng.below(2)],
            Os::Windows => &WIN_VARIANTS[rng.below(3)],
            Os::Linux => rng.pick(LINUX_VARIANTS),
            Os::Macos => rng.pick(MAC_VARIANTS),
        };
        let source = match os {
            Os::Windows if rng.chance(0.4) => Source::Sysmon,
            Os::Linux if rng.chance(0.3) => Source::Auditd,
            _ => Source::Endpoint,
        };
        let ip4 = [10, second, third, (i % 250) as u8 + 2];
        let ip = format!("{}.{}.{}.{}", ip4[0], ip4[1], ip4[2], ip4[3]);
        let r = rng.next_u64();
        let ip6 = format!(
            "fe80::{:x}:{:x}:{:x}:{:x}",
            (r >> 48) & 0xffff,
            (r >> 32) & 0xffff,
            (r >> 16) & 0xffff,
            r & 0xffff
        );
        let m = rng.next_u64();
        let bytes: Vec<u8> = (0..6).map(|k| (m >> (k * 8)) as u8).collect();
        let mac = if os == Os::Windows {
            bytes
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect::<Vec<_>>()
                .join("-")
        } else {
            bytes
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":")
        };
        let id = match os {
            Os::Windows | Os::Macos => uuid(rng),
            Os::Linux => format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64()),
        };
        Host {
            name,
            id,
            os,
            variant,
            source,
            ip4,
            ip,
            ip6,
            mac,
            agent_id: uuid(rng),
            agent_version: AGENT_VERSIONS[rng.below(AGENT_VERSIONS.len())],
            domain: DOMAINS[rng.below(DOMAINS.len())],
            owner,
            server,
        }
    }
}
