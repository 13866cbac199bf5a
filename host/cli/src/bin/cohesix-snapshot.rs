//! `cohesix-snapshot`: print a host snapshot as NDJSON (see `cohesix_cli::snapshot`).

fn main() -> std::process::ExitCode {
    cohesix_cli::snapshot::main()
}
