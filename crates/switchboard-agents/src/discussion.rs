//! Multi-agent discussion: rounds in which every participant speaks in turn
//! (seeing the transcript so far), a moderator judging consensus after each
//! round (asked for JSON, read leniently), then a synthesis.

use std::fmt::Write as _;
use std::sync::Arc;

use serde_json::json;

use crate::control::Control;
use crate::event::EventBody;
use crate::runtime::{DiscussionRequest, Inner, Outcome};
use crate::verdict::read_verdict;

/// Runs the loop; `Err` carries an early end (failure, cancel, shutdown).
pub(crate) async fn run(
    inner: &Arc<Inner>,
    control: &Arc<Control>,
    request: &DiscussionRequest,
) -> Result<Outcome, Outcome> {
    let topic = &request.topic;
    let mut transcript = String::new();
    let mut consensus = false;
    let mut rounds = 0;
    for round in 1..=request.max_rounds {
        rounds = round;
        inner.emit(control, EventBody::RoundStarted { round }).await;
        for role in &request.participants {
            let so_far = if transcript.is_empty() {
                "(nobody has spoken yet)"
            } else {
                &transcript
            };
            let contribution = inner
                .ask(
                    control,
                    inner.roles.prompt(role),
                    format!(
                        "Topic: {topic}\n\nDiscussion so far:\n{so_far}\n\n\
                         This is round {round}. Give your contribution as the {role}: concise, \
                         responding to the others, and say where you agree or disagree."
                    ),
                )
                .await?;
            let _ = write!(transcript, "[round {round}] {role}: {contribution}\n\n");
            inner
                .emit(
                    control,
                    EventBody::Contribution {
                        round,
                        role: role.clone(),
                        contribution,
                    },
                )
                .await;
        }
        let answer = inner
            .ask(
                control,
                inner.roles.prompt("moderator"),
                format!(
                    "Topic: {topic}\n\nDiscussion:\n{transcript}\n\
                     Do the participants agree on a conclusion? Answer ONLY with JSON of the form \
                     {{\"consensus\": true|false, \"confidence\": <0-1>, \"summary\": \"<one sentence>\"}}."
                ),
            )
            .await?;
        let verdict = read_verdict(&answer);
        inner
            .emit(
                control,
                EventBody::RoundCompleted {
                    round,
                    consensus: verdict.consensus,
                    confidence: verdict.confidence,
                    summary: verdict.summary.clone(),
                },
            )
            .await;
        if verdict.consensus {
            consensus = true;
            inner
                .emit(
                    control,
                    EventBody::DiscussionConverged {
                        round,
                        summary: verdict.summary,
                    },
                )
                .await;
            break;
        }
    }
    let synthesis = inner
        .ask(
            control,
            inner.roles.prompt("moderator"),
            format!(
                "Topic: {topic}\n\nDiscussion:\n{transcript}\n\
                 Write the final synthesis: the conclusion, the reasons for it, and any open disagreements."
            ),
        )
        .await?;
    Ok(Outcome::Done {
        result: json!({"synthesis": synthesis, "consensusReached": consensus, "rounds": rounds}),
        event: EventBody::DiscussionCompleted {
            synthesis,
            consensus_reached: consensus,
            rounds,
        },
    })
}
