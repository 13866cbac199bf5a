//! `coh-rtc`: the Cohesix manifest compiler. All logic lives in `cohesix_cli::rtc`.

fn main() {
    std::process::exit(cohesix_cli::rtc::run(std::env::args_os()));
}
