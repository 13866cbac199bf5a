//! Example firmware: the Cohesix Jetson agent on a Cortex-M4F board.
//!
//! ```text
//!   Agent ── TcpLink ── embassy-net (smoltcp) ── channel driver ══ mac_task ══ (Ethernet MAC)
//!     │                                                              ▲
//!     └── cohesix-embassy Client ── cohesix-core Session             └ board-specific DMA glue
//! ```
//!
//! The network device is an `embassy-net-driver-channel` pair: the stack sees a normal
//! `embassy_net_driver::Driver`, and `mac_task` is where a board moves frames between the
//! channel and its Ethernet MAC (here it only drains transmitted frames, so the example stays
//! vendor-neutral and links for any thumbv7em part). Time comes from a SysTick driver.
#![no_std]
#![no_main]

mod time_driver;

use cohesix_core::role::Role;
use cohesix_embassy::Buffers;
use cohesix_jetson::agent::MinimalAgent;
use cohesix_jetson::config::manifest_ticket_secret;
use cohesix_jetson::net::TcpLink;
use cohesix_jetson::{AgentConfig, NullWorkload};
use embassy_executor::Spawner;
use embassy_net::tcp::TcpSocket;
use embassy_net::{Ipv4Address, Ipv4Cidr, Runner, StackResources, StaticConfigV4};
use embassy_net_driver_channel as ch;
use embassy_time::{Duration, Instant};
use panic_halt as _;
use static_cell::{ConstStaticCell, StaticCell};

/// Core clock of the example board.
const CORE_HZ: u32 = 168_000_000;
/// Ethernet MTU (frame payload) of the channel driver.
const MTU: usize = 1514;
/// TCP receive buffer: the agent keeps one request in flight, so this holds one reply burst
/// (a `cat` of the lease plus its ack and END lines) with room to spare; it is also the
/// advertised window.
const SOCKET_RX_BUF: usize = 1024;
/// TCP send buffer: one maximal console frame (4 + 256 bytes) plus a PING fence or QUIT.
const SOCKET_TX_BUF: usize = 512;
/// Frames queued between the stack and the MAC glue, per direction. One TCP connection with
/// one request in flight never has more than a couple of frames in flight; the MAC's own DMA
/// ring buffers the rest.
const CH_FRAMES: usize = 2;
/// embassy-net socket slots: the console TCP socket only (no DHCP, no DNS).
const SOCKETS: usize = 1;
/// Queen console endpoint on the board's network.
const QUEEN: (Ipv4Address, u16) = (
    Ipv4Address::new(10, 231, 0, 1),
    cohesix_generated::console::TCP_PORT,
);

type Device = ch::Device<'static, MTU>;

#[embassy_executor::task]
async fn net_task(mut runner: Runner<'static, Device>) -> ! {
    runner.run().await
}

/// Board glue: frames from the stack go to the MAC, frames from the MAC go to the stack.
#[embassy_executor::task]
async fn mac_task(runner: ch::Runner<'static, MTU>) -> ! {
    let (state, _rx, mut tx) = runner.split();
    state.set_link_state(ch::driver::LinkState::Up);
    loop {
        let frame = tx.tx_buf().await;
        // A real board hands `frame` to its MAC DMA here.
        core::hint::black_box(frame);
        tx.tx_done();
    }
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let Some(cp) = cortex_m::Peripherals::take() else {
        return;
    };
    time_driver::init(cp.SYST, CORE_HZ);

    static CH_STATE: ConstStaticCell<ch::State<MTU, CH_FRAMES, CH_FRAMES>> =
        ConstStaticCell::new(ch::State::new());
    let (ch_runner, device) = ch::new(
        CH_STATE.take(),
        ch::driver::HardwareAddress::Ethernet([0x02, 0xc0, 0x4e, 0x51, 0x00, 0x02]),
    );
    let config = embassy_net::Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(Ipv4Address::new(10, 231, 0, 2), 30),
        gateway: Some(Ipv4Address::new(10, 231, 0, 1)),
        dns_servers: heapless::Vec::new(),
    });
    static RESOURCES: ConstStaticCell<StackResources<SOCKETS>> =
        ConstStaticCell::new(StackResources::new());
    let (stack, runner) = embassy_net::new(device, config, RESOURCES.take(), 0x5eed_c0e5);
    if let Ok(t) = mac_task(ch_runner) {
        spawner.spawn(t);
    }
    if let Ok(t) = net_task(runner) {
        spawner.spawn(t);
    }

    static RX: ConstStaticCell<[u8; SOCKET_RX_BUF]> = ConstStaticCell::new([0; SOCKET_RX_BUF]);
    static TX: ConstStaticCell<[u8; SOCKET_TX_BUF]> = ConstStaticCell::new([0; SOCKET_TX_BUF]);
    static BUFFERS: ConstStaticCell<Buffers> = ConstStaticCell::new(Buffers::new());
    let socket = TcpSocket::new(stack, RX.take(), TX.take());
    let link = TcpLink::new(
        socket,
        QUEEN.into(),
        Duration::from_millis(cohesix_generated::retry::TIMEOUT_MS),
    );
    let Ok(cfg) = AgentConfig::new("GPU-0", "jetson-mcu-1", "echo ok") else {
        return;
    };
    // The agent keeps one request in flight: the core's `MinimalSession` is enough.
    static AGENT: StaticCell<MinimalAgent<'static, TcpLink<'static>, NullWorkload>> =
        StaticCell::new();
    // No RTC on this board: issued_at 0 (the agent's tickets carry no TTL).
    let Some(secret) = manifest_ticket_secret(Role::WorkerGpu) else {
        return;
    };
    let Ok(agent) = MinimalAgent::new(
        cfg,
        link,
        BUFFERS.take(),
        NullWorkload,
        "changeme",
        secret,
        0,
    ) else {
        return;
    };
    let agent = AGENT.init(agent);
    stack.wait_config_up().await;
    agent.run_until(Instant::MAX).await;
}
