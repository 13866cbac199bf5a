//! `cohesix-snapshot`: print a host snapshot as NDJSON (see `cohesix::probes::cli`).

fn main() -> std::process::ExitCode {
    cohesix::probes::cli::main()
}
