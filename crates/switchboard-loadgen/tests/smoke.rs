//! A short suite run: every scenario against a real Switchboard binary and
//! the real Node reference server, with tiny sizes. It proves the scenarios
//! and the report work; it measures nothing (no timed assertion).

use std::path::PathBuf;
use std::process::Command;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn smoke_suite_runs_every_scenario_on_both_servers() {
    let switchboard = std::env::var_os("SWITCHBOARD_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/debug/switchboard"));
    assert!(
        switchboard.exists(),
        "build the server first: {}",
        switchboard.display()
    );
    let node_server = workspace().join("bench/node-reference/server.mjs");
    assert!(
        workspace()
            .join("bench/node-reference/node_modules/socket.io")
            .exists(),
        "run `npm ci` in bench/node-reference"
    );
    let scratch = tempfile::tempdir().unwrap();
    let doc = scratch.path().join("BENCHMARKS.md");
    std::fs::write(&doc, "# Benchmarks\n\nhand-written part\n").unwrap();
    #[allow(clippy::disallowed_methods)] // the binary under test, as a user runs it
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard-loadgen"))
        .args(["suite", "--smoke", "--switchboard"])
        .arg(&switchboard)
        .arg("--node-server")
        .arg(&node_server)
        .arg("--doc")
        .arg(&doc)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let records: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    // Five scenarios on Switchboard, four on Node (it has no Claude runner).
    assert_eq!(records.len(), 9, "{stdout}");
    for record in &records {
        assert!(record["result"].get("error").is_none(), "{record}");
    }
    let find = |scenario: &str, server: &str| {
        records
            .iter()
            .find(|r| r["scenario"] == scenario && r["server"] == server)
            .map(|r| &r["result"])
            .unwrap()
    };
    for server in ["switchboard", "node"] {
        let idle = find("idle", server);
        assert_eq!(idle["levels"][1]["connections"], 20);
        assert!(idle["per_conn_bytes"].as_u64().unwrap() > 0);
        let fanout = find("fanout", server);
        assert!(fanout["published"].as_u64().unwrap() > 0);
        assert_eq!(
            fanout["delivered"].as_u64().unwrap(),
            fanout["published"].as_u64().unwrap() * 10,
            "every client got every broadcast on {server}"
        );
        let ack = find("ack", server);
        assert_eq!(ack["answered"], ack["sent"], "{ack}");
        assert!(find("handshake", server)["handshakes"].as_u64().unwrap() > 0);
    }
    let stream = find("stream", "switchboard");
    assert_eq!(
        stream["deltas"],
        2 * 2 * 50,
        "every delta reached every watcher"
    );

    let document = std::fs::read_to_string(&doc).unwrap();
    assert!(document.starts_with("# Benchmarks\n\nhand-written part\n"));
    assert!(document.contains("| fan-out | fan-out, messages delivered |"));
    assert!(scratch.path().join("bench-chart.svg").exists());
}
