//! Tests: conformance (being written).
