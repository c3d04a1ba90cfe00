//! The stackdepot integration tests: one binary, a module per topic.
