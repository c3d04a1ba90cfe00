//! The figures of the March 2026 RFC's /proc/lockdep_stats at the overflow, the reference the
//! scenario is calibrated against.

/// /proc/lockdep_stats as reported when "BUG: MAX_STACK_TRACE_ENTRIES too low!" fired.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct RfcFigures {
    /// `stack-trace entries` (the whole 2^19 array, 3-word headers included).
    pub stack_trace_entries: u64,
    /// `number of stack traces`.
    pub stack_traces: u64,
    /// Frames per trace implied by the two figures above.
    pub mean_frames: f64,
    /// `number of stack hash chains` (non-empty buckets of 16384).
    pub stack_hash_chains: u64,
    /// `lock-classes`.
    pub lock_classes: u64,
    /// `direct dependencies`.
    pub direct_dependencies: u64,
    /// `dependency chains`.
    pub dependency_chains: u64,
    /// Hours into the session at which the three reported overflows happened.
    pub overflow_hours: [f32; 3],
}

/// The RFC's figures.
pub const RFC: RfcFigures = RfcFigures {
    stack_trace_entries: 524_288,
    stack_traces: 22_080,
    mean_frames: 524_288.0 / 22_080.0 - 3.0,
    stack_hash_chains: 12_131,
    lock_classes: 2_811,
    direct_dependencies: 45_270,
    dependency_chains: 164_665,
    overflow_hours: [9.5, 14.5, 22.6],
};
