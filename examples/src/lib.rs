//! Examples and workloads for `stackdepot` and `lockdep-graph`.
//!
//! - [`compare`]: the scenario through validators with different trace stores, side by side;
//! - [`scenario`]: a seeded generator of the lockdep event stream of the desktop session that
//!   overflowed lockdep's 2^19-word stack-trace array in the March 2026 RFC;
//! - [`sdw1`]: the SDW1 trace-workload file format (reader, writer, builder);
//! - [`workload`]: SDW1 workloads for the depot benches (RFC size, KASAN-like) and from the scenario.

pub mod compare;
pub mod scenario;
pub mod sdw1;
pub mod workload;
