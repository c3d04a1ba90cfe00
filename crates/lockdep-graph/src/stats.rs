//! A snapshot of the validator's counters, printed like `/proc/lockdep_stats`.

use std::fmt;

/// Counters and sizes of a [`Validator`](crate::Validator) at one moment.
///
/// Per-thread counters (acquisitions, cache hits, depth) are summed from each thread's own
/// state without stopping it, so a snapshot taken while threads run is consistent per field.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ValidatorStats {
    /// Lock classes in the graph: (key, subclass) pairs acquired at least once (a class with
    /// subclass N counts separately; names registered but never acquired do not count).
    pub lock_classes: u64,
    /// Dependencies prev -> next in the graph (lockdep's "direct dependencies").
    pub direct_dependencies: u64,
    /// Distinct held-stack sequences validated (lockdep's "dependency chains").
    pub dependency_chains: u64,
    /// Sum of the lengths of those chains (lockdep's "chain hlocks").
    pub chain_hlocks: u64,
    /// Fixed store: words used including the 3-word headers. Depot: 0.
    pub stack_trace_entries: u64,
    /// Fixed store: `2^bits`. Depot: `None` (it grows).
    pub stack_trace_entries_max: Option<u64>,
    /// Depot: bytes used by traces (the depot's `bytes_used`). Fixed: bytes of the array used
    /// plus its hash table.
    pub depot_bytes: u64,
    /// Unique stack traces stored.
    pub stack_traces: u64,
    /// Fixed: non-empty hash buckets. Depot: index slots in use (its traces).
    pub stack_hash_chains: u64,
    /// Deepest held-lock stack seen.
    pub max_held_depth: u64,
    /// Largest BFS queue occupancy seen in a cycle search.
    pub max_bfs_queue_depth: u64,
    /// Dependencies and classes recorded with "no trace" because the store could not save one.
    pub traces_unavailable: u64,
    /// Findings recorded.
    pub findings: u64,
    /// lockdep's `debug_locks`: false once a Fixed store overflowed and validation stopped.
    pub debug_locks: bool,
    /// Acquisitions seen (including trylocks and re-acquisitions after out-of-order release).
    pub acquisitions: u64,
    /// Acquisitions whose chain was already validated (skipped validation).
    pub chain_cache_hits: u64,
}

impl fmt::Display for ValidatorStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn row(
            f: &mut fmt::Formatter<'_>,
            name: &str,
            value: u64,
            max: Option<&str>,
        ) -> fmt::Result {
            let label = format!("{name}:");
            match max {
                Some(m) => writeln!(f, " {label:<36} {value:>11} [max: {m}]"),
                None => writeln!(f, " {label:<36} {value:>11}"),
            }
        }
        row(f, "lock-classes", self.lock_classes, Some("unlimited"))?;
        row(
            f,
            "direct dependencies",
            self.direct_dependencies,
            Some("unlimited"),
        )?;
        row(
            f,
            "dependency chains",
            self.dependency_chains,
            Some("unlimited"),
        )?;
        row(f, "chain hlocks", self.chain_hlocks, Some("unlimited"))?;
        match self.stack_trace_entries_max {
            Some(max) => {
                row(
                    f,
                    "stack-trace entries",
                    self.stack_trace_entries,
                    Some(&max.to_string()),
                )?;
                row(f, "stack-trace bytes used", self.depot_bytes, None)?;
            }
            None => row(f, "depot bytes used", self.depot_bytes, None)?,
        }
        row(f, "number of stack traces", self.stack_traces, None)?;
        row(
            f,
            "number of stack hash chains",
            self.stack_hash_chains,
            None,
        )?;
        row(f, "max locking depth", self.max_held_depth, None)?;
        row(f, "max bfs queue depth", self.max_bfs_queue_depth, None)?;
        row(f, "traces unavailable", self.traces_unavailable, None)?;
        row(f, "findings", self.findings, None)?;
        row(f, "acquisitions", self.acquisitions, None)?;
        row(f, "chain cache hits", self.chain_cache_hits, None)?;
        row(f, "debug_locks", u64::from(self.debug_locks), None)
    }
}
