//! Static vocabulary: processes per OS family, paths, domains, script text. Templates
//! use placeholders `{X}` (one upper-case letter, see `event::expand`); process
//! arguments are separated by `|`.

/// A common process of one OS family.
pub(crate) struct Proc {
    pub name: &'static str,
    /// Directory of the executable; may start with `{U}` (the user's profile).
    pub dir: &'static str,
    pub weight: u32,
    /// PE original file name, description, company (Windows only).
    pub ofn: &'static str,
    pub desc: &'static str,
    pub company: &'static str,
    /// Code-signing subject; empty for unsigned.
    pub signer: &'static str,
    /// Argument templates (after `argv[0]`), `|`-separated; one is picked per start.
    pub args: &'static [&'static str],
    /// Names of likely parents (all in the same catalog).
    pub parents: &'static [&'static str],
}

#[allow(clippy::too_many_arguments)]
const fn w(
    name: &'static str,
    dir: &'static str,
    weight: u32,
    ofn: &'static str,
    desc: &'static str,
    company: &'static str,
    signer: &'static str,
    args: &'static [&'static str],
    parents: &'static [&'static str],
) -> Proc {
    Proc {
        name,
        dir,
        weight,
        ofn,
        desc,
        company,
        signer,
        args,
        parents,
    }
}

const fn x(
    name: &'static str,
    dir: &'static str,
    weight: u32,
    args: &'static [&'static str],
    parents: &'static [&'static str],
) -> Proc {
    Proc {
        name,
        dir,
        weight,
        ofn: "",
        desc: "",
        company: "",
        signer: "",
        args,
        parents,
    }
}

const S32: &str = "C:\\Windows\\System32";
const MSW: &str = "Microsoft Windows";
const MSC: &str = "Microsoft Corporation";
const MS: &str = "Microsoft Corporation";
const SHELLS: &[&str] = &["cmd.exe", "powershell.exe", "explorer.exe"];
const SVC: &[&str] = &["svchost.exe"];

const CHROME_ARGS: &[&str] = &[
    "--type=renderer|--display-capture-permissions-policy-allowed|--video-capture-use-gpu-memory-buffer|--lang=en-US|--device-scale-factor=1|--num-raster-threads=4|--enable-main-frame-before-activation|--renderer-client-id={N}|--time-ticks-at-unix-epoch=-1729{N}|--launch-time-ticks={N}{N}|--field-trial-handle=1960,i,{N}{N},{N}{N},262144|--variations-seed-version=20261014-180113.123000|/prefetch:1",
    "--type=utility|--utility-sub-type=network.mojom.NetworkService|--lang=en-US|--service-sandbox-type=none|--field-trial-handle=1960,i,{N}{N},{N},262144|--variations-seed-version|/prefetch:3",
    "--type=gpu-process|--gpu-preferences=WAAAAAAAAADgAAAMAAAAAAAAAAAAAAAAAABgAAEAAAA4AAAAAAAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA|--field-trial-handle=1960,i,{N},{N},262144|/prefetch:2",
    "--type=crashpad-handler|--user-data-dir={U}\\AppData\\Local\\Google\\Chrome\\User Data|/prefetch:4|--monitor-self-annotation=ptype=crashpad-handler|--database={U}\\AppData\\Local\\Google\\Chrome\\User Data\\Crashpad",
    "--profile-directory=Default",
    "",
];

const EDGE_ARGS: &[&str] = &[
    "--type=renderer|--instant-process|--lang=en-US|--js-flags=--ms-user-locale=|--device-scale-factor=1|--num-raster-threads=4|--renderer-client-id={N}|--field-trial-handle=2116,i,{N}{N},{N},262144|/prefetch:1",
    "--type=utility|--utility-sub-type=storage.mojom.StorageService|--lang=en-US|--service-sandbox-type=service|--field-trial-handle=2116,i,{N},{N},262144|/prefetch:8",
    "--no-startup-window|--win-session-start",
    "",
];

