//! Fixed multi-line replies without `END` (HELP, BI, CAPS, MEM, NETSTATS, CACHELOG, NETTEST),
//! shaped like the real queen's (real-queen notes: ack first, then the text lines).

use cohesix_generated::console::TCP_PORT;

/// Help lines after `OK HELP` (the real queen's TCP help is cut to 8 lines).
pub const HELP_LINES: [&str; 8] = [
    "Commands:",
    "  help  - Show this help",
    "  bi    - Show bootinfo summary",
    "  caps  - Show capability slots",
    "  mem   - Show untyped memory summary",
    "  ping  - Respond with PONG",
    "  attach <role> [ticket] - Attach a console session",
    "  tail <path> - Stream a file snapshot",
];

/// Lines CACHELOG returns at most (the real queen answered 8).
pub const CACHELOG_LINES: usize = 8;

/// `[bi]` line.
pub fn bootinfo() -> Vec<String> {
    vec![format!(
        "[bi] node=queen-sim manifest.sha256={} untyped=64 cnode_bits=16",
        &cohesix_generated::MANIFEST_SHA256[..8]
    )]
}

/// `[caps]` line.
pub fn caps() -> Vec<String> {
    vec!["[caps] root_cnode=0x2 vspace=0x3 tcb=0x1 irq_control=0x4".to_string()]
}

/// `[mem]` line.
pub fn mem() -> Vec<String> {
    vec!["[mem] untyped_total=1073741824 untyped_free=805306368 device=0".to_string()]
}

/// NETSTATS body: four `netstats:` lines and one `nettest:` line.
pub fn netstats(rx_frames: u64, tx_frames: u64) -> Vec<String> {
    vec![
        format!("netstats: rx_frames={rx_frames} tx_frames={tx_frames}"),
        "netstats: rx_drops=0 tx_drops=0".to_string(),
        format!("netstats: tcp_port={TCP_PORT} sessions=1"),
        "netstats: auth_failures=0 frame_errors=0".to_string(),
        "nettest: last=none".to_string(),
    ]
}

/// CACHELOG body for `count` (default 64), capped at [`CACHELOG_LINES`].
pub fn cachelog(count: Option<u16>) -> Vec<String> {
    let n = usize::from(count.unwrap_or(64)).min(CACHELOG_LINES);
    (0..n)
        .map(|i| {
            format!(
                "[cache] seq={i} op=flush vaddr=0x{:x} len=4096",
                0x4000_0000 + i * 4096
            )
        })
        .collect()
}

/// NETTEST body.
pub fn nettest() -> Vec<String> {
    vec!["[net-selftest] triggered".to_string()]
}
