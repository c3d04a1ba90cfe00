//! Lock wrappers over parking_lot that report to a validator (being written).