pub(crate) static WINDOWS: &[Proc] = &[
    w("svchost.exe", S32, 60, "svchost.exe", "Host Process for Windows Services", MSC, MSW,
      &["-k|netsvcs|-p|-s|Schedule", "-k|LocalServiceNetworkRestricted|-p|-s|EventLog", "-k|DcomLaunch|-p",
        "-k|UnistackSvcGroup", "-k|wsappx|-p|-s|AppXSvc", "-k|NetworkService|-p|-s|Dnscache",
        "-k|LocalSystemNetworkRestricted|-p|-s|SysMain", "-k|utcsvc|-p", "-k|netsvcs|-p|-s|BITS",
        "-k|LocalService|-p|-s|BthAvctpSvc"], &["services.exe"]),
    w("conhost.exe", S32, 40, "CONHOST.EXE", "Console Window Host", MSC, MSW,
      &["0xffffffff|-ForceV1", "0x4", ""], &["cmd.exe", "powershell.exe", "git.exe", "python.exe", "svchost.exe"]),
    w("chrome.exe", "C:\\Program Files\\Google\\Chrome\\Application", 40, "chrome.exe", "Google Chrome",
      "Google LLC", "Google LLC", CHROME_ARGS, &["explorer.exe", "chrome.exe"]),
    w("msedge.exe", "C:\\Program Files (x86)\\Microsoft\\Edge\\Application", 28, "msedge.exe",
      "Microsoft Edge", MS, MSC, EDGE_ARGS, &["explorer.exe", "msedge.exe", "svchost.exe"]),
    w("RuntimeBroker.exe", S32, 14, "RuntimeBroker.exe", "Runtime Broker", MSC, MSW, &["-Embedding"], SVC),
    w("dllhost.exe", S32, 10, "dllhost.exe", "COM Surrogate", MSC, MSW,
      &["/Processid:{G}"], &["svchost.exe"]),
    w("cmd.exe", S32, 14, "Cmd.Exe", "Windows Command Processor", MSC, MSW,
      &["/c|whoami", "/c|ipconfig /all", "/c|{T}\\setup_{N}.bat", "/c|echo {H} > {T}\\{H}.log",
        "/d|/c|{T}\\{H}.cmd", "/c|net use Z: \\\\{S}\\share", "/c|dir /s /b {U}\\Documents",
        "/d|/s|/c|\"{U}\\AppData\\Local\\Programs\\Microsoft VS Code\\bin\\code.cmd\" --version",
        "/c|ping -n 1 {I}", "/c|tasklist /v", "/c|{C}", "/c|{C}", ""],
      &["explorer.exe", "powershell.exe", "svchost.exe", "Code.exe", "git.exe", "msiexec.exe"]),
    w("powershell.exe", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0", 12, "PowerShell.EXE",
      "Windows PowerShell", MSC, MSW,
      &["-NoProfile|-ExecutionPolicy|Bypass|-File|{T}\\{H}.ps1",
        "-NoLogo|-NonInteractive|-Command|{P}",
        "-ExecutionPolicy|RemoteSigned|-Command|Import-Module 'C:\\Program Files\\WindowsPowerShell\\Modules\\PSWindowsUpdate'; Get-WindowsUpdate",
        "-NoProfile|-Command|Get-ChildItem -Path \"{U}\\Downloads\" -Recurse -Filter *.zip",
        "-nop|-w|hidden|-c|{P}", "", "-NoExit|-Command|Set-Location '{U}'"],
      &["explorer.exe", "cmd.exe", "svchost.exe", "WmiPrvSE.exe", "Code.exe"]),
    w("pwsh.exe", "C:\\Program Files\\PowerShell\\7", 2, "pwsh.dll", "pwsh", MS, MSC,
      &["-NoProfile|-Command|{P}", "-File|{U}\\scripts\\{D}.ps1", ""], &["explorer.exe", "Code.exe"]),
    w("taskhostw.exe", S32, 8, "taskhostw.exe", "Host Process for Windows Tasks", MSC, MSW,
      &["", "Install $(Arg0)", "KEYROAMING", "SYSTEM"], SVC),
    w("WmiPrvSE.exe", "C:\\Windows\\System32\\wbem", 6, "Wmiprvse.exe", "WMI Provider Host", MSC, MSW,
      &["-secured|-Embedding", "-Embedding"], SVC),
    w("SearchProtocolHost.exe", S32, 7, "SearchProtocolHost.exe", "Microsoft Windows Search Protocol Host",
      MSC, MSW,
      &["Global\\UsGthrFltPipeMssGthrPipe{N}_|Global\\UsGthrCtrlFltPipeMssGthrPipe{N}|1|-2147483646|Software\\Microsoft\\Windows Search|Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)|C:\\ProgramData\\Microsoft\\Search\\Data\\Temp\\usgthrsvc|DownLevelDaemon"],
      &["SearchIndexer.exe"]),
    w("SearchIndexer.exe", S32, 2, "SearchIndexer.exe", "Microsoft Windows Search Indexer", MSC, MSW,
      &["/Embedding"], &["services.exe"]),
    w("backgroundTaskHost.exe", S32, 5, "backgroundTaskHost.exe", "Background Task Host", MSC, MSW,
      &["-ServerName:App.AppXnme9zjyebb2xnyygh6q9ev6p5d234br2.mca",
        "-ServerName:BackgroundTaskHost.WebAccountProvider", "-ServerName:CortanaUI.AppXy7vb4pc2dr3kc93kfc509b1d0arkfb2x.mca"],
      SVC),
    w("explorer.exe", "C:\\Windows", 5, "EXPLORER.EXE", "Windows Explorer", MSC, MSW,
      &["", "/factory,{75dff2b7-6936-4c06-a8bb-676a7b00b24b}|-Embedding", "/select,{U}\\Downloads\\{D}.zip"],
      &["userinit.exe", "svchost.exe"]),
    w("OneDrive.exe", "{U}\\AppData\\Local\\Microsoft\\OneDrive", 5, "OneDrive.exe", "Microsoft OneDrive",
      MS, MSC, &["/background", "/updateInstalled|/background", "/sharepoint"], &["explorer.exe", "svchost.exe"]),
    w("ms-teams.exe", "C:\\Program Files\\WindowsApps\\MSTeams_24243.1309.3132.617_x64__8wekyb3d8bbwe", 6,
      "ms-teams.exe", "Microsoft Teams", MS, MSC, &["msteams:system-initiated", ""], &["explorer.exe", "svchost.exe"]),
    w("OUTLOOK.EXE", "C:\\Program Files\\Microsoft Office\\root\\Office16", 5, "Outlook.exe",
      "Microsoft Outlook", MS, MSC, &["", "/recycle", "/select|outlook:Inbox"], &["explorer.exe"]),
    w("WINWORD.EXE", "C:\\Program Files\\Microsoft Office\\root\\Office16", 4, "WinWord.exe",
      "Microsoft Word", MS, MSC, &["/n|{U}\\Documents\\{D}.docx", "/Automation|-Embedding", ""],
      &["explorer.exe", "OUTLOOK.EXE"]),
    w("EXCEL.EXE", "C:\\Program Files\\Microsoft Office\\root\\Office16", 4, "Excel.exe",
      "Microsoft Excel", MS, MSC, &["{U}\\Downloads\\{D}.xlsx", "/dde", ""], &["explorer.exe", "OUTLOOK.EXE"]),
    w("notepad.exe", S32, 3, "NOTEPAD.EXE", "Notepad", MSC, MSW,
      &["{U}\\Documents\\{D}.txt", "", "C:\\Windows\\System32\\drivers\\etc\\hosts"], &["explorer.exe", "cmd.exe"]),
    w("Code.exe", "{U}\\AppData\\Local\\Programs\\Microsoft VS Code", 6, "electron.exe", "Visual Studio Code",
      MS, MSC,
      &["--type=utility|--utility-sub-type=node.mojom.NodeService|--lang=en-US|--service-sandbox-type=none|--field-trial-handle=1804,i,{N},{N},262144|/prefetch:8",
        "", "{U}\\source\\repos\\{D}"], &["explorer.exe", "Code.exe"]),
    w("git.exe", "C:\\Program Files\\Git\\cmd", 4, "git.exe", "Git for Windows", "The Git Development Community",
      "Johannes Schindelin",
      &["status|-z|-uall", "fetch|--all", "rev-parse|--show-toplevel", "log|--oneline|-n|20",
        "config|--get|commit.template", "-c|core.quotepath=false|-c|color.ui=false|show|--textconv|HEAD:{D}.md"],
      &["Code.exe", "cmd.exe", "powershell.exe"]),
    w("python.exe", "C:\\Program Files\\Python312", 3, "python.exe", "Python", "Python Software Foundation",
      "Python Software Foundation",
      &["-m|pip|install|--upgrade|pip", "{U}\\scripts\\{D}.py", "-c|import sys; print(sys.version)"],
      &["cmd.exe", "powershell.exe", "Code.exe"]),
    w("MsMpEng.exe", "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0", 3,
      "MsMpEng.exe", "Antimalware Service Executable", MSC, "Microsoft Windows Publisher", &[""], &["services.exe"]),
    w("MpCmdRun.exe", "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0", 2,
      "MpCmdRun.exe", "Microsoft Malware Protection Command Line Utility", MSC, "Microsoft Windows Publisher",
      &["-SignatureUpdate|-MMPC", "-wdenable", "SpynetReport|-RestrictPrivileges|-AccessKey|{G}|-Reinvoke",
        "-IdleTask|-TaskName|WdCacheMaintenance"], &["MsMpEng.exe", "svchost.exe"]),
    w("services.exe", S32, 1, "services.exe", "Services and Controller app", MSC, MSW, &[""], &["wininit.exe"]),
    w("lsass.exe", S32, 1, "lsass.exe", "Local Security Authority Process", MSC, MSW, &[""], &["wininit.exe"]),
    w("wininit.exe", S32, 1, "wininit.exe", "Windows Start-Up Application", MSC, MSW, &[""], &["smss.exe"]),
    w("winlogon.exe", S32, 1, "WINLOGON.EXE", "Windows Logon Application", MSC, MSW, &[""], &["smss.exe"]),
    w("smss.exe", S32, 1, "smss.exe", "Windows Session Manager", MSC, MSW, &["000000cc|00000084", ""], &["smss.exe"]),
    w("userinit.exe", S32, 1, "USERINIT.EXE", "Userinit Logon Application", MSC, MSW, &[""], &["winlogon.exe"]),
    w("rundll32.exe", S32, 4, "RUNDLL32.EXE", "Windows host process (Rundll32)", MSC, MSW,
      &["C:\\Windows\\System32\\shell32.dll,SHCreateLocalServerRunDll|{G}|-Embedding",
        "C:\\Windows\\system32\\PcaSvc.dll,PcaPatchSdbTask", "Windows.Storage.ApplicationData.dll,CleanupTemporaryState",
        "C:\\Windows\\System32\\LogiLDA.dll,LogiFetch", "shell32.dll,Control_RunDLL|{T}\\{H}.cpl"],
      &["svchost.exe", "explorer.exe", "taskhostw.exe"]),
    w("regsvr32.exe", S32, 1, "REGSVR32.EXE", "Microsoft(C) Register Server", MSC, MSW,
      &["/s|C:\\Program Files\\Common Files\\microsoft shared\\ink\\tipband.dll", "/s|/n|/i:user|{T}\\{H}.dll"],
      &["explorer.exe", "msiexec.exe", "cmd.exe"]),
    w("msiexec.exe", S32, 2, "msiexec.exe", "Windows installer", MSC, MSW,
      &["/V", "-Embedding|{H}{H}|C", "/i|{U}\\Downloads\\{D}.msi|/qn"], &["services.exe", "explorer.exe"]),
    w("schtasks.exe", S32, 1, "schtasks.exe", "Task Scheduler Configuration Tool", MSC, MSW,
      &["/query|/fo|LIST|/v", "/create|/tn|Update{H}|/tr|{T}\\{H}.exe|/sc|daily|/f",
        "/run|/tn|\\Microsoft\\Windows\\Defrag\\ScheduledDefrag"], SHELLS),
    w("net.exe", S32, 1, "net.exe", "Net Command", MSC, MSW,
      &["use", "user|{A}|/domain", "localgroup|administrators", "view|\\\\{S}", "start|wuauserv"], SHELLS),
    w("whoami.exe", S32, 1, "whoami.exe", "whoami - displays logged on user information", MSC, MSW,
      &["/all", "/priv", "/groups", ""], SHELLS),
    w("tasklist.exe", S32, 1, "tasklist.exe", "Lists the current running tasks", MSC, MSW,
      &["/svc", "/v|/fo|csv", ""], SHELLS),
    w("reg.exe", S32, 1, "reg.exe", "Registry Console Tool", MSC, MSW,
      &["query|HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
        "add|HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run|/v|{H}|/t|REG_SZ|/d|{T}\\{H}.exe|/f",
        "query|HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server|/v|fDenyTSConnections"], SHELLS),
    w("sc.exe", S32, 1, "sc.exe", "Service Control Manager Configuration Tool", MSC, MSW,
      &["query|wuauserv", "config|{H}|start=|auto", "qc|WinDefend"], SHELLS),
    w("certutil.exe", S32, 1, "CertUtil.exe", "CertUtil.exe", MSC, MSW,
      &["-hashfile|{U}\\Downloads\\{D}.zip|SHA256", "-store|My", "-verify|{U}\\Downloads\\{D}.cer"], SHELLS),
    w("cscript.exe", S32, 1, "cscript.exe", "Microsoft (R) Console Based Script Host", MSC, MSW,
      &["//nologo|C:\\Windows\\System32\\slmgr.vbs|/dli", "{U}\\Desktop\\{D}.vbs"], SHELLS),
    w("ctfmon.exe", S32, 2, "CTFMON.EXE", "CTF Loader", MSC, MSW, &[""], SVC),
    w("smartscreen.exe", S32, 2, "smartscreen.exe", "Windows Defender SmartScreen", MSC, MSW, &["-Embedding"], SVC),
    w("WerFault.exe", S32, 2, "WerFault.exe", "Windows Problem Reporting", MSC, MSW,
      &["-u|-p|{N}|-s|{N}", "-pss|-s|{N}|-p|{N}|-ip|{N}"], &["svchost.exe", "chrome.exe"]),
    w("wevtutil.exe", S32, 1, "wevtutil.exe", "Eventing Command Line Utility", MSC, MSW,
      &["qe|Security|/c:10|/rd:true|/f:text", "el"], SHELLS),
    w("setup.exe", "{U}\\Downloads", 1, "", "", "", "", &["/S", ""], &["explorer.exe", "chrome.exe", "msedge.exe"]),
];

