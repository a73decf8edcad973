//! The fields the generator writes, in output order. Every field is a leaf (a scalar or
//! an array of scalars); the table keeps the fields of every object contiguous, which
//! the writers rely on (checked by a test).

/// What a field holds (used to type the caller's rare vocabulary).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A string.
    Str,
    /// An integer.
    Int,
    /// A boolean.
    Bool,
    /// An IP address (string).
    Ip,
    /// An array of strings.
    List,
    /// An array of IP addresses.
    IpList,
}

macro_rules! fields {
    ($($id:ident = $path:literal : $kind:ident,)*) => {
        /// Field ids, in output order.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u16)]
        pub(crate) enum F { $($id,)* }
        /// Dotted paths, indexed by [`F`].
        pub(crate) const PATHS: &[&str] = &[$($path,)*];
        /// Kinds, indexed by [`F`].
        pub(crate) const KINDS: &[Kind] = &[$(Kind::$kind,)*];
    };
}

fields! {
    Timestamp = "@timestamp": Str,
    AgentId = "agent.id": Str,
    AgentName = "agent.name": Str,
    AgentType = "agent.type": Str,
    AgentVersion = "agent.version": Str,
    DataStreamDataset = "data_stream.dataset": Str,
    DataStreamNamespace = "data_stream.namespace": Str,
    DataStreamType = "data_stream.type": Str,
    EcsVersion = "ecs.version": Str,
    EventAction = "event.action": Str,
    EventAgentIdStatus = "event.agent_id_status": Str,
    EventCategory = "event.category": List,
    EventCode = "event.code": Str,
    EventDataset = "event.dataset": Str,
    EventId = "event.id": Str,
    EventIngested = "event.ingested": Str,
    EventKind = "event.kind": Str,
    EventModule = "event.module": Str,
    EventOutcome = "event.outcome": Str,
    EventProvider = "event.provider": Str,
    EventSequence = "event.sequence": Int,
    EventType = "event.type": List,
    HostArchitecture = "host.architecture": Str,
    HostHostname = "host.hostname": Str,
    HostId = "host.id": Str,
    HostIp = "host.ip": IpList,
    HostMac = "host.mac": List,
    HostName = "host.name": Str,
    HostOsFamily = "host.os.family": Str,
    HostOsKernel = "host.os.kernel": Str,
    HostOsName = "host.os.name": Str,
    HostOsPlatform = "host.os.platform": Str,
    HostOsType = "host.os.type": Str,
    HostOsVersion = "host.os.version": Str,
    UserDomain = "user.domain": Str,
    UserId = "user.id": Str,
    UserName = "user.name": Str,
    ProcessArgs = "process.args": List,
    ProcessArgsCount = "process.args_count": Int,
    ProcessCodeSignatureExists = "process.code_signature.exists": Bool,
    ProcessCodeSignatureStatus = "process.code_signature.status": Str,
    ProcessCodeSignatureSubjectName = "process.code_signature.subject_name": Str,
    ProcessCodeSignatureTrusted = "process.code_signature.trusted": Bool,
    ProcessCommandLine = "process.command_line": Str,
    ProcessEntityId = "process.entity_id": Str,
    ProcessExecutable = "process.executable": Str,
    ProcessExitCode = "process.exit_code": Int,
    ProcessHashMd5 = "process.hash.md5": Str,
    ProcessHashSha1 = "process.hash.sha1": Str,
    ProcessHashSha256 = "process.hash.sha256": Str,
    ProcessName = "process.name": Str,
    ProcessParentArgs = "process.parent.args": List,
    ProcessParentArgsCount = "process.parent.args_count": Int,
    ProcessParentCommandLine = "process.parent.command_line": Str,
    ProcessParentEntityId = "process.parent.entity_id": Str,
    ProcessParentExecutable = "process.parent.executable": Str,
    ProcessParentName = "process.parent.name": Str,
    ProcessParentPid = "process.parent.pid": Int,
    ProcessPeCompany = "process.pe.company": Str,
    ProcessPeDescription = "process.pe.description": Str,
    ProcessPeOriginalFileName = "process.pe.original_file_name": Str,
    ProcessPid = "process.pid": Int,
    ProcessTitle = "process.title": Str,
    ProcessWorkingDirectory = "process.working_directory": Str,
    FileDirectory = "file.directory": Str,
    FileExtension = "file.extension": Str,
    FileName = "file.name": Str,
    FilePath = "file.path": Str,
    FileSize = "file.size": Int,
    SourceIp = "source.ip": Ip,
    SourcePort = "source.port": Int,
    DestinationDomain = "destination.domain": Str,
    DestinationIp = "destination.ip": Ip,
    DestinationPort = "destination.port": Int,
    NetworkDirection = "network.direction": Str,
    NetworkProtocol = "network.protocol": Str,
    NetworkTransport = "network.transport": Str,
    NetworkType = "network.type": Str,
    DnsQuestionName = "dns.question.name": Str,
    DnsQuestionType = "dns.question.type": Str,
    DnsResolvedIp = "dns.resolved_ip": IpList,
    RegistryDataStrings = "registry.data.strings": List,
    RegistryDataType = "registry.data.type": Str,
    RegistryHive = "registry.hive": Str,
    RegistryKey = "registry.key": Str,
    RegistryPath = "registry.path": Str,
    RegistryValue = "registry.value": Str,
    PowershellFileScriptBlockId = "powershell.file.script_block_id": Str,
    PowershellFileScriptBlockText = "powershell.file.script_block_text": Str,
    PowershellSequence = "powershell.sequence": Int,
    PowershellTotal = "powershell.total": Int,
    AuditdDataSyscall = "auditd.data.syscall": Str,
    AuditdDataTty = "auditd.data.tty": Str,
    AuditdResult = "auditd.result": Str,
    AuditdSequence = "auditd.sequence": Int,
    AuditdSession = "auditd.session": Str,
    AuditdSummaryActorPrimary = "auditd.summary.actor.primary": Str,
    AuditdSummaryActorSecondary = "auditd.summary.actor.secondary": Str,
    AuditdSummaryHow = "auditd.summary.how": Str,
    AuditdSummaryObjectPrimary = "auditd.summary.object.primary": Str,
    AuditdSummaryObjectType = "auditd.summary.object.type": Str,
    SystemAuthSshMethod = "system.auth.ssh.method": Str,
    SystemAuthSshSignature = "system.auth.ssh.signature": Str,
    LogFilePath = "log.file.path": Str,
    WinlogApi = "winlog.api": Str,
    WinlogChannel = "winlog.channel": Str,
    WinlogComputerName = "winlog.computer_name": Str,
    WinlogEventDataAuthenticationPackageName = "winlog.event_data.AuthenticationPackageName": Str,
    WinlogEventDataHashes = "winlog.event_data.Hashes": Str,
    WinlogEventDataIntegrityLevel = "winlog.event_data.IntegrityLevel": Str,
    WinlogEventDataIpAddress = "winlog.event_data.IpAddress": Str,
    WinlogEventDataIpPort = "winlog.event_data.IpPort": Str,
    WinlogEventDataLogonProcessName = "winlog.event_data.LogonProcessName": Str,
    WinlogEventDataLogonType = "winlog.event_data.LogonType": Str,
    WinlogEventDataRuleName = "winlog.event_data.RuleName": Str,
    WinlogEventDataSubjectDomainName = "winlog.event_data.SubjectDomainName": Str,
    WinlogEventDataSubjectUserName = "winlog.event_data.SubjectUserName": Str,
    WinlogEventDataSubjectUserSid = "winlog.event_data.SubjectUserSid": Str,
    WinlogEventDataTargetDomainName = "winlog.event_data.TargetDomainName": Str,
    WinlogEventDataTargetUserName = "winlog.event_data.TargetUserName": Str,
    WinlogEventDataTargetUserSid = "winlog.event_data.TargetUserSid": Str,
    WinlogEventDataTerminalSessionId = "winlog.event_data.TerminalSessionId": Str,
    WinlogEventDataWorkstationName = "winlog.event_data.WorkstationName": Str,
    WinlogEventId = "winlog.event_id": Str,
    WinlogKeywords = "winlog.keywords": List,
    WinlogLogonId = "winlog.logon.id": Str,
    WinlogLogonType = "winlog.logon.type": Str,
    WinlogOpcode = "winlog.opcode": Str,
    WinlogProcessPid = "winlog.process.pid": Int,
    WinlogProcessThreadId = "winlog.process.thread.id": Int,
    WinlogProviderName = "winlog.provider_name": Str,
    WinlogRecordId = "winlog.record_id": Int,
    WinlogTask = "winlog.task": Str,
    WinlogUserIdentifier = "winlog.user.identifier": Str,
    RelatedIp = "related.ip": IpList,
    RelatedUser = "related.user": List,
    Message = "message": Str,
}

