//! The benches package's one integration-test binary: a module per topic.

mod report;
mod stores;
