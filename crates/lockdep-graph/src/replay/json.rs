//! The `--json` rendering of a replay: findings with their lines, and the validator's counters.

use serde_json::{Value, json};

use super::replayer::ReplayFinding;
use crate::ValidatorStats;

/// `{"findings":[{"kind":..,"line":..,"thread":..,"locks":[..]},..],"stats":{..}}`.
///
/// `kind` is [`FindingKind::as_str`](crate::FindingKind::as_str), `line` the line of the event
/// that produced the finding, `thread` the thread's name, `locks` the class names involved, and
/// `stats` the serialised [`ValidatorStats`].
pub fn to_json(findings: &[ReplayFinding], stats: &ValidatorStats) -> Value {
    let findings: Vec<Value> = findings
        .iter()
        .map(|f| {
            json!({
                "kind": f.finding.kind.as_str(),
                "line": f.line,
                "thread": f.finding.thread_name,
                "locks": f.finding.locks,
            })
        })
        .collect();
    // Serialising a struct of integers and a bool cannot fail; Null keeps this total anyway.
    let stats = serde_json::to_value(stats).unwrap_or(Value::Null);
    json!({ "findings": findings, "stats": stats })
}
