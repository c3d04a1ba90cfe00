//! Runs the scenario through several validators that differ only in their trace store (the
//! kernel's fixed arrays and the growable depot) and collects what each saw: the logic of the
//! `fixed_vs_growable` demo, as a library so tests can run it at small scale.

mod rfc;
mod run;
mod table;

pub use rfc::{RFC, RfcFigures};
pub use run::{
    CompareConfig, Comparison, DEFAULT_BITS, Death, RFC_BITS, StoreRun, TraceMemory,
    fixed_bits_for_scale, run,
};
pub use table::{side_by_side, thousands};
