//! `jetson-agent-tap`: the Jetson agent on `embassy-executor` (std platform) with `embassy-net`
//! over a TAP device, i.e. a real smoltcp TCP/IP stack in user space.
//!
//! ```text
//!  jetson-agent-tap ── embassy-net (smoltcp) ── TAP (cohtap0) ══ kernel ══ coh-queen
//!                      10.231.0.2/30                              10.231.0.1:31337
//! ```
//!
//! The TAP interface must exist and be up (`ip tuntap add NAME mode tap`); run it inside a
//! network namespace of your own (see `jetson/tests/e2e_tap.rs`).

mod args;
mod bench;

use std::time::{SystemTime, UNIX_EPOCH};

use args::{Args, Mode};
use cohesix_core::role::Role;
use cohesix_embassy::Buffers;
use cohesix_jetson::agent::{Cycle, Link, MinimalAgent, Stats};
use cohesix_jetson::config::manifest_ticket_secret;
use cohesix_jetson::net::TcpLink;
use cohesix_jetson::{AgentConfig, AttachAs, NullWorkload};
use embassy_executor::Spawner;
use embassy_net::tcp::TcpSocket;
use embassy_net::{Ipv4Address, Ipv4Cidr, Runner, Stack, StackResources, StaticConfigV4};
use embassy_net_tuntap::TunTapDevice;
use embassy_time::{with_timeout, Duration, Instant, Timer};
use static_cell::StaticCell;

/// Socket buffers: one console frame at most in each direction is all the client needs, plus
/// room for the queen's pipelined replies.
const SOCKET_BUF: usize = cohesix_generated::console::MAX_FRAME_LEN;
/// TCP connect/IO timeout (manifest `retry.timeout_ms`).
const IO_TIMEOUT: Duration = Duration::from_millis(cohesix_generated::retry::TIMEOUT_MS);

#[embassy_executor::task]
async fn net_task(mut runner: Runner<'static, TunTapDevice>) -> ! {
    runner.run().await
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let code = match run(spawner).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("jetson-agent-tap: {e}");
            1
        }
    };
    std::process::exit(code);
}

async fn run(spawner: Spawner) -> Result<(), String> {
    let args = Args::parse(std::env::args().skip(1))?;
    let stack = bring_up(spawner, &args)?;
    match with_timeout(IO_TIMEOUT, stack.wait_config_up()).await {
        Ok(()) => {}
        Err(_) => return Err("network config did not come up".into()),
    }
    log::info!("stack up: {}/{} on {}", args.ip, args.prefix, args.tap);
    static RX: StaticCell<[u8; SOCKET_BUF]> = StaticCell::new();
    static TX: StaticCell<[u8; SOCKET_BUF]> = StaticCell::new();
    let socket = TcpSocket::new(stack, RX.init([0; SOCKET_BUF]), TX.init([0; SOCKET_BUF]));
    let link = TcpLink::new(socket, endpoint(&args).into(), IO_TIMEOUT);
    static BUFFERS: StaticCell<Buffers> = StaticCell::new();
    let buffers = BUFFERS.init(Buffers::new());
    match args.mode {
        Mode::Probe => probe(link, &args).await,
        Mode::BenchPing(n) => bench::ping(link, buffers, &args, n).await,
        Mode::Agent => agent(link, buffers, &args).await,
    }
}

