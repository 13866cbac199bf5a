//! `hive-gateway`: the Cohesix REST gateway (see `cohesix_cli::gateway`).

fn main() -> std::process::ExitCode {
    cohesix_cli::gateway::main()
}
