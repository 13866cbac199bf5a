//! `coh-queen`: the Cohesix queen simulator (see `cohesix_sim::cli`).

fn main() -> std::process::ExitCode {
    cohesix_sim::cli::main()
}
