//! Fleet runs: 50 simulated queens with 3 unreachable ones, shards that cover every queen
//! exactly once, and a merge equal to the unsharded summary.

use std::path::PathBuf;
use std::sync::Arc;

use cohesix::discovery::MapEnv;
use cohesix::playbook::fleet::{merge, run_fleet, Fleet, FleetOptions, FleetSummary, Shard};
use cohesix::playbook::{built_in, Playbook, RunId, RunOptions, Silent};
use cohesix_sim::{AuthToken, SimConfig};

const TOKEN: &str = "fleet-token";

fn book() -> Playbook {
    built_in()
        .unwrap()
        .into_iter()
        .map(|e| e.playbook)
        .find(|b| b.id == "jetson-traffic-safety")
        .unwrap()
}

fn out(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cohesix-fleet-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// A port nothing listens on.
fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn fleet_file(live: &[std::net::SocketAddr], dead: &[u16]) -> Fleet {
    let mut text = String::new();
    for (i, a) in live.iter().enumerate() {
        text.push_str(&format!(
            "[[queen]]\nname = \"q{i:02}\"\ntcp = \"{a}\"\ntoken_env = \"T\"\n\n"
        ));
    }
    for (i, p) in dead.iter().enumerate() {
        text.push_str(&format!(
            "[[queen]]\nname = \"down{i}\"\ntcp = \"127.0.0.1:{p}\"\ntoken_env = \"T\"\n\n"
        ));
    }
    Fleet::parse(&text, "FLEET.toml").unwrap()
}

fn options(dir: &std::path::Path, run_id: &str) -> FleetOptions {
    let mut run = RunOptions::new();
    run.run_id = Some(RunId::parse(run_id).unwrap());
    let mut o = FleetOptions::new(dir.to_path_buf(), run);
    o.concurrency = 16;
    o
}

fn env() -> Arc<MapEnv> {
    Arc::new(MapEnv::new(&[("T", TOKEN)]))
}

fn rows(s: &FleetSummary) -> Vec<(String, String, usize)> {
    s.queens
        .iter()
        .map(|q| (q.queen.clone(), q.outcome.clone(), q.committed))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_queens_three_unreachable_shards_and_merge() {
    let mut cfg = SimConfig::mock(false);
    cfg.token = AuthToken::new(TOKEN);
    let sims = cohesix_sim::fleet::Fleet::spawn(cfg, 47).await.unwrap();
    let dead = [dead_port(), dead_port(), dead_port()];
    let fleet = fleet_file(&sims.addrs(), &dead);
    assert_eq!(fleet.queens.len(), 50);
    let book = book();

    let dir = out("all");
    let summary = run_fleet(&book, &fleet, env(), &options(&dir, "f1"), Arc::new(Silent))
        .await
        .unwrap();
    assert_eq!(summary.queens.len(), 50);
    assert_eq!(summary.failures(), 3);
    let ok: Vec<_> = summary
        .queens
        .iter()
        .filter(|q| q.outcome == "ok")
        .collect();
    assert_eq!(ok.len(), 47);
    assert!(ok.iter().all(|q| q.committed == 5), "{ok:?}");
    for q in summary.queens.iter().filter(|q| q.outcome != "ok") {
        assert!(
            q.queen.starts_with("down") && q.outcome == "unreachable",
            "{q:?}"
        );
    }
    // One report per queen (failed ones too), and the summary on disk.
    for q in &fleet.queens {
        assert!(
            dir.join(&book.id)
                .join(&q.name)
                .join("report.json")
                .is_file(),
            "{}",
            q.name
        );
    }
    let on_disk = FleetSummary::read(&dir.join(&book.id).join("fleet.json")).unwrap();
    assert_eq!(rows(&on_disk), rows(&summary));

    // Shards: every queen in exactly one of 4; merged, they equal the unsharded run.
    let mut parts = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for i in 0..4 {
        let d = out(&format!("shard{i}"));
        let mut o = options(&d, &format!("s{i}"));
        o.shard = Some(Shard::new(i, 4).unwrap());
        let part = run_fleet(&book, &fleet, env(), &o, Arc::new(Silent))
            .await
            .unwrap();
        for q in &part.queens {
            *seen.entry(q.queen.clone()).or_insert(0) += 1;
        }
        parts.push(part);
        let _ = std::fs::remove_dir_all(&d);
    }
    assert_eq!(seen.len(), 50);
    assert!(seen.values().all(|n| *n == 1));
    let merged = merge(&parts).unwrap();
    assert_eq!(rows(&merged), rows(&summary));
    assert!(merge(&[parts[0].clone(), parts[0].clone()]).is_err());
    let _ = std::fs::remove_dir_all(&dir);
    sims.shutdown().await;
}

#[test]
fn shard_assignment_is_stable_by_name() {
    let s = Shard::new(1, 3).unwrap();
    let names: Vec<String> = (0..300).map(|i| format!("site-{i}")).collect();
    let mine: Vec<&String> = names.iter().filter(|n| s.owns(n)).collect();
    // Adding queens never moves the existing ones.
    let more: Vec<String> = (0..600).map(|i| format!("site-{i}")).collect();
    let mine_after: Vec<&String> = more.iter().filter(|n| s.owns(n)).take(mine.len()).collect();
    assert_eq!(mine, mine_after[..mine.len()].to_vec());
    assert!((70..130).contains(&mine.len()), "{}", mine.len());
    assert_eq!(Shard::parse("2/4").unwrap(), Shard::new(2, 4).unwrap());
    assert!(Shard::parse("4/4").is_err() && Shard::parse("x").is_err());
    let env = MapEnv::new(&[("JOB_COMPLETION_INDEX", "3")]);
    assert_eq!(
        Shard::from_env(&env, 8).unwrap(),
        Some(Shard::new(3, 8).unwrap())
    );
    assert!(Shard::from_env(&env, 2).is_err());
}

#[test]
fn fleet_files_are_checked() {
    assert!(Fleet::parse("[[queen]]\nname = \"a\"\n", "f")
        .unwrap_err()
        .to_string()
        .contains("exactly one of tcp, rest, mount"));
    let dup = "[[queen]]\nname = \"a\"\ntcp = \"h:1\"\n[[queen]]\nname = \"a\"\ntcp = \"h:2\"\n";
    let e = Fleet::parse(dup, "f").unwrap_err().to_string();
    assert!(e.starts_with("f:4:") && e.contains("appears twice"), "{e}");
    assert!(Fleet::parse("[[queen]]\nname = \"../x\"\ntcp = \"h:1\"\n", "f").is_err());
    assert!(Fleet::parse("[[queen]]\nname = \"a\"\ntcp = \"h:1\"\nbogus = 1\n", "f").is_err());
}
