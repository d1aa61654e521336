//! The fields of `agent:*` payloads, read leniently and refused with a
//! message that names the field.

use serde_json::Value as Json;

use crate::socketio::Args;

/// The payload object of `event`.
pub(super) fn object(args: &Args, event: &str) -> Result<serde_json::Map<String, Json>, String> {
    match args.first() {
        Some(Json::Object(fields)) => Ok(fields.clone()),
        _ => Err(format!("{event} expects an object")),
    }
}

pub(super) fn string(
    fields: &serde_json::Map<String, Json>,
    name: &str,
) -> Result<Option<String>, String> {
    match fields.get(name) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(format!("{name} must be a string")),
    }
}

pub(super) fn strings(
    fields: &serde_json::Map<String, Json>,
    name: &str,
) -> Result<Vec<String>, String> {
    match fields.get(name) {
        Some(Json::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("{name} must be an array of strings")),
        _ => Err(format!("{name} must be an array of strings")),
    }
}

pub(super) fn count(
    fields: &serde_json::Map<String, Json>,
    name: &str,
) -> Result<Option<u32>, String> {
    match fields.get(name) {
        None | Some(Json::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| format!("{name} must be a positive integer")),
    }
}

/// A sequence number: a non-negative integer.
pub(super) fn sequence(
    fields: &serde_json::Map<String, Json>,
    name: &str,
) -> Result<Option<u64>, String> {
    match fields.get(name) {
        None | Some(Json::Null) => Ok(None),
        Some(value) => value
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("{name} must be a non-negative integer")),
    }
}

/// The execution a control event names: `'exec_…'`, `'wf_…'`,
/// `{executionId}` or `{workflowId}`.
pub(super) fn target(args: &Args) -> Result<(Option<String>, Option<String>), String> {
    const SHAPE: &str = "expects {executionId} or {workflowId}";
    match args.first() {
        Some(Json::String(id)) if id.starts_with("wf_") => Ok((None, Some(id.clone()))),
        Some(Json::String(id)) => Ok((Some(id.clone()), None)),
        Some(Json::Object(fields)) => {
            let execution = string(fields, "executionId")?;
            let workflow = string(fields, "workflowId")?;
            if execution.is_none() && workflow.is_none() {
                return Err(SHAPE.into());
            }
            Ok((execution, workflow))
        }
        _ => Err(SHAPE.into()),
    }
}
