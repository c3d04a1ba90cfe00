//! A lockdep-faithful lock-dependency validator whose stored traces are stackdepot handles.
//!
//! (Crate documentation is being written.)

pub mod replay;
pub mod wrappers;
