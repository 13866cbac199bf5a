//! `coh-rtc`: the Cohesix manifest compiler. All logic lives in `cohesix_manifest::cli`.

fn main() {
    std::process::exit(cohesix_manifest::cli::run(std::env::args_os()));
}
