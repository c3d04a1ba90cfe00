//! Tests: wrappers (being written).