pub(crate) static LINUX: &[Proc] = &[
    x("bash", "/usr/bin", 20, &["", "-c|{L}", "--login", "/opt/app/bin/{D}.sh", "/usr/local/bin/backup.sh|--full"],
      &["sshd", "bash", "sudo", "cron", "tmux: server", "containerd-shim-runc-v2", "systemd"]),
    x("sh", "/usr/bin", 12, &["-c|{L}", "/usr/lib/update-notifier/update-motd-updates-available", "/etc/update-motd.d/50-landscape-sysinfo", "-e|/var/lib/dpkg/info/{D}.postinst|configure"],
      &["cron", "bash", "python3", "node", "systemd", "run-parts"]),
    x("dash", "/usr/bin", 2, &["-c|{L}"], &["cron", "run-parts"]),
    x("sudo", "/usr/bin", 4, &["-u|postgres|psql|-c|SELECT 1", "systemctl|restart|nginx", "-i", "apt-get|update", "-n|true"], &["bash"]),
    x("sshd", "/usr/sbin", 4, &["-D", "-D|-R", "-i"], &["systemd", "sshd"]),
    x("systemd", "/usr/lib/systemd", 2, &["--user", "--system|--deserialize|{N}"], &["systemd"]),
    x("cron", "/usr/sbin", 3, &["-f", "-f|-P"], &["systemd", "cron"]),
    x("run-parts", "/usr/bin", 1, &["--report|/etc/cron.daily", "--lsbsysinit|/etc/update-motd.d"], &["sh", "cron"]),
    x("python3", "/usr/bin", 8, &["-m|pip|install|-r|requirements.txt", "/usr/bin/unattended-upgrade", "/opt/app/{D}.py|--config|/etc/app/config.yaml",
        "-c|import json,sys; print(json.load(sys.stdin)['status'])", "/usr/lib/command-not-found|--|{D}", "/usr/bin/networkd-dispatcher|--run-startup-triggers"],
      &["bash", "sh", "systemd", "cron"]),
    x("perl", "/usr/bin", 1, &["-e|print \"ok\\n\"", "/usr/sbin/update-rc.d|nginx|defaults", "-w|/usr/bin/{D}"], &["bash", "sh"]),
    x("curl", "/usr/bin", 4, &["-s|-o|/dev/null|-w|%{http_code}|https://{W}/health", "-fsSL|https://{W}/install.sh",
        "--max-time|5|http://169.254.169.254/latest/meta-data/instance-id", "-X|POST|-H|Content-Type: application/json|-d|{\"status\":\"ok\"}|https://{W}/api/v1/report"],
      &["bash", "sh", "python3"]),
    x("wget", "/usr/bin", 1, &["-q|-O|/tmp/{H}.tar.gz|https://{W}/releases/{H}.tar.gz", "--spider|https://{W}/"], &["bash", "sh"]),
    x("ls", "/usr/bin", 6, &["-la", "-la|/tmp", "--color=auto|-l|/var/log", "-1|/etc/cron.d"], &["bash", "sh"]),
    x("cat", "/usr/bin", 5, &["/etc/os-release", "/proc/meminfo", "/etc/passwd", "/var/log/syslog", "/proc/{N}/status"], &["bash", "sh"]),
    x("grep", "/usr/bin", 5, &["-E|error|warn|/var/log/syslog", "-r|TODO|.", "--color=auto|-i|{A}|/etc/group", "-q|^{A}:|/etc/passwd"], &["bash", "sh"]),
    x("awk", "/usr/bin", 2, &["{print $1}", "-F:|{print $1}|/etc/passwd"], &["bash", "sh"]),
    x("sed", "/usr/bin", 2, &["-i|s/^#Port 22/Port 22/|/etc/ssh/sshd_config", "-n|1,20p|/var/log/{D}.log"], &["bash", "sh"]),
    x("ps", "/usr/bin", 4, &["aux", "-ef", "-eo|pid,ppid,cmd,%mem,%cpu|--sort=-%mem"], &["bash", "sh", "python3"]),
    x("find", "/usr/bin", 2, &["/var/log|-name|*.gz|-mtime|+7|-delete", "/tmp|-type|f|-mmin|+60", "/home/{A}|-name|*.pem"], &["bash", "sh", "cron"]),
    x("tar", "/usr/bin", 2, &["-czf|/backup/{H}.tar.gz|/var/www", "-xzf|/tmp/{H}.tar.gz|-C|/opt"], &["bash", "sh"]),
    x("gzip", "/usr/bin", 1, &["-9|/var/log/{D}.log.1", "-d|/tmp/{H}.gz"], &["logrotate", "bash"]),
    x("ssh", "/usr/bin", 3, &["{A}@{S}", "-o|StrictHostKeyChecking=no|deploy@{I}|uptime", "-i|/home/{A}/.ssh/id_ed25519|git@github.com"], &["bash", "git"]),
    x("scp", "/usr/bin", 1, &["-r|/var/www/html|backup@{I}:/srv/backup/", "{A}@{S}:/tmp/{D}.tar.gz|."], &["bash"]),
    x("git", "/usr/bin", 3, &["pull|--ff-only", "fetch|origin", "clone|https://github.com/{H}/{D}.git", "status|--porcelain"], &["bash", "sh"]),
    x("docker", "/usr/bin", 3, &["ps|-a", "run|--rm|-it|ubuntu:22.04|bash", "exec|-it|{H}|sh", "logs|-f|{H}", "pull|nginx:1.27"], &["bash", "sudo"]),
    x("containerd-shim-runc-v2", "/usr/bin", 3, &["-namespace|moby|-id|{H}{H}{H}{H}{H}{H}{H}{H}|-address|/run/containerd/containerd.sock",
        "-namespace|k8s.io|-id|{H}{H}{H}{H}{H}{H}{H}{H}|-address|/run/containerd/containerd.sock"], &["systemd"]),
    x("runc", "/usr/bin", 2, &["--root|/var/run/docker/runtime-runc/moby|--log|/run/containerd/io.containerd.runtime.v2.task/moby/{H}{H}/log.json|--log-format|json|exec|--process|/tmp/runc-process{N}|--detach|--pid-file|/run/containerd/io.containerd.runtime.v2.task/moby/{H}{H}/{H}.pid|{H}{H}{H}{H}"],
      &["containerd-shim-runc-v2"]),
    x("kubelet", "/usr/bin", 1, &["--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf|--kubeconfig=/etc/kubernetes/kubelet.conf|--config=/var/lib/kubelet/config.yaml|--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock|--pod-infra-container-image=registry.k8s.io/pause:3.9"], &["systemd"]),
    x("java", "/usr/lib/jvm/java-17-openjdk-amd64/bin", 3, &["-Xmx2g|-jar|/opt/app/app.jar", "-Dlog4j2.formatMsgNoLookups=true|-cp|/opt/kafka/libs/*|kafka.Kafka|/opt/kafka/config/server.properties",
        "-Xms512m|-Xmx512m|-Djava.awt.headless=true|-jar|/usr/share/jenkins/jenkins.war|--httpPort=8080"], &["systemd", "bash", "sh"]),
    x("node", "/usr/bin", 3, &["/opt/app/server.js", "/usr/lib/node_modules/npm/bin/npm-cli.js|install", "/opt/app/node_modules/.bin/next|start|-p|3000"], &["systemd", "bash", "node"]),
    x("nginx", "/usr/sbin", 2, &["-g|daemon on; master_process on;", "-s|reload", "-t"], &["systemd", "nginx"]),
    x("apache2", "/usr/sbin", 1, &["-k|start", "-k|graceful"], &["systemd", "apache2"]),
    x("postgres", "/usr/lib/postgresql/16/bin", 2, &["-D|/var/lib/postgresql/16/main|-c|config_file=/etc/postgresql/16/main/postgresql.conf", ""], &["systemd", "postgres"]),
    x("systemctl", "/usr/bin", 3, &["status|nginx", "restart|{D}", "is-active|--quiet|docker", "daemon-reload", "list-units|--type=service"], &["bash", "sudo", "sh"]),
    x("journalctl", "/usr/bin", 1, &["-u|ssh|--since|today", "-xe", "--vacuum-time=7d"], &["bash", "sudo"]),
    x("apt-get", "/usr/bin", 2, &["update", "install|-y|{D}", "-qq|upgrade"], &["sudo", "bash", "python3"]),
    x("dpkg", "/usr/bin", 1, &["-l", "--configure|-a", "--status|{D}"], &["apt-get", "bash"]),
    x("id", "/usr/bin", 2, &["", "-u", "{A}"], &["bash", "sh"]),
    x("whoami", "/usr/bin", 1, &[""], &["bash", "sh"]),
    x("uname", "/usr/bin", 2, &["-a", "-r", "-m"], &["bash", "sh", "python3"]),
    x("chmod", "/usr/bin", 1, &["+x|/tmp/{H}.sh", "600|/home/{A}/.ssh/authorized_keys", "-R|755|/var/www"], &["bash", "sh"]),
    x("crontab", "/usr/bin", 1, &["-l", "-e", "-u|{A}|-l"], &["bash"]),
    x("base64", "/usr/bin", 1, &["-d", "-w0|/tmp/{H}"], &["bash", "sh"]),
    x("tail", "/usr/bin", 1, &["-f|/var/log/nginx/access.log", "-n|100|/var/log/auth.log"], &["bash"]),
    x("sleep", "/usr/bin", 3, &["1", "60", "0.5"], &["bash", "sh"]),
    x("hostname", "/usr/bin", 1, &["", "-I", "-f"], &["bash", "sh"]),
    x("openssl", "/usr/bin", 1, &["s_client|-connect|{W}:443", "x509|-in|/etc/ssl/certs/{D}.pem|-noout|-enddate"], &["bash", "sh"]),
    x("logrotate", "/usr/sbin", 1, &["/etc/logrotate.conf"], &["systemd", "cron"]),
    x("rsync", "/usr/bin", 1, &["-az|/var/www/|backup@{S}:/srv/backup/", "-avh|--delete|/home/{A}/|/mnt/backup/{A}/"], &["bash", "cron"]),
    x("tmux: server", "/usr/bin", 1, &["new|-s|{D}"], &["bash"]),
    x("nc", "/usr/bin", 1, &["-zv|{I}|22", "-z|{I}|5432"], &["bash", "sh"]),
];

