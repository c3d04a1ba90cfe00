//! The stackdepot integration tests: one binary, a module per topic.
//!
//! Every test is written against the documented behaviour of the public API.

mod alloc_free;
mod background;
mod caller_bits;
mod capture_and_print;
mod config_errors;
mod dedup;
mod edge;
mod fetch;
mod forged_handles;
mod layout;
mod llvm_cases;
mod memory_cap;
mod model;
mod no_wait;
#[cfg(target_os = "linux")]
mod review_populator;
mod stats;
mod stress;
mod support;
