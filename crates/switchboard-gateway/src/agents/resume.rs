//! Resuming an agent stream over Socket.IO: the stored events after a
//! sequence number, in the shape of the live `agent:*` events, in bounded
//! pages (`agent:workflow:status {afterSequence}`).

use serde_json::{Value as Json, json};
use switchboard_agents::{AgentError, AgentRuntime};

use super::relay::socket_event;

/// Most stored events one `agent:workflow:status {afterSequence}` answer
/// replays; the client asks again from `lastSequence` while `more` is set.
const RESUME_EVENTS: u32 = 1000;
/// Payload bytes past which a replay stops early (it always carries at
/// least one event), so one answer stays bounded whatever the events hold.
const RESUME_BYTES: usize = 4 << 20;

/// The stored events of execution `id` after sequence `after`, each as its
/// live `agent:*` event `{event, sequence, data}`, at most [`RESUME_EVENTS`]
/// of them and about [`RESUME_BYTES`]; whether more follow; and the last
/// sequence number this answer covers (events with no Socket.IO form, such
/// as a queued critique, are covered without being sent), from which the
/// client asks again.
pub(super) async fn replay(
    agents: &AgentRuntime,
    id: &str,
    after: u64,
) -> Result<(Vec<Json>, bool, u64), AgentError> {
    let stored = agents.history_page(id, after, RESUME_EVENTS + 1).await?;
    let page = usize::try_from(RESUME_EVENTS).unwrap_or(usize::MAX);
    let mut more = stored.len() > page;
    let mut last = after;
    let mut bytes = 0;
    let mut events = Vec::new();
    for event in stored.iter().take(page) {
        if let Some((name, data)) = socket_event(event) {
            let size = name.len() + data.to_string().len();
            if !events.is_empty() && bytes + size > RESUME_BYTES {
                more = true;
                break;
            }
            bytes += size;
            events.push(json!({"event": name, "sequence": event.seq, "data": data}));
        }
        last = event.seq;
    }
    Ok((events, more, last))
}
