//! Builds one event at a time into an [`Ev`], then writes it as JSON.

use std::sync::Arc;

use crate::catalog::{self, Proc};
use crate::fields::{Kind, F, KINDS};
use crate::json::{self, push_int, Ev, Keys, Layout, Val};
use crate::rng::{cumulative, mix64, Rng};
use crate::world::{Os, Source, UserKind, World, NIX_SYSTEM, WIN_SYSTEM};
use crate::{Config, Shape};

/// Share of events from Windows hosts among categories that are not Windows-only, so
/// that with registry events (5%, all Windows) a third of the stream is Windows.
const P_WINDOWS: f64 = (1.0 / 3.0 - 0.05) / 0.95;
const P_MACOS: f64 = 0.03;
/// Share of file/network/registry events acting as a recently started process.
const P_REUSE: f64 = 0.70;
/// Share of process events that are long (4–16 KB): 5% of the stream.
const P_LONG: f64 = 0.05 / 0.45;
const P_CASE: f64 = 0.05;
const P_EXOTIC: f64 = 0.01;
const P_MISSING: f64 = 0.02;
const P_NULL: f64 = 0.005;
const P_EMPTY: f64 = 0.005;
const RING: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cat {
    Process,
    Network,
    File,
    Authentication,
    Registry,
}

const CATS: [Cat; 5] = [
    Cat::Process,
    Cat::Network,
    Cat::File,
    Cat::Authentication,
    Cat::Registry,
];
const CAT_WEIGHTS: [u32; 5] = [45, 25, 20, 5, 5];

/// A started process, remembered so later events can act as it.
#[derive(Clone, Copy, Debug, Default)]
struct ProcRef {
    host: u16,
    proc_: u16,
    user: u32,
    pid: u32,
    /// Unique per start (bit 47 set: a process started before the stream).
    counter: u64,
    start_ms: i64,
}

/// Who and where of the event being built.
#[derive(Clone, Copy)]
struct Ctx {
    host: u16,
    os: Os,
    source: Source,
    user: u32,
    exotic: bool,
    ts: i64,
    /// Name of the acting process (`{Q}`).
    pname: &'static str,
}

struct Ring {
    buf: Vec<ProcRef>,
    next: usize,
}

impl Ring {
    fn new() -> Self {
        Ring {
            buf: Vec::with_capacity(RING),
            next: 0,
        }
    }
    fn push(&mut self, r: ProcRef) {
        if self.buf.len() < RING {
            self.buf.push(r);
        } else {
            self.buf[self.next] = r;
        }
        self.next = (self.next + 1) % RING;
    }
    /// A recent entry, skewed towards the newest.
    fn recent(&self, rng: &mut Rng) -> Option<ProcRef> {
        let n = self.buf.len();
        if n == 0 {
            return None;
        }
        let u = rng.f64();
        let back = ((u * u) * n as f64) as usize;
        let newest = (self.next + RING - 1) % RING;
        let idx = if n < RING {
            n - 1 - back
        } else {
            (newest + RING - back) % RING
        };
        Some(self.buf[idx])
    }
}

/// A dataset and what comes with it.
struct Ds {
    dataset: &'static str,
    module: &'static str,
    agent: &'static str,
    provider: &'static str,
    channel: &'static str,
}

const fn ds(dataset: &'static str, module: &'static str, agent: &'static str) -> Ds {
    Ds {
        dataset,
        module,
        agent,
        provider: "",
        channel: "",
    }
}

static EP_PROCESS: Ds = ds("endpoint.events.process", "endpoint", "endpoint");
static EP_NETWORK: Ds = ds("endpoint.events.network", "endpoint", "endpoint");
static EP_FILE: Ds = ds("endpoint.events.file", "endpoint", "endpoint");
static EP_REGISTRY: Ds = ds("endpoint.events.registry", "endpoint", "endpoint");
static AUDITD: Ds = ds("auditd_manager.auditd", "auditd", "auditbeat");
static SYSTEM_AUTH: Ds = ds("system.auth", "system", "filebeat");
static SYSMON: Ds = Ds {
    dataset: "windows.sysmon_operational",
    module: "windows",
    agent: "filebeat",
    provider: "Microsoft-Windows-Sysmon",
    channel: "Microsoft-Windows-Sysmon/Operational",
};
static SECURITY: Ds = Ds {
    dataset: "system.security",
    module: "system",
    agent: "filebeat",
    provider: "Microsoft-Windows-Security-Auditing",
    channel: "Security",
};
static POWERSHELL: Ds = Ds {
    dataset: "windows.powershell_operational",
    module: "windows",
    agent: "filebeat",
    provider: "Microsoft-Windows-PowerShell",
    channel: "Microsoft-Windows-PowerShell/Operational",
};

static WIN_FILES: &[&str] = &[
    "{U}\\AppData\\Local\\Temp\\{H}.tmp",
    "{U}\\AppData\\Local\\Temp\\{H}.tmp",
    "{U}\\Downloads\\{D}.{E}",
    "{U}\\Documents\\{D}.{E}",
    "{U}\\Desktop\\{D}.{E}",
    "{U}\\AppData\\Local\\Google\\Chrome\\User Data\\Default\\Cache\\Cache_Data\\f_{H}",
    "{U}\\AppData\\Local\\Microsoft\\Edge\\User Data\\Default\\Code Cache\\js\\{H}{H}_0",
    "C:\\Windows\\Prefetch\\{Q}-{H}.pf",
    "C:\\Windows\\Temp\\{G}\\{D}.log",
    "C:\\Windows\\SoftwareDistribution\\Download\\{H}{H}{H}{H}\\{D}.cab",
    "C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\History\\Service\\DetectionHistory\\{N}",
    "{U}\\AppData\\Roaming\\Microsoft\\Windows\\Recent\\{D}.lnk",
    "C:\\Windows\\System32\\Tasks\\Microsoft\\Windows\\UpdateOrchestrator\\{D}",
    "C:\\Windows\\ServiceProfiles\\LocalService\\AppData\\Local\\lastalive{N}.dat",
    "{U}\\AppData\\Local\\Microsoft\\Outlook\\{A}@corp.example.com.ost",
    "{U}\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\{D}.lnk",
    "C:\\Users\\Public\\{D}.{E}",
    "{U}\\AppData\\Local\\Packages\\Microsoft.Windows.Search_cw5n1h2txyewy\\LocalState\\DeviceSearchCache\\AppCache{N}.txt",
];
static NIX_FILES: &[&str] = &[
    "/tmp/{H}",
    "/tmp/{D}.sh",
    "/var/log/{D}.log",
    "{U}/.cache/pip/http/{H}/{H}",
    "/var/lib/docker/overlay2/{H}{H}/diff/etc/{D}.conf",
    "/etc/{D}.conf",
    "{U}/.bash_history",
    "/var/lib/apt/lists/partial/archive.ubuntu.com_ubuntu_dists_jammy_InRelease",
    "/usr/lib/python3/dist-packages/{D}/__init__.py",
    "{U}/.ssh/authorized_keys",
    "/var/spool/cron/crontabs/{A}",
    "/dev/shm/{H}",
    "/var/www/html/{D}.php",
    "/run/containerd/io.containerd.runtime.v2.task/k8s.io/{H}{H}/rootfs/tmp/{H}",
    "/var/lib/postgresql/16/main/base/{N}/{N}",
    "/etc/systemd/system/{D}.service",
];
static MAC_FILES: &[&str] = &[
    "{U}/Library/Caches/com.apple.Safari/{H}",
    "{U}/Downloads/{D}.{E}",
    "/private/var/folders/{H}/T/{H}.tmp",
    "/Library/LaunchAgents/com.{D}.agent.plist",
    "{U}/Library/Application Support/Google/Chrome/Default/{D}",
    "{U}/Documents/{D}.{E}",
];