pub(crate) static MACOS: &[Proc] = &[
    x("launchd", "/sbin", 1, &[""], &["launchd"]),
    x("zsh", "/bin", 10, &["-l", "-c|{L}", ""], &["login", "Terminal", "launchd"]),
    x("bash", "/bin", 3, &["-c|{L}", "--login"], &["zsh", "launchd"]),
    x("login", "/usr/bin", 2, &["-pf|{A}"], &["Terminal"]),
    x("Terminal", "/System/Applications/Utilities/Terminal.app/Contents/MacOS", 2, &[""], &["launchd"]),
    x("Google Chrome", "/Applications/Google Chrome.app/Contents/MacOS", 8, &["", "--profile-directory=Default"], &["launchd"]),
    x("Google Chrome Helper (Renderer)", "/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Framework.framework/Versions/130.0.6723.92/Helpers/Google Chrome Helper (Renderer).app/Contents/MacOS", 10,
      &["--type=renderer|--lang=en-US|--num-raster-threads=4|--renderer-client-id={N}|--field-trial-handle=1718379636,r,{N},{N},262144|--seatbelt-client=64"], &["Google Chrome"]),
    x("Safari", "/Applications/Safari.app/Contents/MacOS", 3, &[""], &["launchd"]),
    x("mdworker_shared", "/System/Library/Frameworks/CoreServices.framework/Versions/A/Frameworks/Metadata.framework/Versions/A/Support", 8,
      &["-s|mdworker|-c|MDSImporterWorker|-m|com.apple.mdworker.shared"], &["launchd"]),
    x("xpcproxy", "/usr/libexec", 8, &["com.apple.{D}", "application.com.apple.Safari.{N}.{N}"], &["launchd"]),
    x("osascript", "/usr/bin", 1, &["-e|display notification \"Backup done\" with title \"Backup\"", "{U}/Library/Scripts/{D}.scpt"], &["zsh", "bash"]),
    x("curl", "/usr/bin", 2, &["-fsSL|https://{W}/install.sh", "-s|https://{W}/health"], &["zsh", "bash"]),
    x("python3", "/usr/bin", 2, &["-m|pip|install|--user|{D}", "{U}/scripts/{D}.py"], &["zsh", "bash"]),
    x("sudo", "/usr/bin", 1, &["softwareupdate|-ia", "-i"], &["zsh"]),
    x("ssh", "/usr/bin", 1, &["{A}@{S}", "-T|git@github.com"], &["zsh", "git"]),
    x("git", "/usr/bin", 2, &["status", "pull", "fetch|--prune"], &["zsh", "Electron"]),
    x("softwareupdated", "/System/Library/PrivateFrameworks/SoftwareUpdate.framework/Resources", 1, &[""], &["launchd"]),
    x("codesign", "/usr/bin", 1, &["-dv|--verbose=4|/Applications/{D}.app"], &["zsh", "xpcproxy"]),
    x("ls", "/bin", 2, &["-la", "-G"], &["zsh", "bash"]),
    x("security", "/usr/bin", 1, &["find-generic-password|-s|{D}", "list-keychains"], &["zsh"]),
    x("plutil", "/usr/bin", 1, &["-p|/Library/Preferences/{D}.plist"], &["zsh"]),
    x("Electron", "/Applications/Visual Studio Code.app/Contents/MacOS", 2, &["", "{U}/src/{D}"], &["launchd"]),
    x("Slack", "/Applications/Slack.app/Contents/MacOS", 2, &[""], &["launchd"]),
];

