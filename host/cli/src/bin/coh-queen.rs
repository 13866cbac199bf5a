//! `coh-queen`: the Cohesix queen simulator (see `cohesix_cli::queen`).

fn main() -> std::process::ExitCode {
    cohesix_cli::queen::main()
}