#[derive(Clone, Copy)]
enum RegData {
    Sz(&'static str),
    ExpandSz(&'static str),
    Dword,
    Binary,
}

/// (HKLM?, key, value, data).
#[rustfmt::skip]
static REGISTRY: &[(bool, &str, &str, RegData)] = &[
    (true, "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run", "{D}", RegData::Sz("\"C:\\Program Files\\{D}\\{D}.exe\" /autostart")),
    (false, "{Y}\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", "OneDrive", RegData::Sz("\"{U}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe\" /background")),
    (true, "SYSTEM\\ControlSet001\\Services\\{V}", "Start", RegData::Dword),
    (true, "SOFTWARE\\Microsoft\\Windows Defender\\Features", "TamperProtection", RegData::Dword),
    (false, "{Y}\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RecentDocs\\.{E}", "MRUListEx", RegData::Binary),
    (true, "SYSTEM\\ControlSet001\\Services\\bam\\State\\UserSettings\\{Y}", "\\Device\\HarddiskVolume3\\Windows\\System32\\{Q}", RegData::Binary),
    (false, "{Y}\\Software\\Microsoft\\Office\\16.0\\Common\\Internet\\Server Cache\\https://corp.sharepoint.com/", "Expiration", RegData::Binary),
    (true, "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WINEVT\\Channels\\Microsoft-Windows-{D}/Operational", "Enabled", RegData::Dword),
    (false, "{Y}\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\ZoneMap", "ProxyBypass", RegData::Dword),
    (true, "SYSTEM\\CurrentControlSet\\Control\\Lsa", "RunAsPPL", RegData::Dword),
    (true, "SOFTWARE\\Policies\\Microsoft\\Windows\\PowerShell\\ScriptBlockLogging", "EnableScriptBlockLogging", RegData::Dword),
    (true, "SYSTEM\\CurrentControlSet\\Services\\{V}\\Parameters", "ServiceDll", RegData::ExpandSz("%SystemRoot%\\System32\\{D}.dll")),
    (false, "{Y}\\Environment", "TEMP", RegData::ExpandSz("%USERPROFILE%\\AppData\\Local\\Temp")),
    (true, "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\StartupApproved\\Run", "{D}", RegData::Binary),
    (true, "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\{Q}", "Debugger", RegData::Sz("{T}\\{H}.exe")),
    (false, "{Y}\\Software\\Classes\\ms-settings\\Shell\\Open\\command", "DelegateExecute", RegData::Sz("")),
];

#[rustfmt::skip]
static PUBLIC_NETS: &[[u8; 2]] = &[
    [142, 250], [13, 107], [52, 96], [20, 190], [104, 16], [151, 101], [185, 199], [34, 120], [23, 45],
    [172, 217], [40, 126], [8, 8], [1, 1],
];
/// (port, transport is UDP, protocol, weight).
#[rustfmt::skip]
static EGRESS_PORTS: &[(u16, bool, &str, u32)] = &[
    (443, false, "tls", 45), (80, false, "http", 14), (53, true, "dns", 6), (445, false, "smb", 5),
    (389, false, "ldap", 3), (88, false, "kerberos", 3), (135, false, "dcerpc", 2), (3389, false, "rdp", 2),
    (22, false, "ssh", 4), (8080, false, "http", 3), (5985, false, "http", 1), (9200, false, "http", 3),
    (5432, false, "postgresql", 2), (3306, false, "mysql", 1), (123, true, "ntp", 2), (8220, false, "tls", 4),
];
#[rustfmt::skip]
static INGRESS_PORTS: &[(u16, bool, &str, u32)] = &[
    (22, false, "ssh", 20), (3389, false, "rdp", 8), (445, false, "smb", 8), (443, false, "tls", 25),
    (80, false, "http", 12), (5985, false, "http", 3), (9200, false, "http", 5), (5432, false, "postgresql", 5),
];
/// (name, number, weight).
#[rustfmt::skip]
static LOGON_TYPES: &[(&str, &str, u32)] = &[
    ("Network", "3", 50), ("Interactive", "2", 10), ("RemoteInteractive", "10", 8), ("Service", "5", 12),
    ("Batch", "4", 5), ("Unlock", "7", 5), ("CachedInteractive", "11", 5), ("NewCredentials", "9", 5),
];
const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The generator's state.
pub(crate) struct Gen {
    rng: Rng,
    /// Decides key layout only, so all shapes carry the same events.
    keys_rng: Rng,
    shape: Shape,
    late_share: f64,
    world: Arc<World>,
    layout: Layout,
    ev: Ev,
    scratch: Vec<u16>,
    bytes: Vec<u8>,
    clock: i64,
    starts: u64,
    seq: i64,
    record: i64,
    recent: Ring,
    recent_win: Ring,
    host_recent: Vec<(u8, [ProcRef; 4])>,
    /// (field, values) of the rare vocabulary, by field.
    rare: Vec<(usize, Vec<String>)>,
    rare_share: f64,
    cat_cum: Vec<u32>,
    egress_cum: Vec<u32>,
    ingress_cum: Vec<u32>,
    logon_cum: Vec<u32>,
}

impl Gen {
    pub(crate) fn new(config: Config) -> Self {
        let world = Arc::new(World::new(config.seed));
        let mut rare: Vec<(usize, Vec<String>)> = Vec::new();
        for (path, values) in config.rare {
            let Some(f) = F::by_path(&path) else { continue };
            let values: Vec<String> = values.into_iter().filter(|v| !v.is_empty()).collect();
            if values.is_empty() {
                continue;
            }
            match rare.iter_mut().find(|(g, _)| *g == f) {
                Some((_, vs)) => vs.extend(values),
                None => rare.push((f, values)),
            }
        }
        rare.sort_by_key(|(f, _)| *f);
        let hosts = world.hosts.len();
        Gen {
            rng: Rng::new(config.seed),
            keys_rng: Rng::new(config.seed ^ 0x4B45_5953),
            shape: config.shape,
            late_share: config.late_share.clamp(0.0, 1.0),
            world,
            layout: Layout::new(),
            ev: Ev::new(),
            scratch: Vec::new(),
            bytes: Vec::new(),
            clock: config.start_ms,
            starts: 0,
            seq: 1_000_000,
            record: 4_000_000,
            recent: Ring::new(),
            recent_win: Ring::new(),
            host_recent: vec![(0, [ProcRef::default(); 4]); hosts],
            rare,
            rare_share: config.rare_share,
            cat_cum: cumulative(CAT_WEIGHTS),
            egress_cum: cumulative(EGRESS_PORTS.iter().map(|p| p.3)),
            ingress_cum: cumulative(INGRESS_PORTS.iter().map(|p| p.3)),
            logon_cum: cumulative(LOGON_TYPES.iter().map(|p| p.2)),
        }
    }

    pub(crate) fn next_event(&mut self, out: &mut Vec<u8>) {
        let w = Arc::clone(&self.world);
        self.ev.clear();
        self.clock += self.rng.range(1, 20) as i64;
        let mut ts = self.clock;
        if self.late_share > 0.0 && self.rng.chance(self.late_share) {
            ts -= self.rng.range(1_000, 30_000) as i64;
        }
        let exotic = self.rng.chance(P_EXOTIC);
        match CATS[self.rng.weighted(&self.cat_cum)] {
            Cat::Process => self.process(&w, ts, exotic),
            Cat::Network => self.network(&w, ts, exotic),
            Cat::File => self.file(&w, ts, exotic),
            Cat::Authentication => self.authentication(&w, ts, exotic),
            Cat::Registry => self.registry(&w, ts, exotic),
        }
        self.apply_rare();
        self.mutate();
        let escape_unicode = exotic && self.rng.chance(0.4);
        let keys = match self.shape {
            Shape::Nested => Keys::Nested,
            Shape::Dotted => Keys::Dotted,
            Shape::Mixed => match self.keys_rng.below(5) {
                0 => Keys::Nested,
                1 => Keys::Dotted,
                _ => Keys::Mixed(self.keys_rng.next_u64()),
            },
        };
        json::write_event(
            out,
            &self.ev,
            &self.layout,
            keys,
            escape_unicode,
            &mut self.scratch,
        );
    }

    // ---- small writers -------------------------------------------------------------

    #[inline]
    fn pos(&self) -> u32 {
        self.ev.text.len() as u32
    }
    #[inline]
    fn set(&mut self, f: F, v: Val) {
        self.ev.slots[f.idx()] = Some(v);
    }
    #[inline]
    fn fin(&mut self, f: F, a: u32) -> (u32, u32) {
        let b = self.pos();
        self.set(f, Val::Text(a, b));
        (a, b)
    }
    #[inline]
    fn push(&mut self, s: &str) {
        self.ev.text.extend_from_slice(s.as_bytes());
    }
    fn text(&mut self, f: F, s: &str) -> (u32, u32) {
        let a = self.pos();
        self.push(s);
        self.fin(f, a)
    }
    #[inline]
    fn st(&mut self, f: F, s: &'static str) {
        self.set(f, Val::Static(s));
    }
    #[inline]
    fn int(&mut self, f: F, i: i64) {
        self.set(f, Val::Int(i));
    }
    fn list(&mut self, f: F, items: &[&'static str]) {
        let a = self.ev.items.len() as u32;
        self.ev.items.extend(items.iter().map(|s| Val::Static(s)));
        self.set(f, Val::List(a, items.len() as u32));
    }
    /// Items pushed since `a` as the list `f`.
    fn list_from(&mut self, f: F, a: usize) {
        let n = self.ev.items.len() - a;
        self.set(f, Val::List(a as u32, n as u32));
    }
    fn item_text(&mut self, a: u32) {
        let b = self.pos();
        self.ev.items.push(Val::Text(a, b));
    }
    fn hex(&mut self, mut v: u64, digits: usize) {
        let mut buf = [0u8; 16];
        for k in (0..digits).rev() {
            buf[k] = b"0123456789abcdef"[(v & 15) as usize];
            v >>= 4;
        }
        self.ev.text.extend_from_slice(&buf[..digits]);
    }
    fn num(&mut self, i: i64) {
        push_int(&mut self.ev.text, i);
    }
    fn ts(&mut self, f: F, ms: i64) {
        let a = self.pos();
        write_timestamp(&mut self.ev.text, ms);
        self.fin(f, a);
    }
    fn ip4(&mut self, ip: [u8; 4]) {
        for (k, b) in ip.iter().enumerate() {
            if k > 0 {
                self.ev.text.push(b'.');
            }
            self.num(i64::from(*b));
        }
    }

    /// In 5% of cases, rewrites `text[a..b]` in another case (ASCII letters only).
    fn vary(&mut self, (a, b): (u32, u32)) {
        if !self.rng.chance(P_CASE) {
            return;
        }
        let s = &mut self.ev.text[a as usize..b as usize];
        match self.rng.below(4) {
            0 => s.make_ascii_uppercase(),
            1 => s.make_ascii_lowercase(),
            2 => {
                let mut up = true;
                for c in s.iter_mut() {
                    if up {
                        c.make_ascii_uppercase();
                    }
                    up = !c.is_ascii_alphanumeric();
                }
            }
            _ => {
                let mut r = self.rng.next_u64();
                for (k, c) in s.iter_mut().enumerate() {
                    if k % 64 == 63 {
                        r = self.rng.next_u64();
                    }
                    if (r >> (k % 64)) & 1 == 1 {
                        c.make_ascii_uppercase();
                    } else {
                        c.make_ascii_lowercase();
                    }
                }
            }
        }
    }

    fn base64(&mut self, input: &[u8]) {
        let out = &mut self.ev.text;
        for chunk in input.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            out.push(B64[(n >> 18) as usize & 63]);
            out.push(B64[(n >> 12) as usize & 63]);
            out.push(if chunk.len() > 1 {
                B64[(n >> 6) as usize & 63]
            } else {
                b'='
            });
            out.push(if chunk.len() > 2 {
                B64[n as usize & 63]
            } else {
                b'='
            });
        }
    }

    // ---- templates -----------------------------------------------------------------

    /// Writes `tpl` with its placeholders filled:
    /// `{U}` home, `{T}` temp dir, `{N}` number, `{H}` 8 hex digits, `{G}` braced GUID,
    /// `{D}` document name, `{E}` document extension, `{S}` another host, `{I}` internal
    /// IPv4, `{W}` web domain, `{A}` account name, `{Y}` the account's SID, `{V}` a
    /// Windows service, `{Q}` the acting process's name, `{L}`/`{C}`/`{P}` a short
    /// sh/cmd/PowerShell command.
    fn expand(&mut self, w: &World, c: &Ctx, tpl: &str) {
        let t = tpl.as_bytes();
        let mut start = 0;
        let mut i = 0;
        while i < t.len() {
            if t[i] == b'{'
                && i + 2 < t.len()
                && t[i + 2] == b'}'
                && b"UTNHGDESIWAYVQLCP".contains(&t[i + 1])
            {
                self.ev.text.extend_from_slice(&t[start..i]);
                self.placeholder(w, c, t[i + 1]);
                i += 3;
                start = i;
            } else {
                i += 1;
            }
        }
        self.ev.text.extend_from_slice(&t[start..]);
    }

    fn placeholder(&mut self, w: &World, c: &Ctx, p: u8) {
        match p {
            b'U' => self.home(w, c),
            b'T' => match c.os {
                Os::Windows if w.users[c.user as usize].kind == UserKind::WinSystem => {
                    self.push("C:\\Windows\\Temp")
                }
                Os::Windows => {
                    self.home(w, c);
                    self.push("\\AppData\\Local\\Temp");
                }
                _ => self.push("/tmp"),
            },
            b'N' => {
                let n = self.rng.range(1, 99_999) as i64;
                self.num(n);
            }
            b'H' => {
                let v = self.rng.next_u64();
                self.hex(v, 8);
            }
            b'G' => {
                let (a, b) = (self.rng.next_u64(), self.rng.next_u64());
                self.guid(a, b, true);
            }
            b'D' => {
                let d = if c.exotic && self.rng.chance(0.5) {
                    *self.rng.pick(catalog::EXOTIC_DOCS)
                } else {
                    *self.rng.pick(catalog::DOCS)
                };
                self.push(d);
            }
            b'E' => {
                let e = *self.rng.pick(catalog::DOC_EXTS);
                self.push(e);
            }
            b'S' => {
                let h = self.rng.below(w.hosts.len());
                self.push(&w.hosts[h].name);
            }
            b'I' => {
                let ip = [
                    10,
                    self.rng.below(256) as u8,
                    self.rng.below(256) as u8,
                    self.rng.range(2, 254) as u8,
                ];
                self.ip4(ip);
            }
            b'W' => {
                let d = *self.rng.pick(catalog::DOMAINS);
                self.push(d);
            }
            b'A' => self.push(&w.users[c.user as usize].name),
            b'Y' => self.push(&w.users[c.user as usize].sid),
            b'V' => {
                let s = *self.rng.pick(catalog::WIN_SERVICES);
                self.push(s);
            }
            b'Q' => self.push(c.pname),
            b'L' => {
                let s = *self.rng.pick(catalog::SHELL_SNIPPETS);
                self.expand(w, c, s);
            }
            b'C' => {
                let s = *self.rng.pick(catalog::CMD_SNIPPETS);
                self.expand(w, c, s);
            }
            b'P' => {
                let s = *self.rng.pick(catalog::PS_SNIPPETS);
                self.expand(w, c, s);
            }
            _ => unreachable!("unknown placeholder"),
        }
    }

    fn home(&mut self, w: &World, c: &Ctx) {
        let u = &w.users[c.user as usize];
        match (c.os, u.kind) {
            (Os::Windows, UserKind::WinSystem) => self.push(match c.user {
                0 => "C:\\Windows\\system32\\config\\systemprofile",
                1 => "C:\\Windows\\ServiceProfiles\\LocalService",
                2 => "C:\\Windows\\ServiceProfiles\\NetworkService",
                _ => "C:\\Users\\Public",
            }),
            (Os::Windows, _) => {
                self.push("C:\\Users\\");
                self.push(&u.name);
            }
            (_, UserKind::NixSystem) => self.push(match u.name.as_str() {
                "root" if c.os == Os::Macos => "/var/root",
                "root" => "/root",
                "www-data" => "/var/www",
                "postgres" => "/var/lib/postgresql",
                "nobody" => "/nonexistent",
                "ubuntu" => "/home/ubuntu",
                _ => "/run/systemd",
            }),
            (Os::Macos, _) => {
                self.push("/Users/");
                self.push(&u.name);
            }
            _ => {
                self.push("/home/");
                self.push(&u.name);
            }
        }
    }

    /// A GUID from two random words: braced and upper case (`{AB89…}`, as in command
    /// lines), or bare and lower case.
    fn guid(&mut self, a: u64, b: u64, braced_upper: bool) {
        if braced_upper {
            self.ev.text.push(b'{');
        }
        let start = self.ev.text.len();
        self.hex(a >> 32, 8);
        self.ev.text.push(b'-');
        self.hex(a >> 16, 4);
        self.ev.text.push(b'-');
        self.hex(a, 4);
        self.ev.text.push(b'-');
        self.hex(b >> 48, 4);
        self.ev.text.push(b'-');
        self.hex(b, 12);
        if braced_upper {
            self.ev.text[start..].make_ascii_uppercase();
            self.ev.text.push(b'}');
        }
    }

    // ---- who and where -------------------------------------------------------------

    fn pick_os(&mut self, windows_only: bool, no_mac: bool) -> Os {
        if windows_only {
            return Os::Windows;
        }
        let r = self.rng.f64();
        if r < P_WINDOWS {
            Os::Windows
        } else if r < P_WINDOWS + P_MACOS && !no_mac {
            Os::Macos
        } else {
            Os::Linux
        }
    }

    fn pick_host(&mut self, w: &World, os: Os) -> u16 {
        let list = match os {
            Os::Windows => &w.windows,
            Os::Linux => &w.linux,
            Os::Macos => &w.macos,
        };
        let i = if self.rng.chance(0.3) {
            let u = self.rng.f64();
            ((u * u) * list.len() as f64) as usize
        } else {
            self.rng.below(list.len())
        };
        list[i]
    }

    fn pick_user(&mut self, w: &World, host: u16, exotic: bool) -> u32 {
        let h = &w.hosts[usize::from(host)];
        if exotic {
            return w.exotic.start + self.rng.below(w.exotic.len()) as u32;
        }
        let r = self.rng.f64();
        let random_person = |rng: &mut Rng| {
            let n = w.people.len();
            let i = if rng.chance(0.5) {
                rng.skewed(n)
            } else {
                rng.below(n)
            };
            w.people.start + i as u32
        };
        match h.os {
            Os::Windows => {
                if r < 0.30 {
                    let s = self.rng.f64();
                    WIN_SYSTEM.start
                        + if s < 0.7 {
                            0
                        } else if s < 0.85 {
                            2
                        } else if s < 0.95 {
                            1
                        } else {
                            3 + self.rng.below(2) as u32
                        }
                } else if r < (if h.server { 0.45 } else { 0.80 }) {
                    h.owner
                } else {
                    random_person(&mut self.rng)
                }
            }
            Os::Linux | Os::Macos => {
                if r < 0.35 {
                    NIX_SYSTEM.start
                } else if r < 0.50 && h.os == Os::Linux {
                    NIX_SYSTEM.start + 1 + self.rng.below(5) as u32
                } else if r < 0.85 {
                    h.owner
                } else {
                    random_person(&mut self.rng)
                }
            }
        }
    }

    fn ctx(&self, w: &World, host: u16, user: u32, ts: i64, exotic: bool) -> Ctx {
        let h = &w.hosts[usize::from(host)];
        Ctx {
            host,
            os: h.os,
            source: h.source,
            user,
            exotic,
            ts,
            pname: "",
        }
    }

    fn fresh_ctx(
        &mut self,
        w: &World,
        ts: i64,
        exotic: bool,
        windows_only: bool,
        no_mac: bool,
    ) -> Ctx {
        let os = self.pick_os(windows_only, no_mac);
        let host = self.pick_host(w, os);
        let user = self.pick_user(w, host, exotic);
        self.ctx(w, host, user, ts, exotic)
    }

    /// A process for a file/network/registry event: a recent start (70%) or one that
    /// started before the stream.
    fn actor(&mut self, w: &World, ts: i64, exotic: bool, windows_only: bool) -> (Ctx, ProcRef) {
        if self.rng.chance(P_REUSE) {
            let ring = if windows_only {
                &self.recent_win
            } else {
                &self.recent
            };
            if let Some(r) = ring.recent(&mut self.rng) {
                let mut c = self.ctx(w, r.host, r.user, ts, exotic);
                c.pname = w.catalog(c.os).procs[usize::from(r.proc_)].name;
                return (c, r);
            }
        }
        let mut c = self.fresh_ctx(w, ts, exotic, windows_only, false);
        let cat = w.catalog(c.os);
        let p = self.rng.weighted(&cat.cum);
        c.pname = cat.procs[p].name;
        let r = self.ancient(&c, p as u16);
        (c, r)
    }

    fn ancient(&mut self, c: &Ctx, proc_: u16) -> ProcRef {
        ProcRef {
            host: c.host,
            proc_,
            user: c.user,
            pid: self.new_pid(c.os),
            counter: (1 << 47) | (self.rng.next_u64() & ((1 << 46) - 1)),
            start_ms: c.ts - self.rng.range(3_600_000, 30 * 86_400_000) as i64,
        }
    }

    fn new_pid(&mut self, os: Os) -> u32 {
        match os {
            Os::Windows => 4 * self.rng.range(100, 16_000) as u32,
            Os::Linux => self.rng.range(300, 400_000) as u32,
            Os::Macos => self.rng.range(100, 99_999) as u32,
        }
    }

    // ---- common fields -------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    fn header(
        &mut self,
        w: &World,
        c: &Ctx,
        d: &'static Ds,
        category: &'static [&'static str],
        kind: &'static [&'static str],
        action: &'static str,
        code: &'static str,
    ) {
        let h = &w.hosts[usize::from(c.host)];
        let u = &w.users[c.user as usize];
        let endpoint = d.agent == "endpoint";
        self.ts(F::Timestamp, c.ts);
        self.text(F::AgentId, &h.agent_id);
        self.text(F::AgentName, &h.name);
        self.st(F::AgentType, d.agent);
        self.st(F::AgentVersion, h.agent_version);
        self.st(F::DataStreamDataset, d.dataset);
        self.st(F::DataStreamNamespace, "default");
        self.st(F::DataStreamType, "logs");
        self.st(F::EcsVersion, "8.11.0");
        self.st(F::EventAction, action);
        if endpoint {
            self.st(F::EventAgentIdStatus, "verified");
        }
        self.list(F::EventCategory, category);
        if !code.is_empty() {
            self.st(F::EventCode, code);
        }
        self.st(F::EventDataset, d.dataset);
        if endpoint {
            let a = self.pos();
            for _ in 0..3 {
                let r = self.rng.next_u64();
                for k in 0..8 {
                    self.ev.text.push(B64[((r >> (k * 6)) & 63) as usize]);
                }
            }
            self.ev.text.truncate(a as usize + 22);
            self.push("++");
            self.fin(F::EventId, a);
        }
        let lag = self.rng.range(400, 90_000) as i64;
        self.ts(F::EventIngested, c.ts + lag);
        self.st(F::EventKind, "event");
        self.st(F::EventModule, d.module);
        if !d.provider.is_empty() {
            self.st(F::EventProvider, d.provider);
        }
        if endpoint {
            self.seq += 1;
            self.int(F::EventSequence, self.seq);
        }
        self.list(F::EventType, kind);
        self.st(
            F::HostArchitecture,
            if c.os == Os::Macos && c.host % 3 != 0 {
                "arm64"
            } else {
                "x86_64"
            },
        );
        let a = self.pos();
        self.push(&h.name);
        let hn = self.fin(F::HostHostname, a);
        if c.os != Os::Windows {
            self.ev.text[hn.0 as usize..hn.1 as usize].make_ascii_lowercase();
        }
        self.text(F::HostId, &h.id);
        let items = self.ev.items.len();
        let a = self.pos();
        self.push(&h.ip);
        self.item_text(a);
        let a = self.pos();
        self.push(&h.ip6);
        self.item_text(a);
        self.list_from(F::HostIp, items);
        let items = self.ev.items.len();
        let a = self.pos();
        self.push(&h.mac);
        self.item_text(a);
        self.list_from(F::HostMac, items);
        self.set(F::HostName, Val::Text(hn.0, hn.1));
        let v = h.variant;
        self.st(F::HostOsFamily, v.family);
        self.st(F::HostOsKernel, v.kernel);
        self.st(F::HostOsName, v.name);
        self.st(F::HostOsPlatform, v.platform);
        self.st(
            F::HostOsType,
            match c.os {
                Os::Windows => "windows",
                Os::Linux => "linux",
                Os::Macos => "macos",
            },
        );
        self.st(F::HostOsVersion, v.version);
        // user.*
        if c.os == Os::Windows {
            if u.domain.is_empty() {
                self.st(F::UserDomain, h.domain);
            } else {
                self.st(F::UserDomain, u.domain);
            }
            self.text(F::UserId, &u.sid);
        } else {
            let a = self.pos();
            self.num(i64::from(u.uid));
            self.fin(F::UserId, a);
        }
        let un = self.text(F::UserName, &u.name);
        let items = self.ev.items.len();
        self.ev.items.push(Val::Text(un.0, un.1));
        self.list_from(F::RelatedUser, items);
    }

    /// `winlog.*` common to Windows event log sources.
    fn winlog(
        &mut self,
        w: &World,
        c: &Ctx,
        d: &'static Ds,
        event_id: &'static str,
        task: &'static str,
    ) {
        let h = &w.hosts[usize::from(c.host)];
        self.st(F::WinlogApi, "wineventlog");
        self.st(F::WinlogChannel, d.channel);
        let a = self.pos();
        self.push(&h.name);
        self.push(".corp.example.com");
        self.fin(F::WinlogComputerName, a);
        self.st(F::WinlogEventId, event_id);
        self.st(F::WinlogOpcode, "Info");
        let service_pid = 4 * (500 + (mix64(u64::from(c.host) ^ w.seed) % 2000)) as i64;
        self.int(F::WinlogProcessPid, service_pid);
        let tid = 4 * self.rng.range(100, 4000) as i64;
        self.int(F::WinlogProcessThreadId, tid);
        self.st(F::WinlogProviderName, d.provider);
        self.record += 1;
        self.int(F::WinlogRecordId, self.record);
        self.st(F::WinlogTask, task);
        if d.channel != "Security" {
            self.st(F::WinlogUserIdentifier, "S-1-5-18");
        }
    }

    fn entity_id(&mut self, w: &World, r: &ProcRef) {
        let h = &w.hosts[usize::from(r.host)];
        match h.source {
            Source::Endpoint => {
                self.bytes.clear();
                self.bytes.extend_from_slice(h.agent_id.as_bytes());
                self.bytes.push(b'-');
                push_int(&mut self.bytes, i64::from(r.pid));
                self.bytes.push(b'-');
                let filetime =
                    (r.start_ms + 11_644_473_600_000) * 10_000 + (r.counter % 10_000) as i64;
                push_int(&mut self.bytes, filetime);
                let input = std::mem::take(&mut self.bytes);
                self.base64(&input);
                self.bytes = input;
            }
            Source::Sysmon => {
                let hh = mix64(u64::from(r.host) ^ w.seed);
                let t = (r.start_ms / 1000) as u64;
                let a = (hh & 0xffff_ffff_0000_0000) | (t & 0xffff_ffff);
                let b = (((hh >> 16) & 0xffff) << 48) | (r.counter & 0xffff_ffff_ffff);
                self.ev.text.push(b'{');
                self.guid(a, b, false);
                self.ev.text.push(b'}');
            }
            Source::Auditd => {
                let x = mix64(r.counter ^ (u64::from(r.host) << 48) ^ w.seed);
                let y = mix64(x ^ u64::from(r.pid));
                let mut raw = [0u8; 12];
                raw[..8].copy_from_slice(&x.to_le_bytes());
                raw[8..].copy_from_slice(&y.to_le_bytes()[..4]);
                self.base64(&raw);
            }
        }
    }

    /// `process.executable`/`process.name` (or the parent's) of `p` run by `user`;
    /// returns the executable's text range.
    fn executable(
        &mut self,
        w: &World,
        c: &Ctx,
        p: &Proc,
        user: u32,
        exe_f: F,
        name_f: F,
    ) -> (u32, u32) {
        let uc = Ctx { user, ..*c };
        let a = self.pos();
        self.expand(w, &uc, p.dir);
        self.push(if c.os == Os::Windows { "\\" } else { "/" });
        let n = self.pos();
        self.push(p.name);
        let exe = self.fin(exe_f, a);
        self.vary(exe);
        if self.rng.chance(P_CASE) {
            let r = self.text(name_f, p.name);
            self.vary_always(r);
        } else {
            self.set(name_f, Val::Text(n, exe.1));
        }
        exe
    }

    fn vary_always(&mut self, (a, b): (u32, u32)) {
        let s = &mut self.ev.text[a as usize..b as usize];
        if self.rng.chance(0.5) {
            s.make_ascii_uppercase();
        } else if let Some(c) = s.first_mut() {
            c.make_ascii_uppercase();
        }
    }

    /// `args`, `args_count` and `command_line` of `p`, from one of its templates.
    #[allow(clippy::too_many_arguments)]
    fn arguments(&mut self, w: &World, c: &Ctx, p: &Proc, exe: (u32, u32), tpl: &str, fs: [F; 3]) {
        let items = self.ev.items.len();
        let full = match c.os {
            Os::Windows => self.rng.chance(0.75),
            _ => self.rng.chance(0.5),
        };
        if full {
            self.ev.items.push(Val::Text(exe.0, exe.1));
        } else {
            self.ev.items.push(Val::Static(p.name));
        }
        if !tpl.is_empty() {
            for part in tpl.split('|') {
                let a = self.pos();
                self.expand(w, c, part);
                self.item_text(a);
            }
        }
        self.args_tail(c, items, fs);
    }

    /// Finishes `args` (items from `items`), `args_count` and `command_line`.
    fn args_tail(&mut self, c: &Ctx, items: usize, [args_f, count_f, cmd_f]: [F; 3]) {
        self.list_from(args_f, items);
        let n = self.ev.items.len() - items;
        self.int(count_f, n as i64);
        let a = self.pos();
        for k in 0..n {
            if k > 0 {
                self.ev.text.push(b' ');
            }
            let item = self.ev.items[items + k];
            let (s, e, stat) = match item {
                Val::Text(s, e) => (s as usize, e as usize, None),
                Val::Static(s) => (0, 0, Some(s)),
                _ => continue,
            };
            let bytes_len = stat.map_or(e - s, str::len);
            let quote = c.os == Os::Windows
                && (bytes_len == 0
                    || match stat {
                        Some(st) => st.contains(' '),
                        None => self.ev.text[s..e].contains(&b' '),
                    })
                && !(bytes_len > 0
                    && match stat {
                        Some(st) => st.starts_with('"'),
                        None => self.ev.text[s] == b'"',
                    });
            if quote {
                self.ev.text.push(b'"');
            }
            match stat {
                Some(st) => self.push(st),
                None => self.ev.text.extend_from_within(s..e),
            }
            if quote {
                self.ev.text.push(b'"');
            }
        }
        let cmd = self.fin(cmd_f, a);
        if self.rng.chance(0.2) {
            self.vary(cmd);
        }
    }

    fn hashes(&mut self, w: &World, c: &Ctx, proc_: u16, all: bool) {
        let key =
            mix64(w.seed ^ ((c.os as u64) << 40) ^ (u64::from(proc_) << 8) ^ u64::from(c.host % 3));
        let a = self.pos();
        for k in 0..4 {
            self.hex(mix64(key ^ k), 16);
        }
        self.fin(F::ProcessHashSha256, a);
        if all {
            let a = self.pos();
            self.hex(mix64(key ^ 11), 16);
            self.hex(mix64(key ^ 12), 16);
            self.fin(F::ProcessHashMd5, a);
            let a = self.pos();
            self.hex(mix64(key ^ 21), 16);
            self.hex(mix64(key ^ 22), 16);
            self.hex(mix64(key ^ 23), 8);
            self.fin(F::ProcessHashSha1, a);
        }
    }

    /// name, executable, pid and entity id of an acting process.
    fn actor_fields(&mut self, w: &World, c: &Ctx, r: &ProcRef) {
        let p = &w.catalog(c.os).procs[usize::from(r.proc_)];
        self.executable(w, c, p, r.user, F::ProcessExecutable, F::ProcessName);
        self.int(F::ProcessPid, i64::from(r.pid));
        let a = self.pos();
        self.entity_id(w, r);
        self.fin(F::ProcessEntityId, a);
    }

    fn remember(&mut self, r: ProcRef, os: Os) {
        self.recent.push(r);
        if os == Os::Windows {
            self.recent_win.push(r);
        }
        let slot = &mut self.host_recent[usize::from(r.host)];
        let k = usize::from(slot.0 % 4);
        slot.1[k] = r;
        // A count that saturates but keeps its residue mod 4 (the next slot).
        slot.0 = if slot.0 >= 251 {
            4 + (slot.0 + 1) % 4
        } else {
            slot.0 + 1
        };
    }

    // ---- process ---------------------------------------------------------------------

    fn process(&mut self, w: &World, ts: i64, exotic: bool) {
        let r = self.rng.f64();
        if r < P_LONG {
            let c = self.fresh_ctx(w, ts, exotic, false, false);
            if c.os == Os::Windows && self.rng.chance(0.4) {
                self.script_block(w, c);
            } else {
                self.process_start(w, c, true);
            }
        } else if r < P_LONG + 0.10 {
            match self.recent.recent(&mut self.rng) {
                Some(p) => self.process_end(w, ts, exotic, p),
                None => {
                    let c = self.fresh_ctx(w, ts, exotic, false, false);
                    self.process_start(w, c, false);
                }
            }
        } else {
            let c = self.fresh_ctx(w, ts, exotic, false, false);
            self.process_start(w, c, false);
        }
    }

    fn process_start(&mut self, w: &World, mut c: Ctx, long: bool) {
        let cat = w.catalog(c.os);
        let pi = if long {
            let name = match c.os {
                Os::Windows => "powershell.exe",
                Os::Linux => {
                    if self.rng.chance(0.5) {
                        "bash"
                    } else {
                        "java"
                    }
                }
                Os::Macos => "zsh",
            };
            cat.procs
                .iter()
                .position(|p| p.name == name)
                .expect("in catalog")
        } else {
            self.rng.weighted(&cat.cum)
        };
        let p = &cat.procs[pi];
        c.pname = p.name;
        let me = ProcRef {
            host: c.host,
            proc_: pi as u16,
            user: c.user,
            pid: self.new_pid(c.os),
            counter: self.starts,
            start_ms: c.ts,
        };
        self.starts += 1;
        // The parent: a recent start on this host (30%) or a likely parent.
        let hr = self.host_recent[usize::from(c.host)];
        let parent = if hr.0 > 0 && self.rng.chance(0.3) {
            hr.1[self.rng.below(usize::from(hr.0.min(4)))]
        } else {
            let cands = &cat.parents[pi];
            let pp = if cands.is_empty() {
                self.rng.weighted(&cat.cum) as u16
            } else {
                *self.rng.pick(cands)
            };
            let mut r = self.ancient(&c, pp);
            let pname = cat.procs[usize::from(pp)].name;
            if matches!(
                pname,
                "services.exe"
                    | "wininit.exe"
                    | "smss.exe"
                    | "winlogon.exe"
                    | "systemd"
                    | "launchd"
                    | "svchost.exe"
            ) {
                r.user = match c.os {
                    Os::Windows => WIN_SYSTEM.start,
                    _ => NIX_SYSTEM.start,
                };
            }
            r
        };
        let pp = &cat.procs[usize::from(parent.proc_)];

        let (d, action, kind): (&'static Ds, &'static str, &'static [&'static str]) = match c.source
        {
            Source::Endpoint if c.os == Os::Windows => (&EP_PROCESS, "start", &["start"]),
            Source::Endpoint => (&EP_PROCESS, "exec", &["start"]),
            Source::Sysmon => (&SYSMON, "Process Create (rule: ProcessCreate)", &["start"]),
            Source::Auditd => (&AUDITD, "executed", &["start"]),
        };
        let code = if c.source == Source::Sysmon { "1" } else { "" };
        self.header(w, &c, d, &["process"], kind, action, code);

        // process.*
        let exe = self.executable(w, &c, p, c.user, F::ProcessExecutable, F::ProcessName);
        let fs = [F::ProcessArgs, F::ProcessArgsCount, F::ProcessCommandLine];
        if long {
            self.long_arguments(w, &c, p, exe, fs);
        } else {
            let tpl = *self.rng.pick(p.args);
            self.arguments(w, &c, p, exe, tpl, fs);
        }
        let a = self.pos();
        self.entity_id(w, &me);
        self.fin(F::ProcessEntityId, a);
        self.int(F::ProcessPid, i64::from(me.pid));
        let a = self.pos();
        let person = matches!(
            w.users[c.user as usize].kind,
            UserKind::Person | UserKind::Exotic
        );
        if person && self.rng.chance(0.6) {
            self.home(w, &c);
        } else {
            self.push(match c.os {
                Os::Windows => "C:\\Windows\\system32\\",
                _ => "/",
            });
        }
        self.fin(F::ProcessWorkingDirectory, a);
        self.hashes(w, &c, me.proc_, c.source == Source::Endpoint);

        // process.parent.*
        let pexe = self.executable(
            w,
            &c,
            pp,
            parent.user,
            F::ProcessParentExecutable,
            F::ProcessParentName,
        );
        if c.source == Source::Auditd {
            self.unset(F::ProcessParentExecutable);
            self.unset(F::ProcessParentName);
        } else {
            let tpl = *self.rng.pick(pp.args);
            let pc = Ctx {
                user: parent.user,
                ..c
            };
            self.arguments(
                w,
                &pc,
                pp,
                pexe,
                tpl,
                [
                    F::ProcessParentArgs,
                    F::ProcessParentArgsCount,
                    F::ProcessParentCommandLine,
                ],
            );
            let a = self.pos();
            self.entity_id(w, &parent);
            self.fin(F::ProcessParentEntityId, a);
        }
        self.int(F::ProcessParentPid, i64::from(parent.pid));

        match c.os {
            Os::Windows => {
                if !p.ofn.is_empty() {
                    self.st(F::ProcessPeOriginalFileName, p.ofn);
                    self.st(F::ProcessPeDescription, p.desc);
                    self.st(F::ProcessPeCompany, p.company);
                }
                if c.source == Source::Endpoint {
                    self.set(
                        F::ProcessCodeSignatureExists,
                        Val::Bool(!p.signer.is_empty()),
                    );
                    if !p.signer.is_empty() {
                        self.st(F::ProcessCodeSignatureSubjectName, p.signer);
                        self.st(F::ProcessCodeSignatureStatus, "trusted");
                        self.set(F::ProcessCodeSignatureTrusted, Val::Bool(true));
                    }
                }
                if c.source == Source::Sysmon {
                    self.winlog(w, &c, &SYSMON, "1", "Process Create (rule: ProcessCreate)");
                    self.st(F::WinlogEventDataRuleName, "-");
                    self.st(
                        F::WinlogEventDataIntegrityLevel,
                        if w.users[c.user as usize].kind == UserKind::WinSystem {
                            "System"
                        } else {
                            "Medium"
                        },
                    );
                    self.st(
                        F::WinlogEventDataTerminalSessionId,
                        if c.user < WIN_SYSTEM.end { "0" } else { "1" },
                    );
                    let key = mix64(w.seed ^ (u64::from(me.proc_) << 8) ^ u64::from(c.host % 3));
                    let a = self.pos();
                    self.push("SHA1=");
                    self.hex(mix64(key ^ 21), 16);
                    self.hex(mix64(key ^ 22), 16);
                    self.hex(mix64(key ^ 23), 8);
                    self.push(",MD5=");
                    self.hex(mix64(key ^ 11), 16);
                    self.hex(mix64(key ^ 12), 16);
                    self.push(",SHA256=");
                    for k in 0..4 {
                        self.hex(mix64(key ^ k), 16);
                    }
                    self.push(",IMPHASH=");
                    self.hex(mix64(key ^ 31), 16);
                    self.hex(mix64(key ^ 32), 16);
                    let hs = self.fin(F::WinlogEventDataHashes, a);
                    self.ev.text[hs.0 as usize..hs.1 as usize].make_ascii_uppercase();
                }
            }
            Os::Macos => {
                let apple = !p.dir.starts_with("/Applications");
                self.set(F::ProcessCodeSignatureExists, Val::Bool(true));
                self.st(
                    F::ProcessCodeSignatureSubjectName,
                    if apple {
                        "Software Signing"
                    } else {
                        "Developer ID Application"
                    },
                );
                self.st(F::ProcessCodeSignatureStatus, "trusted");
                self.set(F::ProcessCodeSignatureTrusted, Val::Bool(true));
            }
            Os::Linux => {}
        }
        if c.source == Source::Auditd {
            self.auditd(w, &c, "execve", "executed");
            if let Some(Val::Text(a, b)) = self.ev.slots[F::ProcessCommandLine.idx()] {
                let end = b.min(a + 128);
                self.set(F::ProcessTitle, Val::Text(a, end));
            }
        }
        self.remember(me, c.os);
    }

    fn unset(&mut self, f: F) {
        self.ev.slots[f.idx()] = None;
    }

    fn auditd(&mut self, w: &World, c: &Ctx, syscall: &'static str, how: &'static str) {
        self.st(F::AuditdDataSyscall, syscall);
        let tty = if self.rng.chance(0.3) {
            "pts0"
        } else {
            "(none)"
        };
        self.st(F::AuditdDataTty, tty);
        self.st(F::AuditdResult, "success");
        self.seq += 1;
        self.int(F::AuditdSequence, self.seq);
        let a = self.pos();
        let s = self.rng.range(1, 5000) as i64;
        self.num(s);
        self.fin(F::AuditdSession, a);
        self.text(F::AuditdSummaryActorPrimary, &w.users[c.user as usize].name);
        self.st(F::AuditdSummaryActorSecondary, "root");
        self.st(F::AuditdSummaryHow, how);
        if let Some(v @ (Val::Text(..) | Val::Static(_))) =
            self.ev.slots[F::ProcessExecutable.idx()]
        {
            self.set(F::AuditdSummaryObjectPrimary, v);
        }
        self.st(F::AuditdSummaryObjectType, "file");
    }

    /// Long `args`/`command_line` for the 4–16 KB tail.
    fn long_arguments(&mut self, w: &World, c: &Ctx, p: &Proc, exe: (u32, u32), fs: [F; 3]) {
        let target = self.tail_target();
        let items = self.ev.items.len();
        self.ev.items.push(Val::Text(exe.0, exe.1));
        match p.name {
            "powershell.exe" => {
                let flags: &[&str] = match self.rng.below(3) {
                    0 => &["-NoP", "-NonI", "-W", "Hidden", "-Enc"],
                    1 => &[
                        "-ExecutionPolicy",
                        "Bypass",
                        "-NoProfile",
                        "-EncodedCommand",
                    ],
                    _ => &["-nop", "-w", "hidden", "-e"],
                };
                self.ev.items.extend(flags.iter().map(|s| Val::Static(s)));
                // base64(UTF-16LE(script)): ~2.67 bytes per script byte, written twice.
                let script_len = (target.saturating_sub(2_500) / 2) * 3 / 8;
                let mut script = String::with_capacity(script_len + 200);
                while script.len() < script_len {
                    script.push_str(catalog::PS_LINES[self.rng.below(catalog::PS_LINES.len())]);
                    script.push_str("\r\n");
                }
                let utf16: Vec<u8> = script.encode_utf16().flat_map(u16::to_le_bytes).collect();
                let a = self.pos();
                self.base64(&utf16);
                self.item_text(a);
            }
            "bash" | "zsh" => {
                self.ev.items.push(Val::Static("-c"));
                let a = self.pos();
                let len = target.saturating_sub(1_700) / 2;
                while (self.pos() - a) as usize + 40 < len {
                    let s = *self.rng.pick(catalog::SHELL_SNIPPETS);
                    self.expand(w, c, s);
                    let sep = if self.rng.chance(0.3) { "\n" } else { " && " };
                    self.push(sep);
                }
                self.push("exit 0");
                self.item_text(a);
            }
            _ => {
                // java: long options and a long classpath.
                let budget = target.saturating_sub(2_200) / 2;
                let start = self.pos();
                for opt in [
                    "-Xms2g",
                    "-Xmx2g",
                    "-XX:+UseG1GC",
                    "-XX:MaxGCPauseMillis=200",
                    "-Dfile.encoding=UTF-8",
                ] {
                    self.ev.items.push(Val::Static(opt));
                }
                let mut k = 0;
                while ((self.pos() - start) as usize) < budget / 2 {
                    let a = self.pos();
                    self.push("-Dapp.");
                    let d = *self.rng.pick(catalog::DOCS);
                    self.push(d);
                    self.push(".setting");
                    self.num(k);
                    self.push("=");
                    let v = self.rng.next_u64();
                    self.hex(v, 16);
                    self.item_text(a);
                    k += 1;
                }
                self.ev.items.push(Val::Static("-cp"));
                let a = self.pos();
                let mut first = true;
                while ((self.pos() - start) as usize) < budget {
                    if !first {
                        self.push(":");
                    }
                    first = false;
                    self.push("/opt/app/lib/");
                    let d = *self.rng.pick(catalog::DOCS);
                    self.push(d);
                    self.push("-");
                    let v = self.rng.range(1, 9) as i64;
                    self.num(v);
                    self.push(".");
                    let v = self.rng.range(0, 30) as i64;
                    self.num(v);
                    self.push(".jar");
                }
                self.item_text(a);
                self.ev.items.push(Val::Static("com.example.Main"));
            }
        }
        self.args_tail(c, items, fs);
    }

    /// Total size aimed at for a tail event: log-uniform in 4.25–15.5 KB.
    fn tail_target(&mut self) -> usize {
        let u = self.rng.f64();
        (4_250.0 * (15_500.0f64 / 4_250.0).powf(u)) as usize
    }

    fn script_block(&mut self, w: &World, mut c: Ctx) {
        c.pname = "powershell.exe";
        self.header(
            w,
            &c,
            &POWERSHELL,
            &["process"],
            &["info"],
            "Execute a Remote Command",
            "4104",
        );
        let target = self.tail_target();
        let a = self.pos();
        let len = target.saturating_sub(1_600) * 100 / 108;
        while ((self.pos() - a) as usize) < len {
            let line = *self.rng.pick(catalog::PS_LINES);
            self.push(line);
            self.push("\r\n");
        }
        self.fin(F::PowershellFileScriptBlockText, a);
        let a = self.pos();
        let (x, y) = (self.rng.next_u64(), self.rng.next_u64());
        self.guid(x, y, false);
        self.fin(F::PowershellFileScriptBlockId, a);
        self.int(F::PowershellSequence, 1);
        self.int(F::PowershellTotal, 1);
        if self.rng.chance(0.5) {
            let a = self.pos();
            self.expand(w, &c, "{U}\\scripts\\{D}.ps1");
            let path = self.fin(F::FilePath, a);
            self.path_parts(path, b'\\');
        }
        let pid = self.new_pid(Os::Windows);
        self.int(F::ProcessPid, i64::from(pid));
        self.winlog(w, &c, &POWERSHELL, "4104", "Execute a Remote Command");
    }

    fn process_end(&mut self, w: &World, ts: i64, exotic: bool, r: ProcRef) {
        let mut c = self.ctx(w, r.host, r.user, ts, exotic);
        c.pname = w.catalog(c.os).procs[usize::from(r.proc_)].name;
        let (d, action): (&'static Ds, &'static str) = match c.source {
            Source::Endpoint => (&EP_PROCESS, "end"),
            Source::Sysmon => (&SYSMON, "Process terminated (rule: ProcessTerminate)"),
            Source::Auditd => (&AUDITD, "ended"),
        };
        let code = if c.source == Source::Sysmon { "5" } else { "" };
        self.header(w, &c, d, &["process"], &["end"], action, code);
        self.actor_fields(w, &c, &r);
        if c.source == Source::Sysmon {
            self.winlog(
                w,
                &c,
                &SYSMON,
                "5",
                "Process terminated (rule: ProcessTerminate)",
            );
            self.st(F::WinlogEventDataRuleName, "-");
        } else {
            let code = match self.rng.below(10) {
                0 => 1,
                1 if c.os == Os::Windows => -1_073_741_510,
                1 => 130,
                _ => 0,
            };
            self.int(F::ProcessExitCode, code);
            self.hashes(w, &c, r.proc_, c.source == Source::Endpoint);
        }
        if c.source == Source::Auditd {
            self.auditd(w, &c, "exit_group", "ended");
        }
    }

    // ---- network ---------------------------------------------------------------------

    fn network(&mut self, w: &World, ts: i64, exotic: bool) {
        let (c, r) = self.actor(w, ts, exotic, false);
        let h = &w.hosts[usize::from(c.host)];
        let dns = c.source != Source::Auditd && self.rng.chance(0.2);
        let egress = dns || self.rng.chance(0.78);
        let (port, udp, proto) = if dns {
            (53, true, "dns")
        } else if egress {
            let e = EGRESS_PORTS[self.rng.weighted(&self.egress_cum)];
            (e.0, e.1, e.2)
        } else {
            let e = INGRESS_PORTS[self.rng.weighted(&self.ingress_cum)];
            (e.0, e.1, e.2)
        };
        let (d, action, kind, code): (
            &'static Ds,
            &'static str,
            &'static [&'static str],
            &'static str,
        ) = match (c.source, dns) {
            (Source::Endpoint, true) => {
                (&EP_NETWORK, "lookup_requested", &["protocol", "info"], "")
            }
            (Source::Endpoint, false) if egress => {
                (&EP_NETWORK, "connection_attempted", &["start"], "")
            }
            (Source::Endpoint, false) => (&EP_NETWORK, "connection_accepted", &["start"], ""),
            (Source::Sysmon, true) => (
                &SYSMON,
                "Dns query (rule: DnsQuery)",
                &["connection", "protocol", "info"],
                "22",
            ),
            (Source::Sysmon, false) => (
                &SYSMON,
                "Network connection detected (rule: NetworkConnect)",
                &["connection", "start"],
                "3",
            ),
            (Source::Auditd, _) => (
                &AUDITD,
                if egress {
                    "connected-to"
                } else {
                    "accepted-connection-from"
                },
                &["connection", "start"],
                "",
            ),
        };
        self.header(w, &c, d, &["network"], kind, action, code);
        self.actor_fields(w, &c, &r);
        let ipv6 = !dns && self.rng.chance(0.08);
        // Local and remote addresses.
        let local = if ipv6 {
            self.text(F::SourceIp, &h.ip6)
        } else {
            self.text(F::SourceIp, &h.ip)
        };
        let remote_a = self.pos();
        if dns {
            match self.rng.below(3) {
                0 => self.push("8.8.8.8"),
                1 => self.push("1.1.1.1"),
                _ => {
                    let ip = [10, h.ip4[1], 0, 2];
                    self.ip4(ip);
                }
            }
        } else if ipv6 {
            let prefix = if self.rng.chance(0.5) {
                "2a00:1450:4001:"
            } else {
                "2606:4700:"
            };
            self.push(prefix);
            let v = self.rng.next_u64();
            self.hex(v & 0xfff, 3);
            self.push("::");
            self.hex(v >> 40, 4);
        } else if egress && self.rng.chance(0.6) {
            let net = *self.rng.pick(PUBLIC_NETS);
            let ip = [
                net[0],
                net[1],
                self.rng.below(256) as u8,
                self.rng.range(1, 254) as u8,
            ];
            self.ip4(ip);
        } else {
            let ip = [
                10,
                self.rng.range(20, 120) as u8,
                self.rng.below(256) as u8,
                self.rng.range(2, 254) as u8,
            ];
            self.ip4(ip);
        }
        let remote = (remote_a, self.pos());
        let ephemeral = match c.os {
            Os::Windows => self.rng.range(49_152, 65_535),
            _ => self.rng.range(32_768, 60_999),
        } as i64;
        if egress {
            self.int(F::SourcePort, ephemeral);
            self.set(F::DestinationIp, Val::Text(remote.0, remote.1));
            self.int(F::DestinationPort, i64::from(port));
        } else {
            self.set(F::DestinationIp, Val::Text(local.0, local.1));
            self.int(F::DestinationPort, i64::from(port));
            self.set(F::SourceIp, Val::Text(remote.0, remote.1));
            self.int(F::SourcePort, ephemeral);
        }
        let items = self.ev.items.len();
        self.ev.items.push(Val::Text(local.0, local.1));
        self.ev.items.push(Val::Text(remote.0, remote.1));
        self.list_from(F::RelatedIp, items);
        self.st(
            F::NetworkDirection,
            if egress { "egress" } else { "ingress" },
        );
        self.st(F::NetworkTransport, if udp { "udp" } else { "tcp" });
        self.st(F::NetworkType, if ipv6 { "ipv6" } else { "ipv4" });
        if dns || self.rng.chance(0.5) {
            self.st(F::NetworkProtocol, proto);
        }
        if dns {
            let a = self.pos();
            if self.rng.chance(0.3) {
                let v = self.rng.next_u64();
                self.hex(v, 6);
                self.push(".");
            }
            let dom = *self.rng.pick(catalog::DOMAINS);
            self.push(dom);
            let q = self.fin(F::DnsQuestionName, a);
            self.vary(q);
            let aaaa = self.rng.chance(0.2);
            self.st(F::DnsQuestionType, if aaaa { "AAAA" } else { "A" });
            let items = self.ev.items.len();
            for _ in 0..self.rng.range(1, 3) {
                let a = self.pos();
                if aaaa {
                    self.push("2606:4700::");
                    let v = self.rng.next_u64();
                    self.hex(v, 4);
                } else {
                    let net = *self.rng.pick(PUBLIC_NETS);
                    let ip = [
                        net[0],
                        net[1],
                        self.rng.below(256) as u8,
                        self.rng.range(1, 254) as u8,
                    ];
                    self.ip4(ip);
                }
                self.item_text(a);
            }
            self.list_from(F::DnsResolvedIp, items);
        } else if c.source == Source::Sysmon && egress && self.rng.chance(0.4) {
            let dom = *self.rng.pick(catalog::DOMAINS);
            self.st(F::DestinationDomain, dom);
        }
        match c.source {
            Source::Sysmon => {
                let (id, task) = if dns {
                    ("22", "Dns query (rule: DnsQuery)")
                } else {
                    ("3", "Network connection detected (rule: NetworkConnect)")
                };
                self.winlog(w, &c, &SYSMON, id, task);
                self.st(F::WinlogEventDataRuleName, "-");
            }
            Source::Auditd => {
                self.auditd(w, &c, if egress { "connect" } else { "accept4" }, action)
            }
            Source::Endpoint => {}
        }
    }

    // ---- file ------------------------------------------------------------------------

    fn file(&mut self, w: &World, ts: i64, exotic: bool) {
        let (c, r) = self.actor(w, ts, exotic, false);
        let k = self.rng.below(10);
        let (d, action, kind, code): (
            &'static Ds,
            &'static str,
            &'static [&'static str],
            &'static str,
        ) = match c.source {
            Source::Endpoint => match k {
                0..=3 => (&EP_FILE, "creation", &["creation"], ""),
                4..=6 => (&EP_FILE, "modification", &["change"], ""),
                7 => (&EP_FILE, "rename", &["change"], ""),
                8 => (&EP_FILE, "overwrite", &["access", "change"], ""),
                _ => (&EP_FILE, "deletion", &["deletion"], ""),
            },
            Source::Sysmon => match k {
                0..=6 => (
                    &SYSMON,
                    "File created (rule: FileCreate)",
                    &["creation"],
                    "11",
                ),
                7 => (
                    &SYSMON,
                    "File creation time changed (rule: FileCreateTime)",
                    &["change"],
                    "2",
                ),
                _ => (
                    &SYSMON,
                    "File Delete archived (rule: FileDelete)",
                    &["deletion"],
                    "23",
                ),
            },
            Source::Auditd => match k {
                0..=4 => (&AUDITD, "opened-file", &["creation"], ""),
                5..=7 => (&AUDITD, "wrote-to-file", &["change"], ""),
                _ => (&AUDITD, "deleted", &["deletion"], ""),
            },
        };
        self.header(w, &c, d, &["file"], kind, action, code);
        self.actor_fields(w, &c, &r);
        let tpl = match c.os {
            Os::Windows => *self.rng.pick(WIN_FILES),
            Os::Linux => *self.rng.pick(NIX_FILES),
            Os::Macos => *self.rng.pick(MAC_FILES),
        };
        let a = self.pos();
        self.expand(w, &c, tpl);
        let path = self.fin(F::FilePath, a);
        self.vary(path);
        self.path_parts(path, if c.os == Os::Windows { b'\\' } else { b'/' });
        if kind[0] != "deletion" {
            let u = self.rng.f64();
            self.int(F::FileSize, (16.0 * 1e6f64.powf(u)) as i64);
        }
        match c.source {
            Source::Sysmon => {
                self.winlog(w, &c, &SYSMON, code, action);
                self.st(F::WinlogEventDataRuleName, "-");
            }
            Source::Auditd => {
                let syscall = match kind[0] {
                    "deletion" => "unlinkat",
                    "change" => "write",
                    _ => "openat",
                };
                self.auditd(w, &c, syscall, action);
                self.set(F::AuditdSummaryObjectPrimary, Val::Text(path.0, path.1));
            }
            Source::Endpoint => {}
        }
    }

    /// `file.directory`, `file.name`, `file.extension` as parts of `file.path`.
    fn path_parts(&mut self, (a, b): (u32, u32), sep: u8) {
        let s = &self.ev.text[a as usize..b as usize];
        let cut = s.iter().rposition(|&x| x == sep).map_or(0, |i| i + 1);
        let name = a + cut as u32;
        let dot = s[cut..].iter().rposition(|&x| x == b'.');
        let len = s.len();
        if cut > 0 {
            self.set(F::FileDirectory, Val::Text(a, name - 1));
        }
        self.set(F::FileName, Val::Text(name, b));
        if let Some(d) = dot {
            if d > 0 && (cut + d + 1) < len {
                self.set(F::FileExtension, Val::Text(name + d as u32 + 1, b));
            }
        }
    }

    // ---- authentication ----------------------------------------------------------------

    fn authentication(&mut self, w: &World, ts: i64, exotic: bool) {
        let mut c = self.fresh_ctx(w, ts, exotic, false, true);
        if c.os == Os::Windows {
            self.windows_logon(w, &mut c);
        } else {
            self.ssh_login(w, &mut c);
        }
    }

    fn windows_logon(&mut self, w: &World, c: &mut Ctx) {
        // Target: mostly people.
        if !c.exotic && w.users[c.user as usize].kind == UserKind::WinSystem && self.rng.chance(0.6)
        {
            c.user = w.hosts[usize::from(c.host)].owner;
        }
        c.pname = "lsass.exe";
        let k = self.rng.below(20);
        let (code, action, kind, ok): (&'static str, &'static str, &'static [&'static str], bool) =
            match k {
                0..=10 => ("4624", "logged-in", &["start"], true),
                11..=14 => ("4625", "logon-failed", &["start"], false),
                15..=16 => ("4648", "logged-in-explicit", &["start"], true),
                _ => ("4634", "logged-out", &["end"], true),
            };
        self.header(w, c, &SECURITY, &["authentication"], kind, action, code);
        self.st(F::EventOutcome, if ok { "success" } else { "failure" });
        let lt = LOGON_TYPES[self.rng.weighted(&self.logon_cum)];
        let remote = matches!(lt.1, "3" | "10");
        let h = &w.hosts[usize::from(c.host)];
        let u = &w.users[c.user as usize];
        let ip = self.pos();
        if remote {
            let ipv = [
                10,
                self.rng.range(20, 120) as u8,
                self.rng.below(256) as u8,
                self.rng.range(2, 254) as u8,
            ];
            self.ip4(ipv);
        } else {
            self.push("127.0.0.1");
        }
        let ip = (ip, self.pos());
        let port = if remote {
            self.rng.range(49_152, 65_535) as i64
        } else {
            0
        };
        if code != "4634" {
            self.set(F::SourceIp, Val::Text(ip.0, ip.1));
            self.int(F::SourcePort, port);
            let items = self.ev.items.len();
            self.ev.items.push(Val::Text(ip.0, ip.1));
            self.list_from(F::RelatedIp, items);
            self.st(F::ProcessName, "lsass.exe");
            self.st(F::ProcessExecutable, "C:\\Windows\\System32\\lsass.exe");
            let pid = 4 * (150 + (mix64(u64::from(c.host)) % 200)) as i64;
            self.int(F::ProcessPid, pid);
        }
        self.winlog(
            w,
            c,
            &SECURITY,
            code,
            if code == "4634" { "Logoff" } else { "Logon" },
        );
        self.list(
            F::WinlogKeywords,
            if ok {
                &["Audit Success"]
            } else {
                &["Audit Failure"]
            },
        );
        let a = self.pos();
        self.push("0x");
        let v = self.rng.next_u64();
        self.hex(v, 7);
        let logon_id = self.fin(F::WinlogLogonId, a);
        self.st(F::WinlogLogonType, lt.0);
        let (pkg, lproc) = if remote && self.rng.chance(0.4) {
            ("NTLM", "NtLmSsp ")
        } else if remote {
            ("Kerberos", "Kerberos")
        } else {
            ("Negotiate", "User32 ")
        };
        if code != "4634" {
            self.st(F::WinlogEventDataAuthenticationPackageName, pkg);
            self.set(F::WinlogEventDataIpAddress, Val::Text(ip.0, ip.1));
            let pa = self.pos();
            self.num(port);
            self.fin(F::WinlogEventDataIpPort, pa);
            self.st(F::WinlogEventDataLogonProcessName, lproc);
            self.st(F::WinlogEventDataSubjectDomainName, h.domain);
            let sa = self.pos();
            self.push(&h.name);
            self.push("$");
            self.fin(F::WinlogEventDataSubjectUserName, sa);
            self.st(F::WinlogEventDataSubjectUserSid, "S-1-5-18");
            let ws = self.pos();
            if remote {
                let o = self.rng.below(w.hosts.len());
                self.push(&w.hosts[o].name);
            } else {
                self.push(&h.name);
            }
            self.fin(F::WinlogEventDataWorkstationName, ws);
        }
        self.st(F::WinlogEventDataLogonType, lt.1);
        let domain = if u.domain.is_empty() {
            h.domain
        } else {
            u.domain
        };
        self.st(F::WinlogEventDataTargetDomainName, domain);
        if let Some(v) = self.ev.slots[F::UserName.idx()] {
            self.set(F::WinlogEventDataTargetUserName, v);
        }
        if let Some(v) = self.ev.slots[F::UserId.idx()] {
            self.set(F::WinlogEventDataTargetUserSid, v);
        }
        // The rendered message (tabs and newlines: escapes).
        let m = self.pos();
        self.push(match code {
            "4624" => "An account was successfully logged on.",
            "4625" => "An account failed to log on.",
            "4648" => "A logon was attempted using explicit credentials.",
            _ => "An account was logged off.",
        });
        self.push("\n\nSubject:\n\tSecurity ID:\t\tS-1-5-18\n\tAccount Name:\t\t");
        self.push(&h.name);
        self.push("$\n\tAccount Domain:\t\t");
        self.push(h.domain);
        self.push("\n\tLogon ID:\t\t0x3E7\n\nLogon Information:\n\tLogon Type:\t\t");
        self.push(lt.1);
        self.push("\n\tRestricted Admin Mode:\t-\n\tVirtual Account:\t\tNo\n\tElevated Token:\t\tYes\n\nNew Logon:\n\tSecurity ID:\t\t");
        self.push(&u.sid);
        self.push("\n\tAccount Name:\t\t");
        self.push(&u.name);
        self.push("\n\tAccount Domain:\t\t");
        self.push(domain);
        self.push("\n\tLogon ID:\t\t");
        self.ev
            .text
            .extend_from_within(logon_id.0 as usize..logon_id.1 as usize);
        self.push("\n\nNetwork Information:\n\tSource Network Address:\t");
        self.ev
            .text
            .extend_from_within(ip.0 as usize..ip.1 as usize);
        self.push("\n\tSource Port:\t\t");
        self.num(port);
        self.push("\n\nDetailed Authentication Information:\n\tLogon Process:\t\t");
        self.push(lproc);
        self.push("\n\tAuthentication Package:\t");
        self.push(pkg);
        self.fin(F::Message, m);
    }

    fn ssh_login(&mut self, w: &World, c: &mut Ctx) {
        c.pname = "sshd";
        let ok = self.rng.chance(0.7);
        let kind: &'static [&'static str] = if ok { &["start"] } else { &["info"] };
        self.header(
            w,
            c,
            &SYSTEM_AUTH,
            &["authentication", "session"],
            kind,
            "ssh_login",
            "",
        );
        self.st(F::EventOutcome, if ok { "success" } else { "failure" });
        let ip = self.pos();
        let ipv = if self.rng.chance(0.8) {
            [
                10,
                self.rng.range(20, 120) as u8,
                self.rng.below(256) as u8,
                self.rng.range(2, 254) as u8,
            ]
        } else {
            let net = *self.rng.pick(PUBLIC_NETS);
            [
                net[0],
                net[1],
                self.rng.below(256) as u8,
                self.rng.range(1, 254) as u8,
            ]
        };
        self.ip4(ipv);
        let ip = (ip, self.pos());
        let port = self.rng.range(32_768, 60_999) as i64;
        self.set(F::SourceIp, Val::Text(ip.0, ip.1));
        self.int(F::SourcePort, port);
        let items = self.ev.items.len();
        self.ev.items.push(Val::Text(ip.0, ip.1));
        self.list_from(F::RelatedIp, items);
        self.st(F::ProcessName, "sshd");
        let pid = self.rng.range(300, 400_000) as i64;
        self.int(F::ProcessPid, pid);
        let key = self.rng.chance(0.6);
        self.st(
            F::SystemAuthSshMethod,
            if key { "publickey" } else { "password" },
        );
        let sig = self.pos();
        if key {
            self.push("ED25519 SHA256:");
            for _ in 0..43 {
                let r = self.rng.below(64);
                self.ev.text.push(B64[r]);
            }
            self.fin(F::SystemAuthSshSignature, sig);
        }
        let sig = (sig, self.pos());
        self.st(
            F::LogFilePath,
            if c.host % 2 == 0 {
                "/var/log/auth.log"
            } else {
                "/var/log/secure"
            },
        );
        let u = &w.users[c.user as usize];
        let m = self.pos();
        self.push(if ok { "Accepted " } else { "Failed " });
        self.push(if key { "publickey" } else { "password" });
        self.push(" for ");
        if !ok && self.rng.chance(0.3) {
            self.push("invalid user ");
        }
        self.push(&u.name);
        self.push(" from ");
        self.ev
            .text
            .extend_from_within(ip.0 as usize..ip.1 as usize);
        self.push(" port ");
        self.num(port);
        self.push(" ssh2");
        if key {
            self.push(": ");
            self.ev
                .text
                .extend_from_within(sig.0 as usize..sig.1 as usize);
        }
        self.fin(F::Message, m);
    }

    // ---- registry --------------------------------------------------------------------

    fn registry(&mut self, w: &World, ts: i64, exotic: bool) {
        let (mut c, r) = self.actor(w, ts, exotic, true);
        let &(hklm, key, value, data) = self.rng.pick(REGISTRY);
        let k = self.rng.below(10);
        let (d, action, kind, code): (
            &'static Ds,
            &'static str,
            &'static [&'static str],
            &'static str,
        ) = match c.source {
            Source::Sysmon if k < 8 => (
                &SYSMON,
                "Registry value set (rule: RegistryEvent)",
                &["change"],
                "13",
            ),
            Source::Sysmon if k < 9 => (
                &SYSMON,
                "Registry object added or deleted (rule: RegistryEvent)",
                &["creation"],
                "12",
            ),
            Source::Sysmon => (
                &SYSMON,
                "Registry object added or deleted (rule: RegistryEvent)",
                &["deletion"],
                "12",
            ),
            _ if k < 9 => (&EP_REGISTRY, "modification", &["change"], ""),
            _ => (&EP_REGISTRY, "deletion", &["deletion"], ""),
        };
        self.header(w, &c, d, &["registry"], kind, action, code);
        c.pname = w.win.procs[usize::from(r.proc_)].name;
        self.actor_fields(w, &c, &r);
        let sysmon = c.source == Source::Sysmon;
        let a = self.pos();
        self.push(match (hklm, sysmon) {
            (true, true) => "HKLM\\",
            (true, false) => "HKEY_LOCAL_MACHINE\\",
            (false, true) => "HKU\\",
            (false, false) => "HKEY_USERS\\",
        });
        let ka = self.pos();
        self.expand(w, &c, key);
        let kb = self.pos();
        self.push("\\");
        let va = self.pos();
        self.expand(w, &c, value);
        let path = self.fin(F::RegistryPath, a);
        self.vary(path);
        self.st(F::RegistryHive, if hklm { "HKLM" } else { "HKU" });
        self.set(F::RegistryKey, Val::Text(ka, kb));
        self.set(F::RegistryValue, Val::Text(va, path.1));
        if kind[0] != "deletion" {
            let items = self.ev.items.len();
            let ty = match data {
                RegData::Sz(t) | RegData::ExpandSz(t) => {
                    let a = self.pos();
                    self.expand(w, &c, t);
                    self.item_text(a);
                    if matches!(data, RegData::Sz(_)) {
                        "REG_SZ"
                    } else {
                        "REG_EXPAND_SZ"
                    }
                }
                RegData::Dword => {
                    let a = self.pos();
                    let v = self.rng.below(5) as i64;
                    self.num(v);
                    self.item_text(a);
                    "REG_DWORD"
                }
                RegData::Binary => "REG_BINARY",
            };
            self.st(F::RegistryDataType, ty);
            self.list_from(F::RegistryDataStrings, items);
        }
        if sysmon {
            self.winlog(w, &c, &SYSMON, code, action);
            self.st(F::WinlogEventDataRuleName, "-");
        }
    }

    // ---- after the build ---------------------------------------------------------------

    /// `rare_share` of the events that have a field of the rare vocabulary get one of its
    /// values.
    fn apply_rare(&mut self) {
        for i in 0..self.rare.len() {
            let f = self.rare[i].0;
            let Some(cur) = self.ev.slots[f] else {
                continue;
            };
            if matches!(cur, Val::Null) || !self.rng.chance(self.rare_share) {
                continue;
            }
            let k = self.rng.below(self.rare[i].1.len());
            let mut value: &str = &self.rare[i].1[k];
            let kind = KINDS[f];
            if matches!(kind, Kind::Ip | Kind::IpList) {
                value = value.split('/').next().unwrap_or(value);
            }
            let new = match (kind, value.parse::<i64>()) {
                (Kind::Int, Ok(n)) => Val::Int(n),
                (Kind::Bool, _) if value == "true" || value == "false" => {
                    Val::Bool(value == "true")
                }
                _ => {
                    let a = self.ev.text.len() as u32;
                    self.ev.text.extend_from_slice(value.as_bytes());
                    Val::Text(a, self.ev.text.len() as u32)
                }
            };
            match cur {
                Val::List(a, n) if n > 0 => {
                    let at = a as usize + self.rng.below(n as usize);
                    self.ev.items[at] = new;
                }
                Val::List(..) => {
                    let a = self.ev.items.len() as u32;
                    self.ev.items.push(new);
                    self.ev.slots[f] = Some(Val::List(a, 1));
                }
                _ => self.ev.slots[f] = Some(new),
            }
            self.keep_consistent(f);
        }
    }

    /// After a rare value replaced a name or a path, makes its partner agree.
    fn keep_consistent(&mut self, f: usize) {
        let pairs = [
            (F::ProcessName, F::ProcessExecutable),
            (F::ProcessParentName, F::ProcessParentExecutable),
            (F::FileName, F::FilePath),
        ];
        for (name, path) in pairs {
            if f == name.idx() {
                let (Some(n), Some(p)) = (self.ev.slots[name.idx()], self.ev.slots[path.idx()])
                else {
                    continue;
                };
                let (Some(nb), Some(pb)) = (self.ev.str_of(n), self.ev.str_of(p)) else {
                    continue;
                };
                let cut = pb
                    .iter()
                    .rposition(|&b| b == b'\\' || b == b'/')
                    .map_or(0, |i| i + 1);
                let mut joined = pb[..cut].to_vec();
                joined.extend_from_slice(nb);
                let a = self.ev.text.len() as u32;
                self.ev.text.extend_from_slice(&joined);
                self.ev.slots[path.idx()] = Some(Val::Text(a, self.ev.text.len() as u32));
            } else if f == path.idx() {
                let Some(p) = self.ev.slots[path.idx()] else {
                    continue;
                };
                if self.ev.slots[name.idx()].is_none() {
                    continue;
                }
                if let Val::Text(a, b) = p {
                    let pb = &self.ev.text[a as usize..b as usize];
                    let cut = pb
                        .iter()
                        .rposition(|&x| x == b'\\' || x == b'/')
                        .map_or(0, |i| i + 1);
                    self.ev.slots[name.idx()] = Some(Val::Text(a + cut as u32, b));
                }
            }
        }
    }

    /// Dirty data: a missing field (2%), a `null` (0.5%), an empty array (0.5%).
    fn mutate(&mut self) {
        const KEEP: [F; 10] = [
            F::Timestamp,
            F::EventCategory,
            F::EventKind,
            F::HostOsType,
            F::AgentType,
            F::DataStreamDataset,
            F::DataStreamNamespace,
            F::DataStreamType,
            F::EcsVersion,
            F::EventDataset,
        ];
        let r = self.rng.f64();
        let op = if r < P_MISSING {
            0
        } else if r < P_MISSING + P_NULL {
            1
        } else if r < P_MISSING + P_NULL + P_EMPTY {
            2
        } else {
            return;
        };
        let candidates: Vec<usize> = (0..self.ev.slots.len())
            .filter(|&f| {
                self.ev.slots[f].is_some()
                    && !KEEP.iter().any(|k| k.idx() == f)
                    && (op != 2 || matches!(self.ev.slots[f], Some(Val::List(_, n)) if n > 0))
            })
            .collect();
        if candidates.is_empty() {
            return;
        }
        let f = *self.rng.pick(&candidates);
        self.ev.slots[f] = match op {
            0 => None,
            1 => Some(Val::Null),
            _ => Some(Val::List(0, 0)),
        };
    }
}

/// `2026-11-01T00:00:00.000Z` for epoch milliseconds `ms`.
pub(crate) fn write_timestamp(out: &mut Vec<u8>, ms: i64) {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let two = |out: &mut Vec<u8>, v: i64| {
        out.push(b'0' + (v / 10) as u8);
        out.push(b'0' + (v % 10) as u8);
    };
    let y = year.clamp(0, 9999);
    two(out, y / 100);
    two(out, y % 100);
    out.push(b'-');
    two(out, month);
    out.push(b'-');
    two(out, day);
    out.push(b'T');
    two(out, rem / 3_600_000);
    out.push(b':');
    two(out, rem / 60_000 % 60);
    out.push(b':');
    two(out, rem / 1000 % 60);
    out.push(b'.');
    let milli = rem % 1000;
    out.push(b'0' + (milli / 100) as u8);
    two(out, milli % 100);
    out.push(b'Z');
}
