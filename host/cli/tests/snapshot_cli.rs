//! The `cohesix-snapshot` command-line mapping to snapshot options.

use std::time::Duration;

use clap::Parser;
use cohesix_cli::snapshot::Args;
use cohesix_probes::SourceChoice;

#[test]
fn cli_flags_map_to_options() {
    let args = Args::try_parse_from(["cohesix-snapshot"]).expect("defaults");
    let o = args.to_options();
    assert_eq!(o.systemd_units, None, "no --unit: no systemd probe");
    assert!(o.include_docker && o.include_k8s && o.include_nvidia && o.include_peft);
    assert_eq!(o.exec.timeout, Duration::from_secs(5));
    assert_eq!(o.k8s_namespace, "default");
    assert_eq!(o.nvidia_source, SourceChoice::Auto);

    let args = Args::try_parse_from([
        "cohesix-snapshot",
        "--unit",
        "a.service",
        "--unit",
        "b.service",
        "-n",
        "ml",
        "-l",
        "app=x",
        "--timeout-ms",
        "250",
        "--nvidia-source",
        "smi",
        "--docker-source",
        "api",
        "--k8s-source",
        "kubectl",
        "--tool-path",
        "/opt/fake",
        "--python",
        "/usr/bin/python3.12",
    ])
    .expect("flags");
    let o = args.to_options();
    assert_eq!(
        o.systemd_units,
        Some(vec!["a.service".to_owned(), "b.service".to_owned()])
    );
    assert_eq!(
        (o.k8s_namespace.as_str(), o.k8s_label_selector.as_str()),
        ("ml", "app=x")
    );
    assert_eq!(o.exec.timeout, Duration::from_millis(250));
    assert_eq!(o.nvidia_source, SourceChoice::Cli);
    assert_eq!(o.docker_source, SourceChoice::Api);
    assert_eq!(o.k8s_source, SourceChoice::Cli);
    assert_eq!(
        o.exec.path.as_deref(),
        Some(std::ffi::OsStr::new("/opt/fake"))
    );
    assert_eq!(o.python, "/usr/bin/python3.12");

    let args =
        Args::try_parse_from(["cohesix-snapshot", "--probes", "nvidia,systemd"]).expect("probes");
    let o = args.to_options();
    assert_eq!(
        o.systemd_units,
        Some(vec![]),
        "named without units: reported skipped"
    );
    assert!(o.include_nvidia && !o.include_docker && !o.include_k8s && !o.include_peft);

    let o = Args::try_parse_from(["cohesix-snapshot", "--probes", "containers"])
        .expect("alias")
        .to_options();
    assert!(o.include_docker && !o.include_nvidia && o.systemd_units.is_none());

    assert!(Args::try_parse_from(["cohesix-snapshot", "--nvidia-source", "cuda"]).is_err());
    assert!(Args::try_parse_from(["cohesix-snapshot", "--timeout-ms", "0"]).is_err());
}
