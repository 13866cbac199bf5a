//! `cohesix-playbook`: run a fleet playbook (see `cohesix_cli::playbook`).

fn main() -> std::process::ExitCode {
    cohesix_cli::playbook::main()
}