async fn agent(
    link: TcpLink<'static>,
    buffers: &'static mut Buffers,
    args: &Args,
) -> Result<(), String> {
    let cfg = AgentConfig::new(&args.gpu, &args.agent_id, &args.command)
        .map_err(|e| format!("bad agent configuration: {e:?}"))?
        .with_poll_ms(args.poll_ms)
        .with_attach_as(if args.attach_queen {
            AttachAs::Queen
        } else {
            AttachAs::WorkerGpu
        })
        .with_hold_connection(!args.release_between_polls);
    // The firmware's session configuration (`MinimalSession`, one request in flight), so the
    // TAP end-to-end test exercises exactly what an MCU runs.
    let mut agent: MinimalAgent<'_, _, _> = MinimalAgent::new(
        cfg,
        link,
        buffers,
        NullWorkload,
        &args.auth_token,
        manifest_ticket_secret(Role::WorkerGpu).ok_or("the manifest has no worker-gpu ticket")?,
        unix_ms(),
    )
    .map_err(|e| format!("agent setup: {e:?}"))?;
    let stop = match args.max_runtime_s {
        0 => Instant::MAX,
        s => Instant::now() + Duration::from_secs(s),
    };
    let mut last = agent.stats();
    let mut last_running: Option<String> = None;
    log::info!(
        "agent {} serving {} (queen {})",
        args.agent_id,
        args.gpu,
        args.queen
    );
    while Instant::now() < stop {
        let outcome = agent.cycle().await;
        let stats = agent.stats();
        // Attaches and lease reads change every cycle with --release-between-polls: a line
        // is printed when anything else changes (or on the first attach).
        let quiet = |s: Stats| Stats {
            attaches: s.attaches.min(1),
            lease_reads: s.lease_reads.min(1),
            ..s
        };
        let running = agent.running().map(str::to_owned);
        let changed = quiet(stats) != quiet(last) || running != last_running;
        if changed {
            // One machine-readable line per change (the e2e test reads these).
            println!(
                "agent-stats attached={} attaches={} connect_failures={} disconnects={} published={} refused={} spool_dropped={} spooled={} lease_reads={} lease_errors={} running={}",
                agent.is_attached(),
                stats.attaches,
                stats.connect_failures,
                stats.disconnects,
                stats.published,
                stats.refused,
                stats.spool_dropped,
                agent.spooled(),
                stats.lease_reads,
                stats.lease_errors,
                agent.running().unwrap_or("-"),
            );
            last = stats;
            last_running = running;
        }
        let pause = match outcome {
            Cycle::Ok => agent.config().poll_ms,
            Cycle::Offline => agent.backoff_ms(),
        };
        Timer::after(Duration::from_millis(pause)).await;
    }
    Ok(())
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn bring_up(spawner: Spawner, args: &Args) -> Result<Stack<'static>, String> {
    let device = TunTapDevice::new(&args.tap).map_err(|e| format!("open TAP {}: {e}", args.tap))?;
    let o = args.ip.octets();
    let config = embassy_net::Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(Ipv4Address::new(o[0], o[1], o[2], o[3]), args.prefix),
        gateway: args.gateway.map(|g| {
            let g = g.octets();
            Ipv4Address::new(g[0], g[1], g[2], g[3])
        }),
        dns_servers: heapless::Vec::new(),
    });
    static RESOURCES: StaticCell<StackResources<2>> = StaticCell::new();
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x5eed);
    let (stack, runner) =
        embassy_net::new(device, config, RESOURCES.init(StackResources::new()), seed);
    let token = net_task(runner).map_err(|e| format!("spawn net task: {e:?}"))?;
    spawner.spawn(token);
    Ok(stack)
}

fn endpoint(args: &Args) -> (Ipv4Address, u16) {
    let o = args.queen.ip().octets();
    (Ipv4Address::new(o[0], o[1], o[2], o[3]), args.queen.port())
}

/// Stack smoke test: connect, send one console frame (`PING`), print the first bytes back.
async fn probe(mut link: TcpLink<'static>, args: &Args) -> Result<(), String> {
    use embedded_io_async::{Read, Write};
    link.open()
        .await
        .map_err(|e| format!("connect {}: {e:?}", args.queen))?;
    let frame = [8u8, 0, 0, 0, b'P', b'I', b'N', b'G'];
    link.write_all(&frame)
        .await
        .map_err(|e| format!("write: {e:?}"))?;
    link.flush().await.map_err(|e| format!("flush: {e:?}"))?;
    let mut buf = [0u8; 64];
    let n = link
        .read(&mut buf)
        .await
        .map_err(|e| format!("read: {e:?}"))?;
    println!(
        "probe: connected to {}, got {n} bytes: {:?}",
        args.queen,
        buf.get(..n).unwrap_or(&[])
    );
    link.abort();
    Ok(())
}
