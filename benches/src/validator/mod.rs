//! Benchmarks of the lock validator (`lockdep_graph`): the per-acquisition
//! overhead of a wrapped mutex against a bare `parking_lot::Mutex` (and
//! `tracing-mutex`), the new-dependency path, and how event throughput holds up
//! as the graph grows to 10k classes, 100k dependencies and 1M chains.

mod graph_workload;
mod locks;
mod scale;

pub use graph_workload::{CLUSTER, CORE, EventProgram, GraphSpec, Shape};
pub use locks::{
    BareMutex, BenchMutex, LockdepMutex, TracingMutex, leak_validator, nested_ops, single_ops,
};
pub use scale::{NewDependencyBench, ScaleFigures, replay_program};
