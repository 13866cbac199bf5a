//! `GET /v1/meta/bounds`: the compiled document byte for byte (host-surface §5.9 field
//! order), with the target's own manifest hash appended and named separately.

mod common;

use common::{client, get, mock_gateway, OK};

const SPEC_LAYOUT: &str = concat!(
    r#"{"manifest_sha256":"@SHA@","#,
    r#""secure9p":{"msize":8192,"walk_depth":8},"#,
    r#""console":{"max_line_len":256,"max_path_len":96,"max_json_len":192,"max_id_len":32,"max_echo_len":128,"max_ticket_len":224},"#,
    r#""paths":{"queen_ctl":"/queen/ctl","queen_lifecycle_ctl":"/queen/lifecycle/ctl","queen_schedule_ctl":"/queen/schedule/ctl","queen_lease_ctl":"/queen/lease/ctl","queen_export_ctl":"/queen/export/ctl","policy_ctl":"/policy/ctl","log":"/log/queen.log"},"#,
    r#""control_plane":{"schedule":{"enable":true,"queue_max_entries":256,"ctl_max_bytes":8192},"lease":{"enable":true,"active_max_entries":256,"preemptions_max_entries":256,"ctl_max_bytes":8192},"export":{"enable":true,"ctl_max_bytes":2048}},"#,
    r#""policy":{"enable":true,"queue_max_entries":256,"queue_max_bytes":8192,"ctl_max_bytes":2048},"#,
    r#""observability":{"proc_schedule":{"summary":true,"queue":true,"summary_bytes":128,"queue_bytes":256},"proc_lease":{"summary":true,"active":true,"preemptions":true,"summary_bytes":160,"active_bytes":256,"preemptions_bytes":256}}"#,
    "@TAIL@}"
);

fn layout(sha: &str, target: Option<&str>) -> String {
    let tail = target.map_or_else(String::new, |t| {
        format!(r#","target_manifest_sha256":"{t}""#)
    });
    SPEC_LAYOUT.replace("@SHA@", sha).replace("@TAIL@", &tail)
}

#[tokio::test]
async fn compiled_bounds_with_the_targets_hash_appended() {
    let gw = mock_gateway(|c| c).await;
    let c = client();
    let u = gw.url();
    // Once attached, the target's boot line can be read.
    assert_eq!(
        get(&c, &format!("{u}/v1/fs/ls?path=/"), OK).await.status,
        200
    );
    let a = get(&c, &format!("{u}/v1/meta/bounds"), OK).await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.header("content-type").as_deref(),
        Some("application/json")
    );
    let sha = cohesix_generated::MANIFEST_SHA256;
    assert_eq!(a.text, layout(sha, Some(sha)));
    // The compiled part is the generated constant, unchanged.
    assert!(a.text.starts_with(
        &cohesix_generated::meta_bounds::JSON[..cohesix_generated::meta_bounds::JSON.len() - 1]
    ));
}

#[tokio::test]
async fn a_manifest_names_its_own_hash_next_to_the_targets() {
    let manifest = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/upstream-0.9/configs/root_task.toml"
    );
    let bounds = cohesix_gateway::Bounds::from_manifest(std::path::Path::new(manifest)).unwrap();
    let gw = mock_gateway(|c| c.bounds(bounds)).await;
    let c = client();
    let u = gw.url();
    assert_eq!(
        get(&c, &format!("{u}/v1/fs/ls?path=/"), OK).await.status,
        200
    );
    let a = get(&c, &format!("{u}/v1/meta/bounds"), OK).await;
    // The 0.9.0-beta bundle's hash (host-surface §1.1), and the simulator's own.
    let bundle = "af1586465c29995de8086260fe57138aa3481d8ea70f42e5d37b1add06026af0";
    assert_eq!(
        a.text,
        layout(bundle, Some(cohesix_generated::MANIFEST_SHA256))
    );
}
