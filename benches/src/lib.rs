//! Benchmarks of `stackdepot` against the stores a user would otherwise write.
//!
//! * [`stores`]: the depot and the baselines behind one [`TraceStore`] trait.
//! * [`workload`]: deterministic synthetic traces at the RFC's and a KASAN-like size.
//! * [`measure`]: the timed loops, shared by the criterion bench (`benches/bench.rs`)
//!   and the `depot-report` binary.
//! * [`alloc_size`]: how the baselines' memory is estimated.
//! * [`calibration`]: the machine's own 1- to N-thread scaling ceiling, measured
//!   beside the stores so a store's limit can be told from the machine's.

pub mod alloc_size;
pub mod calibration;
pub mod fixture;
pub mod measure;
pub mod report;
pub mod report_md;
pub mod stores;
pub mod validator;
pub mod workload;

pub use stores::{AnyStore, StoreKind, TraceStore};
pub use workload::{SizeSpec, TraceSet};