/// Short shell commands (`{L}`).
pub(crate) static SHELL_SNIPPETS: &[&str] = &[
    "ls -la /tmp",
    "cat /etc/os-release",
    "systemctl status nginx --no-pager",
    "ps aux | grep -v grep | grep java",
    "curl -s https://{W}/health || exit 1",
    "df -h / | tail -1",
    "find /var/log -name '*.gz' -mtime +7 -delete",
    "test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily )",
    "/usr/lib/php/sessionclean",
    "echo \"$(date) backup done\" >> /var/log/backup.log",
    "tar -czf /backup/{D}.tar.gz /etc && echo ok",
    "command -v docker >/dev/null 2>&1 && docker ps -q | wc -l",
    "uptime",
    "cd /opt/app && git pull --ff-only && systemctl restart app",
    "[ -f /var/run/reboot-required ] && cat /var/run/reboot-required",
    "nproc; free -m",
];

/// Short cmd.exe commands (`{C}`).
pub(crate) static CMD_SNIPPETS: &[&str] = &[
    "echo %USERNAME% & whoami /groups",
    "copy /y \\\\{S}\\NETLOGON\\logon.bat %TEMP%\\logon.bat",
    "start \"\" \"{U}\\Downloads\\{D}.pdf\"",
    "del /q /f %TEMP%\\*.tmp",
    "reg query \"HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\"",
    "net time \\\\{S} /set /y",
    "systeminfo | findstr /B /C:\"OS Name\" /C:\"OS Version\"",
    "for /f \"tokens=*\" %i in ('dir /b {U}\\Desktop') do @echo %i",
];

