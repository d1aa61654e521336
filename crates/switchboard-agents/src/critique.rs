//! The self-critique loop: a critic scores the draft per criterion (asked
//! for JSON, read leniently), a writer revises it, until every score reaches
//! the threshold or the iterations run out. The best-scoring draft is the
//! result, not the last one: revisions can make a draft worse.

use std::sync::Arc;

use serde_json::json;

use crate::control::Control;
use crate::event::EventBody;
use crate::runtime::{CritiqueRequest, Inner, Outcome};
use crate::verdict::{Critique, read_critique};

/// Runs the loop; `Err` carries an early end (failure, cancel, shutdown).
pub(crate) async fn run(
    inner: &Arc<Inner>,
    control: &Arc<Control>,
    request: &CritiqueRequest,
) -> Result<Outcome, Outcome> {
    let criteria = request.criteria.join(", ");
    let mut draft = request.content.clone();
    let mut best: Option<(u32, String, Critique)> = None;
    let mut converged = false;
    let mut iterations = 0;
    for iteration in 1..=request.max_iterations {
        iterations = iteration;
        let answer = inner
            .ask(
                control,
                inner.roles.prompt("critic"),
                format!(
                    "Score the content below from 0 to 10 on each of these criteria: {criteria}.\n\
                     Answer ONLY with JSON of the form {{\"scores\": {{\"<criterion>\": <0-10>, ...}}, \"feedback\": \"<what to improve>\"}}.\n\n\
                     Content:\n{draft}"
                ),
            )
            .await?;
        let critique = read_critique(&answer, &request.criteria);
        if !critique.structured {
            tracing::warn!(execution = %control.id, iteration, "critic did not answer in JSON; scores read from prose");
        }
        inner
            .emit(
                control,
                EventBody::CritiqueIteration {
                    iteration,
                    scores: critique.scores.clone(),
                    average: critique.average(),
                    feedback: critique.feedback.clone(),
                    content: draft.clone(),
                    structured: critique.structured,
                },
            )
            .await;
        let passes = critique.passes(request.threshold);
        if best
            .as_ref()
            .is_none_or(|(_, _, kept)| critique.average() > kept.average())
        {
            best = Some((iteration, draft.clone(), critique.clone()));
        }
        if passes {
            converged = true;
            inner
                .emit(
                    control,
                    EventBody::CritiqueConverged {
                        iterations: iteration,
                        scores: critique.scores.clone(),
                    },
                )
                .await;
            break;
        }
        if iteration == request.max_iterations {
            break;
        }
        let revised = inner
            .ask(
                control,
                inner.roles.prompt("writer"),
                format!(
                    "Revise the content below to address the feedback, judged on: {criteria}.\n\
                     Return only the revised content.\n\nFeedback:\n{}\n\nContent:\n{draft}",
                    critique.feedback
                ),
            )
            .await?;
        if revised.trim() == draft.trim() {
            // The writer changed nothing: further rounds would score the same text.
            tracing::info!(execution = %control.id, iteration, "revision unchanged; stopping");
            break;
        }
        draft = revised;
    }
    let Some((best_iteration, result, critique)) = best else {
        return Err(Outcome::Failed {
            code: switchboard_core::ErrorCode::Internal,
            error: "no iteration ran".into(),
        });
    };
    Ok(Outcome::Done {
        result: json!({
            "result": result,
            "iterations": iterations,
            "scores": critique.scores,
            "converged": converged,
            "bestIteration": best_iteration,
        }),
        event: EventBody::CritiqueCompleted {
            result,
            iterations,
            scores: critique.scores,
            converged,
            best_iteration,
        },
    })
}
