//! How a validator stores traces and where its findings go.

use std::fmt;
use std::sync::Arc;

use crate::Finding;

/// Which trace store a validator uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum StoreKind {
    /// A growable `stackdepot::StackDepot`. When it cannot store a trace the dependency is kept
    /// without one and validation goes on.
    #[default]
    Depot,
    /// lockdep's fixed `stack_trace[]` array of `2^bits` words
    /// ([`FixedTraceStore`](crate::fixed_store::FixedTraceStore)). When it is full the validator
    /// turns itself off, as lockdep does.
    Fixed {
        /// log2 of the array size in words, lockdep's `CONFIG_LOCKDEP_STACK_TRACE_BITS`
        /// (10..=26; out-of-range values are clamped).
        bits: u32,
    },
}

/// Where findings are delivered, besides being recorded (every finding is always kept and
/// returned by [`Validator::findings`](crate::Validator::findings)).
pub enum Sink {
    /// Only record.
    Collect,
    /// Record and print the report to stderr.
    Stderr,
    /// Record and panic with the report (after the validator released its own locks).
    Panic,
    /// Record and call the function (after the validator released its own locks).
    Callback(Arc<dyn Fn(&Finding) + Send + Sync>),
}

impl fmt::Debug for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sink::Collect => f.write_str("Collect"),
            Sink::Stderr => f.write_str("Stderr"),
            Sink::Panic => f.write_str("Panic"),
            Sink::Callback(_) => f.write_str("Callback(..)"),
        }
    }
}

/// Configuration of a [`Validator`](crate::Validator).
pub struct ValidatorConfig {
    /// The trace store; default [`StoreKind::Depot`].
    pub store: StoreKind,
    /// Where findings go; default [`Sink::Collect`].
    pub sink: Sink,
    /// A depot to share with other users (`StoreKind::Depot` only); `None` creates a private one.
    pub depot: Option<Arc<stackdepot::StackDepot>>,
}

impl Default for ValidatorConfig {
    fn default() -> Self {
        ValidatorConfig {
            store: StoreKind::Depot,
            sink: Sink::Collect,
            depot: None,
        }
    }
}

impl fmt::Debug for ValidatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidatorConfig")
            .field("store", &self.store)
            .field("sink", &self.sink)
            .field("depot", &self.depot.as_ref().map(|_| "StackDepot"))
            .finish()
    }
}