/// Short PowerShell commands (`{P}`).
pub(crate) static PS_SNIPPETS: &[&str] = &[
    "Get-Process | Sort-Object CPU -Descending | Select-Object -First 10",
    "Get-Service | Where-Object {$_.Status -eq 'Running'}",
    "Get-WmiObject Win32_OperatingSystem | Select-Object Caption, Version",
    "Test-NetConnection -ComputerName {S} -Port 445",
    "Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion' | Select-Object ProductName",
    "Invoke-WebRequest -Uri https://{W}/status -UseBasicParsing",
    "Get-ChildItem -Path $env:TEMP -Recurse | Remove-Item -Force -ErrorAction SilentlyContinue",
    "Get-EventLog -LogName System -Newest 50",
    "[Environment]::OSVersion.Version",
];

/// PowerShell lines for long script blocks and encoded commands.
pub(crate) static PS_LINES: &[&str] = &[
    "$ErrorActionPreference = 'Stop'",
    "Set-StrictMode -Version Latest",
    "Import-Module ActiveDirectory",
    "$logFile = Join-Path $env:TEMP (\"maintenance_{0:yyyyMMdd}.log\" -f (Get-Date))",
    "function Write-Log {\n\tparam([string]$Message, [string]$Level = 'INFO')\n\t$line = \"{0} [{1}] {2}\" -f (Get-Date -Format o), $Level, $Message\n\tAdd-Content -Path $logFile -Value $line\n}",
    "$computers = Get-ADComputer -Filter 'OperatingSystem -like \"*Server*\"' -Properties OperatingSystem | Select-Object -ExpandProperty Name",
    "foreach ($c in $computers) {\n\tif (Test-Connection -ComputerName $c -Count 1 -Quiet) {\n\t\tWrite-Log \"reachable: $c\"\n\t} else {\n\t\tWrite-Log \"unreachable: $c\" 'WARN'\n\t}\n}",
    "$old = Get-ChildItem -Path 'C:\\Windows\\Temp' -Recurse -File | Where-Object { $_.LastWriteTime -lt (Get-Date).AddDays(-14) }",
    "$old | Remove-Item -Force -ErrorAction SilentlyContinue",
    "$svc = Get-Service -Name 'wuauserv'",
    "if ($svc.Status -ne 'Running') { Start-Service -Name $svc.Name }",
    "$updates = Get-HotFix | Sort-Object InstalledOn -Descending | Select-Object -First 5",
    "$report = [System.Collections.Generic.List[object]]::new()",
    "$report.Add([pscustomobject]@{ Host = $env:COMPUTERNAME; User = $env:USERNAME; Time = Get-Date })",
    "$wc = New-Object System.Net.WebClient",
    "$wc.Headers.Add('User-Agent', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)')",
    "$data = $wc.DownloadString('https://inventory.corp.example.com/api/v2/assets?limit=500')",
    "$json = $data | ConvertFrom-Json",
    "$json.items | ForEach-Object { $_.serial } | Out-File -FilePath \"$env:ProgramData\\inventory\\serials.txt\" -Encoding utf8",
    "try {\n\t$acl = Get-Acl -Path 'C:\\ProgramData\\App'\n\t$acl.Access | Where-Object { $_.IdentityReference -like '*Users*' }\n} catch {\n\tWrite-Log $_.Exception.Message 'ERROR'\n}",
    "$bytes = [System.Text.Encoding]::UTF8.GetBytes($report | ConvertTo-Json -Depth 4)",
    "$sha = [System.Security.Cryptography.SHA256]::Create()",
    "$hash = -join ($sha.ComputeHash($bytes) | ForEach-Object { $_.ToString('x2') })",
    "Register-ScheduledTask -TaskName 'NightlyReport' -Trigger (New-ScheduledTaskTrigger -Daily -At 2am) -Action (New-ScheduledTaskAction -Execute 'powershell.exe' -Argument '-File C:\\Scripts\\report.ps1') -Force | Out-Null",
    "Get-CimInstance -ClassName Win32_LogicalDisk -Filter \"DriveType=3\" | Select-Object DeviceID, @{n='FreeGB';e={[math]::Round($_.FreeSpace/1GB,1)}}",
    "# Collect diagnostics for the helpdesk ticket",
    "Write-Host \"Done in $((Get-Date) - $start)\"",
    "$start = Get-Date",
];

