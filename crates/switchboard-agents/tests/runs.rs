//! Snapshots of the event sequences a workflow, a critique and a discussion
//! produce, driven through the real Anthropic adapter against a scripted
//! HTTP endpoint. Timestamps and ids are left out; order and content are not.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use support::{FakeLlm, Reply, anthropic_text, prompt, system};
use switchboard_agents::llm::{Anthropic, Llm};
use switchboard_agents::{
    AgentEvent, AgentRuntime, CritiqueRequest, Decision, DiscussionRequest, Viewer,
    WorkflowDefinition,
};
use switchboard_core::config::AgentConfig;
use switchboard_core::config::StoreConfig;
use switchboard_store::Store;
use tokio::sync::mpsc;

struct Harness {
    runtime: AgentRuntime,
    events: mpsc::Receiver<AgentEvent>,
    _dir: tempfile::TempDir,
}

async fn harness(fake: &FakeLlm) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&StoreConfig::Sqlite(dir.path().join("s.db")))
        .await
        .unwrap();
    let provider = Anthropic::new(Some(&fake.origin), None, None).unwrap();
    let config = AgentConfig {
        llm: None,
        workflows_dir: None,
        max_concurrent: 2,
        max_per_user: 2,
        step_timeout: Duration::from_secs(10),
        roles: Default::default(),
        monitor_require_token: false,
    };
    let (sender, events) = mpsc::channel(256);
    let runtime = AgentRuntime::new(
        &config,
        store,
        Some(Llm::new(Arc::new(provider), 0)),
        sender,
    )
    .unwrap();
    Harness {
        runtime,
        events,
        _dir: dir,
    }
}

/// Collects one execution's events until its final one, as snapshot lines.
/// How text splits into deltas depends on network timing, so consecutive
/// deltas of one step are joined; sequence numbers must simply count up.
async fn transcript(
    events: &mut mpsc::Receiver<AgentEvent>,
    mut on: impl FnMut(&AgentEvent),
) -> String {
    let mut lines: Vec<serde_json::Value> = Vec::new();
    let mut expected_seq = 1;
    loop {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(event.seq, expected_seq, "sequence numbers count up from 1");
        expected_seq += 1;
        on(&event);
        let mut body = serde_json::to_value(&event.body).unwrap();
        let joined = match (lines.last_mut(), &event.body) {
            (
                Some(last),
                switchboard_agents::EventBody::StepProgress {
                    step_id,
                    delta: Some(delta),
                    ..
                },
            ) if last["event"] == "step_progress"
                && last["step_id"] == step_id.as_str()
                && last["delta"].is_string() =>
            {
                let text = format!("{}{delta}", last["delta"].as_str().unwrap());
                last["delta"] = text.into();
                // The step's progress grows with the text: keep the latest.
                last["progress"] = body["progress"].take();
                true
            }
            _ => false,
        };
        if !joined {
            body.as_object_mut().unwrap().remove("seq");
            lines.push(body);
        }
        if event.body.is_final() {
            let mut out = String::new();
            for line in lines {
                writeln!(out, "{line}").unwrap();
            }
            return out;
        }
    }
}

#[tokio::test]
async fn workflow_with_an_approval() {
    let fake = FakeLlm::start(|body, _| {
        Reply::sse(anthropic_text(&format!("answer to {}", prompt(body))))
    })
    .await;
    let mut h = harness(&fake).await;
    let definition = WorkflowDefinition::from_yaml(
        "name: Snap\nsteps:\n  - id: draft\n    prompt: Draft {{input.topic}}\n  - id: gate\n    kind: approval\n    dependsOn: [draft]\n    message: OK {{steps.draft.output}}?\n  - id: final\n    dependsOn: [gate]\n    prompt: Polish {{steps.draft.output}}\n",
    )
    .unwrap();
    let entry = h
        .runtime
        .catalog()
        .create(Viewer::User("ada"), definition)
        .await
        .unwrap();
    let accepted = h
        .runtime
        .execute_workflow("ada", &entry.id, serde_json::json!({"topic": "owls"}))
        .await
        .unwrap();
    let id = accepted.execution_id.clone();
    h.runtime.launch(accepted);
    let runtime = h.runtime.clone();
    let text = transcript(&mut h.events, |event| {
        if let switchboard_agents::EventBody::StepProgress {
            awaiting_approval: Some(_),
            ..
        } = &event.body
        {
            let (runtime, id) = (runtime.clone(), id.clone());
            tokio::spawn(async move {
                let decision = Decision {
                    approved: true,
                    comment: Some("fine".into()),
                    by: "ada".into(),
                };
                runtime
                    .decide(Viewer::User("ada"), &id, "gate", decision)
                    .await
                    .unwrap();
            });
        }
    })
    .await;
    insta::assert_snapshot!(text);
}

#[tokio::test]
async fn critique_converging_on_the_second_draft() {
    let fake = FakeLlm::start(|body, n| {
        let text = if system(body).contains("critic") {
            if n == 0 {
                "Clarity: 4/10. Say more.".to_owned()
            } else {
                r#"{"scores":{"clarity":9},"feedback":"Clear."}"#.to_owned()
            }
        } else {
            "A clearer draft".to_owned()
        };
        Reply::sse(anthropic_text(&text))
    })
    .await;
    let mut h = harness(&fake).await;
    let request =
        CritiqueRequest::new("A draft".into(), vec!["clarity".into()], Some(3), Some(8.0)).unwrap();
    let accepted = h.runtime.critique("ada", request).await.unwrap();
    h.runtime.launch(accepted);
    insta::assert_snapshot!(transcript(&mut h.events, |_| {}).await);
}

#[tokio::test]
async fn discussion_reaching_consensus() {
    let fake = FakeLlm::start(|body, _| {
        let text = if system(body).contains("moderator") {
            if prompt(body).contains("final synthesis") {
                "Ship it on Friday.".to_owned()
            } else {
                r#"{"consensus": true, "confidence": 0.8, "summary": "Both say Friday."}"#
                    .to_owned()
            }
        } else {
            "Friday works".to_owned()
        };
        Reply::sse(anthropic_text(&text))
    })
    .await;
    let mut h = harness(&fake).await;
    let request = DiscussionRequest::new(
        "When to ship?".into(),
        vec!["developer".into(), "qa".into()],
        Some(2),
    )
    .unwrap();
    let accepted = h.runtime.discuss("ada", request).await.unwrap();
    h.runtime.launch(accepted);
    insta::assert_snapshot!(transcript(&mut h.events, |_| {}).await);
}
