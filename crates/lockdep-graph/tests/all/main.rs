//! The lockdep-graph integration tests: one binary, a module per topic.

mod conformance;
mod engine;
mod random_logs;
mod replay_cli;
mod wrappers;
