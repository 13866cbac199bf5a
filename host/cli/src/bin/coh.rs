//! `coh`: evidence packs and `coh mount` (see `cohesix_cli::coh`).

fn main() -> std::process::ExitCode {
    cohesix_cli::coh::main()
}
