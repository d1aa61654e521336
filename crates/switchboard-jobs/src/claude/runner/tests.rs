//! The runner against a stand-in CLI: a shell script that reads the prompt
//! and prints a successful `result` line. These tests pin down when a run's
//! concurrency slot comes back: only once its final event is dropped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use switchboard_core::config::{ClaudeConfig, StoreConfig};
use switchboard_core::{Identity, ProcessId, ProcessStatus};
use switchboard_store::Store;
use tokio::sync::mpsc;
use tokio::time::timeout;

use super::{ClaudeRunner, ProcessEvent, ProcessEventKind};
use crate::claude::ExecuteRequest;
use crate::rate_limit::RateLimiter;

/// Generous bound for anything that should happen; only reached on failure.
const PATIENCE: Duration = Duration::from_secs(20);
/// How long a run that must not start is given to (wrongly) start.
const HOLD: Duration = Duration::from_millis(500);

const FAKE_CLI: &str = "#!/bin/sh\n\
cat >/dev/null\n\
echo '{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"result\":\"done\"}'\n";

struct Harness {
    runner: ClaudeRunner,
    events: mpsc::Receiver<ProcessEvent>,
    _dir: tempfile::TempDir,
}

async fn harness(max_concurrent: usize, max_per_user: usize) -> Harness {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let command = dir.path().join("claude");
    std::fs::write(&command, FAKE_CLI).unwrap();
    std::fs::set_permissions(&command, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config = ClaudeConfig {
        command,
        max_concurrent,
        max_per_user,
        queue_timeout: Duration::from_secs(60),
        timeout: Duration::from_secs(60),
        idle_timeout: Duration::from_secs(30),
        kill_grace: Duration::from_secs(2),
        allowed_roots: vec![dir.path().join("roots")],
        rate_limit: 100,
    };
    let store = Store::open(&StoreConfig::Sqlite(dir.path().join("s.db")))
        .await
        .unwrap();
    let (sender, events) = mpsc::channel(256);
    let runner = ClaudeRunner::start(config, store, RateLimiter::memory(100), sender)
        .await
        .unwrap();
    Harness {
        runner,
        events,
        _dir: dir,
    }
}

fn identity(user: &str) -> Identity {
    Identity {
        user_id: user.into(),
        email: None,
        roles: Vec::new(),
        projects: None,
        expires_at: None,
    }
}

fn request() -> ExecuteRequest {
    ExecuteRequest {
        prompt: "hello".into(),
        ..ExecuteRequest::default()
    }
}

async fn start(runner: &ClaudeRunner, user: &str) -> ProcessId {
    let accepted = runner.submit(&identity(user), request()).await.unwrap();
    let id = accepted.id.clone();
    runner.run(accepted);
    id
}

async fn next(events: &mut mpsc::Receiver<ProcessEvent>) -> ProcessEvent {
    timeout(PATIENCE, events.recv())
        .await
        .expect("an event in time")
        .expect("the event stream is open")
}

fn is_final(kind: &ProcessEventKind) -> bool {
    matches!(
        kind,
        ProcessEventKind::Completed(_) | ProcessEventKind::Failed { .. }
    )
}

fn started(event: &ProcessEvent, id: &ProcessId) -> bool {
    &event.id == id && matches!(event.kind, ProcessEventKind::Started)
}

/// Reads until `id`'s final event and returns it, checking that `other`
/// does not start on the way.
async fn final_event_of(
    events: &mut mpsc::Receiver<ProcessEvent>,
    id: &ProcessId,
    other: &ProcessId,
) -> ProcessEvent {
    loop {
        let event = next(events).await;
        assert!(
            !started(&event, other),
            "{other} started before the final event of {id}"
        );
        if &event.id == id && is_final(&event.kind) {
            return event;
        }
    }
}

/// While `held` is kept, the run `waiting` must not start.
async fn assert_not_started_while_held(
    events: &mut mpsc::Receiver<ProcessEvent>,
    waiting: &ProcessId,
) {
    let early = timeout(HOLD, async {
        loop {
            if started(&next(events).await, waiting) {
                return;
            }
        }
    })
    .await;
    assert!(
        early.is_err(),
        "{waiting} started while the previous run's final event was held"
    );
}

async fn wait_started(events: &mut mpsc::Receiver<ProcessEvent>, id: &ProcessId) {
    while !started(&next(events).await, id) {}
}

/// Two runs that the limits allow only one at a time: the second starts
/// once the first's final event is dropped, not when the first CLI exits.
async fn second_run_waits_for_the_first_final_event(mut h: Harness, users: [&str; 2]) {
    let first = start(&h.runner, users[0]).await;
    let second = start(&h.runner, users[1]).await;

    let held = final_event_of(&mut h.events, &first, &second).await;
    assert!(
        matches!(held.kind, ProcessEventKind::Completed(_)),
        "{held:?}"
    );
    assert_not_started_while_held(&mut h.events, &second).await;
    assert_eq!(h.runner.counts(), (1, 1), "the first run keeps its slot");

    drop(held);
    wait_started(&mut h.events, &second).await;
    let end = final_event_of(&mut h.events, &second, &first).await;
    assert!(
        matches!(end.kind, ProcessEventKind::Completed(_)),
        "{end:?}"
    );
}

#[tokio::test]
async fn per_user_limit_holds_until_the_final_event_is_dropped() {
    let h = harness(4, 1).await;
    second_run_waits_for_the_first_final_event(h, ["ada", "ada"]).await;
}

#[tokio::test]
async fn global_limit_holds_until_the_final_event_is_dropped() {
    let h = harness(1, 4).await;
    second_run_waits_for_the_first_final_event(h, ["ada", "grace"]).await;
}

#[tokio::test]
async fn an_observers_copy_of_the_final_event_holds_the_slot_too() {
    let mut h = harness(1, 1).await;
    let accepted = h.runner.submit(&identity("ada"), request()).await.unwrap();
    let first = accepted.id.clone();
    let mut observed = h.runner.run_observed(accepted);
    let second = start(&h.runner, "ada").await;

    // The listener's copy is dropped at once; the observer's is kept.
    drop(final_event_of(&mut h.events, &first, &second).await);
    let kept = loop {
        let kind = timeout(PATIENCE, observed.events.recv())
            .await
            .expect("an observed event in time")
            .expect("the observed run ends with a final event");
        if is_final(&kind) {
            break kind;
        }
    };
    assert_not_started_while_held(&mut h.events, &second).await;

    drop(kept);
    wait_started(&mut h.events, &second).await;
}

#[tokio::test]
async fn without_a_listener_the_slot_is_still_freed() {
    let Harness {
        runner,
        events,
        _dir,
    } = harness(1, 1).await;
    drop(events);
    let first = start(&runner, "ada").await;
    let second = start(&runner, "ada").await;
    let finished = timeout(PATIENCE, async {
        for id in [&first, &second] {
            loop {
                let status = runner.status(&identity("ada"), id.as_str()).await.unwrap();
                if status.status == ProcessStatus::Completed {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    })
    .await;
    assert!(finished.is_ok(), "both runs complete with nobody listening");
}

#[tokio::test]
async fn every_event_names_the_user_and_stdout_is_the_answer_text() {
    let mut h = harness(1, 1).await;
    let id = start(&h.runner, "ada").await;
    let end = loop {
        let event = next(&mut h.events).await;
        assert_eq!(event.id, id);
        assert_eq!(&*event.user_id, "ada", "{event:?}");
        if is_final(&event.kind) {
            break event;
        }
    };
    let ProcessEventKind::Completed(finished) = end.kind else {
        panic!("{end:?}");
    };
    assert_eq!(finished.outcome.stdout, "done", "not the raw stream-json");
    let record = h
        .runner
        .record(&identity("ada"), id.as_str())
        .await
        .unwrap();
    assert_eq!(record.outcome.unwrap().stdout, "done");
}
