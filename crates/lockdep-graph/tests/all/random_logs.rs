//! Tests: random_logs (being written).
