//! Compiler constants: values `coh-rtc` emits that are not manifest keys (the console grammar
//! limits, the telemetry push record format, the example identifiers and the approval queue).
//! Upstream's compiler hard-codes the same values; they are facts of the wire and the tools,
//! not of one deployment.

/// One console grammar limit: `(doc, generated name, generated type, value)`.
pub type ConsoleLimit = (&'static str, &'static str, &'static str, u32);

/// Console grammar limits (spec §6.1), in the order they are generated.
pub const CONSOLE_LIMITS: &[ConsoleLimit] = &[
    (
        "Longest console line in bytes.",
        "MAX_LINE_LEN",
        "usize",
        256,
    ),
    (
        "Longest path argument in bytes.",
        "MAX_PATH_LEN",
        "usize",
        96,
    ),
    (
        "Longest ECHO payload in bytes.",
        "MAX_ECHO_LEN",
        "usize",
        128,
    ),
    (
        "Longest SPAWN JSON payload in bytes.",
        "MAX_JSON_LEN",
        "usize",
        192,
    ),
    ("Longest worker id in bytes.", "MAX_ID_LEN", "usize", 32),
    ("Longest role label in bytes.", "MAX_ROLE_LEN", "usize", 16),
    ("Longest ticket in bytes.", "MAX_TICKET_LEN", "usize", 224),
    (
        "Smallest legal frame `total_len` (the length prefix alone).",
        "MIN_FRAME_LEN",
        "usize",
        4,
    ),
    (
        "Largest frame `total_len` a client accepts (Secure9P msize).",
        "MAX_FRAME_LEN",
        "usize",
        8192,
    ),
    (
        "Commands the server buffers between executor polls (pipelining bound).",
        "MAX_IN_FLIGHT",
        "usize",
        8,
    ),
    ("TCP console port.", "TCP_PORT", "u16", 31337),
];

/// The value of the console limit generated as `name` (0 for an unknown name).
pub fn console_limit(name: &str) -> u32 {
    CONSOLE_LIMITS
        .iter()
        .find(|(_, n, _, _)| *n == name)
        .map_or(0, |(_, _, _, v)| *v)
}

/// Telemetry push record schema.
pub const TELEMETRY_PUSH_SCHEMA: &str = "cohsh-telemetry-push/v1";
/// Largest telemetry push record.
pub const TELEMETRY_PUSH_MAX_RECORD_BYTES: usize = 4096;

/// The approval queue written by orchestrators (`/actions/queue`; upstream clients hard-code
/// it, the manifest has no key for it).
pub const ACTIONS_QUEUE: &str = "/actions/queue";
/// Longest approval line, newline included (hard-coded by upstream clients).
pub const ACTIONS_QUEUE_MAX_LINE_BYTES: usize = 2048;

/// Example identifiers shared by the examples and their tests: `(doc, name, value)`.
pub const EXAMPLES: &[(&str, &str, &str)] = &[
    ("Example GPU id.", "GPU_ID", "GPU-0"),
    ("Example MIG GPU id.", "MIG_GPU_ID", "MIG-0"),
    ("Example job id.", "JOB_ID", "job_8932"),
    ("Example model id.", "MODEL_ID", "llama3-edge-v7"),
    ("Example telemetry device id.", "DEVICE_ID", "device-1"),
    (
        "Host directory examples write under.",
        "OUTPUT_ROOT",
        "out/examples",
    ),
    (
        "Default mirror directory of the mock backend (`--mock-root`).",
        "MOCK_ROOT",
        "out/examples/mockfs",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_limits_by_name() {
        assert_eq!(console_limit("MAX_LINE_LEN"), 256);
        assert_eq!(console_limit("MAX_TICKET_LEN"), 224);
        assert_eq!(console_limit("NO_SUCH_LIMIT"), 0);
    }
}
