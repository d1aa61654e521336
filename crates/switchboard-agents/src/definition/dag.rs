//! The step graph of a definition: orders the steps by their `dependsOn`
//! edges, giving every step its transitive dependencies (what its templates
//! may read), and names one cycle when they cannot be ordered.

use std::collections::{BTreeSet, HashMap};

use super::{DefinitionError, StepDefinition};

/// Every step's transitive dependencies; fails on a cycle.
pub(super) fn ancestors(
    steps: &[StepDefinition],
) -> Result<HashMap<&str, BTreeSet<&str>>, DefinitionError> {
    // Kahn's algorithm: whatever never reaches in-degree 0 is on or behind a cycle.
    let mut waiting: HashMap<&str, usize> = steps
        .iter()
        .map(|step| (step.id.as_str(), step.depends_on.len()))
        .collect();
    let mut order = Vec::with_capacity(steps.len());
    let mut ready: Vec<&str> = steps
        .iter()
        .filter(|step| step.depends_on.is_empty())
        .map(|step| step.id.as_str())
        .collect();
    while let Some(id) = ready.pop() {
        order.push(id);
        for step in steps {
            let dependents = step.depends_on.iter().filter(|d| *d == id).count();
            if dependents > 0
                && let Some(count) = waiting.get_mut(step.id.as_str())
            {
                *count -= dependents;
                if *count == 0 {
                    ready.push(step.id.as_str());
                }
            }
        }
    }
    if order.len() < steps.len() {
        return Err(DefinitionError::Cycle(cycle(steps, &order)));
    }
    let by_id: HashMap<&str, &StepDefinition> =
        steps.iter().map(|step| (step.id.as_str(), step)).collect();
    let mut result: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for id in order {
        let mut set = BTreeSet::new();
        for dependency in &by_id[id].depends_on {
            set.insert(dependency.as_str());
            set.extend(result[dependency.as_str()].iter().copied());
        }
        result.insert(id, set);
    }
    Ok(result)
}

/// One cycle among the steps that could not be ordered, for the error message.
fn cycle(steps: &[StepDefinition], ordered: &[&str]) -> Vec<String> {
    let stuck: HashMap<&str, &StepDefinition> = steps
        .iter()
        .filter(|step| !ordered.contains(&step.id.as_str()))
        .map(|step| (step.id.as_str(), step))
        .collect();
    // Walk stuck dependencies until a step repeats: every stuck step has one.
    let Some(mut current) = steps
        .iter()
        .map(|step| step.id.as_str())
        .find(|id| stuck.contains_key(id))
    else {
        return Vec::new();
    };
    let mut path: Vec<&str> = Vec::new();
    while !path.contains(&current) {
        path.push(current);
        match stuck[current]
            .depends_on
            .iter()
            .find(|d| stuck.contains_key(d.as_str()))
        {
            Some(next) => current = next.as_str(),
            None => break,
        }
    }
    let start = path.iter().position(|id| *id == current).unwrap_or(0);
    let mut cycle: Vec<String> = path[start..].iter().map(|id| (*id).to_owned()).collect();
    cycle.push(current.to_owned());
    cycle
}