/// Document base names (`{D}`).
pub(crate) static DOCS: &[&str] = &[
    "report_q3", "budget-2026", "invoice_4471", "meeting-notes", "project-plan", "release", "backup",
    "config", "deploy", "customer_list", "presentation", "draft", "scan_0012", "roadmap", "payroll",
    "setup", "install", "notes", "todo", "export", "data", "summary", "contract_signed", "inventory",
    "minutes", "app", "server", "worker", "agent", "monitor",
];

/// Non-ASCII document names and user names (the ~1% of events with non-ASCII text).
pub(crate) static EXOTIC_DOCS: &[&str] = &[
    "Übersicht_2026", "résumé", "文档", "Δοκιμή", "отчёт", "presupuesto_año", "références",
    "見積書", "Bestellbestätigung", "naïve-plan", "zoë", "Ärger",
];
pub(crate) static EXOTIC_USERS: &[&str] = &[
    "jörg.müller", "françois.dupont", "josé.garcía", "zoë.brontë", "δοκιμή", "ανδρέας.π", "王伟", "李娜",
    "佐藤.健", "иван.петров", "søren.k", "łukasz.nowak", "ömer.yılmaz", "nguyễn.văn.an", "renée.lefèvre",
    "ångström", "jürgen", "çağla", "ñuño", "ólafur",
];

