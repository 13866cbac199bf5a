//! Command-line parsing of `jetson-agent-tap` (no extra dependencies).

use std::net::{Ipv4Addr, SocketAddrV4};
use std::str::FromStr;

/// What the program does once the stack is up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Run the GPU agent until killed (or `--max-runtime-s`).
    Agent,
    /// Connect, send one raw line, print what comes back, exit (stack smoke test).
    Probe,
    /// AUTH, then time `n` PING round trips through the embassy adapter.
    BenchPing(u32),
}

/// Parsed arguments.
#[derive(Debug, Clone)]
pub struct Args {
    /// TAP interface name (must already exist, e.g. `ip tuntap add NAME mode tap`).
    pub tap: String,
    /// Our address.
    pub ip: Ipv4Addr,
    /// Our prefix length.
    pub prefix: u8,
    /// Default gateway.
    pub gateway: Option<Ipv4Addr>,
    /// Queen console endpoint.
    pub queen: SocketAddrV4,
    /// Console AUTH token.
    pub auth_token: String,
    /// GPU served.
    pub gpu: String,
    /// Agent id (ticket subject).
    pub agent_id: String,
    /// Command reported in breadcrumbs.
    pub command: String,
    /// Lease poll period.
    pub poll_ms: u64,
    /// Stop after this many seconds (0: never).
    pub max_runtime_s: u64,
    /// Attach as `queen` instead of `worker-gpu`.
    pub attach_queen: bool,
    /// QUIT after every cycle (share the single-client console with other clients).
    pub release_between_polls: bool,
    /// Mode.
    pub mode: Mode,
}

pub const USAGE: &str =
    "usage: jetson-agent-tap --ip A.B.C.D/LEN --queen A.B.C.D:PORT [--tap NAME] \
[--gateway A.B.C.D] [--auth-token T] [--gpu ID] [--agent-id ID] [--command TEXT] [--poll-ms MS] \
[--max-runtime-s S] [--attach-as worker-gpu|queen] [--release-between-polls] [--probe | --bench-ping N]";

impl Args {
    /// Parses `argv[1..]`.
    pub fn parse(mut it: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut a = Args {
            tap: "cohtap0".into(),
            ip: Ipv4Addr::UNSPECIFIED,
            prefix: 0,
            gateway: None,
            queen: SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0),
            auth_token: "changeme".into(),
            gpu: cohesix_jetson::config::DEFAULT_GPU_ID.into(),
            agent_id: "jetson-1".into(),
            command: "echo ok".into(),
            poll_ms: cohesix_generated::tail::POLL_MS_MIN,
            max_runtime_s: 0,
            attach_queen: false,
            release_between_polls: false,
            mode: Mode::Agent,
        };
        while let Some(flag) = it.next() {
            let mut val = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
            match flag.as_str() {
                "--tap" => a.tap = val("--tap")?,
                "--ip" => {
                    let v = val("--ip")?;
                    let (ip, len) = v.split_once('/').ok_or("--ip wants A.B.C.D/LEN")?;
                    a.ip = parse(ip, "--ip")?;
                    a.prefix = parse(len, "--ip prefix")?;
                    if a.prefix > 32 {
                        return Err("--ip prefix must be <= 32".into());
                    }
                }
                "--gateway" => a.gateway = Some(parse(&val("--gateway")?, "--gateway")?),
                "--queen" => a.queen = parse(&val("--queen")?, "--queen")?,
                "--auth-token" => a.auth_token = val("--auth-token")?,
                "--gpu" => a.gpu = val("--gpu")?,
                "--agent-id" => a.agent_id = val("--agent-id")?,
                "--command" => a.command = val("--command")?,
                "--poll-ms" => a.poll_ms = parse(&val("--poll-ms")?, "--poll-ms")?,
                "--max-runtime-s" => {
                    a.max_runtime_s = parse(&val("--max-runtime-s")?, "--max-runtime-s")?
                }
                "--attach-as" => match val("--attach-as")?.as_str() {
                    "queen" => a.attach_queen = true,
                    "worker-gpu" => a.attach_queen = false,
                    other => {
                        return Err(format!("--attach-as wants queen|worker-gpu, not {other:?}"))
                    }
                },
                "--release-between-polls" => a.release_between_polls = true,
                "--probe" => a.mode = Mode::Probe,
                "--bench-ping" => {
                    a.mode = Mode::BenchPing(parse(&val("--bench-ping")?, "--bench-ping")?)
                }
                "-h" | "--help" => return Err(USAGE.into()),
                other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
            }
        }
        if a.ip.is_unspecified() || a.queen.port() == 0 {
            return Err(format!("--ip and --queen are required\n{USAGE}"));
        }
        Ok(a)
    }
}

fn parse<T: FromStr>(s: &str, what: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("bad value {s:?} for {what}"))
}
