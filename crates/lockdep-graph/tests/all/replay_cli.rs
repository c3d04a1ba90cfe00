//! Tests: replay_cli (being written).