/// Web domains (`{W}`, DNS questions).
pub(crate) static DOMAINS: &[&str] = &[
    "www.google.com", "update.microsoft.com", "github.com", "raw.githubusercontent.com", "cdn.jsdelivr.net",
    "api.example.com", "login.microsoftonline.com", "pypi.org", "registry.npmjs.org", "downloads.example.org",
    "s3.amazonaws.com", "files.example.net", "outlook.office365.com", "teams.microsoft.com",
    "settings-win.data.microsoft.com", "ctldl.windowsupdate.com", "ocsp.digicert.com", "archive.ubuntu.com",
    "security.ubuntu.com", "dl.google.com", "slack.com", "zoom.us", "www.bing.com", "clients2.google.com",
    "time.windows.com", "ntp.ubuntu.com", "inventory.corp.example.com", "intranet.corp.example.com",
];

pub(crate) static FIRST_NAMES: &[&str] = &[
    "james", "mary", "robert", "patricia", "john", "jennifer", "michael", "linda", "david", "elizabeth",
    "william", "barbara", "richard", "susan", "joseph", "jessica", "thomas", "sarah", "charles", "karen",
    "chris", "lisa", "daniel", "nancy", "matthew", "betty", "anthony", "sandra", "mark", "ashley", "paul",
    "emily", "steven", "donna", "andrew", "michelle", "kevin", "carol", "brian", "amanda", "george",
    "melissa", "tim", "deborah", "ronald", "stephanie", "jason", "rebecca", "ryan", "laura", "jacob",
    "sharon", "gary", "cynthia", "nick", "kathleen", "eric", "amy", "alice", "bob",
];
pub(crate) static LAST_NAMES: &[&str] = &[
    "smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez", "martinez",
    "hernandez", "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor", "moore", "jackson",
    "martin", "lee", "perez", "thompson", "white", "harris", "sanchez", "clark", "ramirez", "lewis",
    "robinson", "walker", "young", "allen", "king", "wright", "scott", "torres", "nguyen", "hill",
    "flores", "green", "adams", "nelson", "baker", "hall", "rivera", "campbell", "mitchell", "carter",
    "roberts", "chen", "wang", "kim", "patel", "schmidt", "muller", "rossi", "dubois", "silva", "novak",
    "kowalski", "jensen", "larsen", "nakamura", "singh", "cohen", "murphy", "kelly", "ward", "cook",
    "morgan", "bell", "bailey", "cooper", "howard", "reed", "price", "bennett", "wood", "gray",
];

/// File extensions of user documents.
pub(crate) static DOC_EXTS: &[&str] = &[
    "pdf", "docx", "xlsx", "zip", "txt", "png", "jpg", "pptx", "csv", "msi", "exe", "iso", "lnk", "js", "ps1",
];

/// Windows services (`registry` paths, `sc`).
pub(crate) static WIN_SERVICES: &[&str] = &[
    "wuauserv", "BITS", "Dnscache", "EventLog", "LanmanServer", "Schedule", "Spooler", "TermService",
    "WinDefend", "WinRM", "W32Time", "CryptSvc", "DiagTrack", "sysmon64", "elastic-endpoint",
];
