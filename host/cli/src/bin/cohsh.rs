//! `cohsh`: the Cohesix console shell (see `cohesix_cli::shell::cli`).

fn main() -> std::process::ExitCode {
    cohesix_cli::shell::cli::main()
}