/// Number of fields in the table.
pub(crate) const COUNT: usize = PATHS.len();

impl F {
    #[inline]
    pub(crate) fn idx(self) -> usize {
        self as usize
    }

    /// The field whose dotted path is `path`, if the generator writes it.
    pub(crate) fn by_path(path: &str) -> Option<usize> {
        PATHS.iter().position(|p| *p == path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_contiguous_and_no_leaf_is_an_object() {
        assert_eq!(PATHS.len(), KINDS.len());
        let mut seen = std::collections::BTreeSet::new();
        for p in PATHS {
            assert!(seen.insert(*p), "{p} twice");
        }
        // Every prefix's fields form one run.
        for (i, p) in PATHS.iter().enumerate() {
            let segs: Vec<&str> = p.split('.').collect();
            for k in 1..segs.len() {
                let prefix = format!("{}.", segs[..k].join("."));
                let run: Vec<usize> = PATHS
                    .iter()
                    .enumerate()
                    .filter(|(_, q)| q.starts_with(&prefix))
                    .map(|(j, _)| j)
                    .collect();
                assert!(run.windows(2).all(|w| w[1] == w[0] + 1), "{prefix} split");
                assert!(run.contains(&i));
                let leaf = &prefix[..prefix.len() - 1];
                assert!(
                    !PATHS.contains(&leaf),
                    "{leaf} is both a leaf and an object"
                );
            }
        }
    }
}
