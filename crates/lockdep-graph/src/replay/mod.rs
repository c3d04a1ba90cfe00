//! Replay of lock-event logs (being written).
