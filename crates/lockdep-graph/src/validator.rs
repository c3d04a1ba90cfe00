//! The validator (interim surface; the engine is being written).

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;

use crate::{
    AcquireOpts, ClassKey, Finding, LockInstance, Mode, Sink, StoreKind, ThreadKey, Trace,
    ValidatorConfig, ValidatorStats,
};

/// The lock-dependency validator. `Send + Sync`; one per scope (see [`Validator::global`]).
pub struct Validator {
    store: StoreKind,
    depot: Option<Arc<stackdepot::StackDepot>>,
    enabled: AtomicBool,
    findings: Mutex<Vec<Finding>>,
    _sink: Sink,
}

impl Validator {
    /// A validator with its own empty graph.
    pub fn new(config: ValidatorConfig) -> Validator {
        let depot = match config.store {
            StoreKind::Depot => Some(
                config
                    .depot
                    .unwrap_or_else(|| Arc::new(stackdepot::StackDepot::new())),
            ),
            StoreKind::Fixed { .. } => None,
        };
        Validator {
            store: config.store,
            depot,
            enabled: AtomicBool::new(true),
            findings: Mutex::new(Vec::new()),
            _sink: config.sink,
        }
    }

    /// The process-wide validator (Depot store, Stderr sink), created on first use.
    pub fn global() -> &'static Validator {
        static GLOBAL: OnceLock<Validator> = OnceLock::new();
        GLOBAL.get_or_init(|| {
            Validator::new(ValidatorConfig {
                sink: Sink::Stderr,
                ..ValidatorConfig::default()
            })
        })
    }

    /// Names a class (idempotent; the last name wins).
    pub fn register_class(&self, _key: ClassKey, _name: &str) {}
    /// Names a thread for reports.
    pub fn set_thread_name(&self, _thread: ThreadKey, _name: &str) {}
    /// A lock was acquired.
    pub fn acquire(
        &self,
        _thread: ThreadKey,
        _lock: LockInstance,
        _mode: Mode,
        _opts: AcquireOpts,
        _trace: Trace<'_>,
    ) {
    }
    /// A lock was released.
    pub fn release(&self, _thread: ThreadKey, _lock: LockInstance, _trace: Trace<'_>) {}
    /// A lock is (re)initialised.
    pub fn init(&self, _thread: ThreadKey, _lock: LockInstance, _trace: Trace<'_>) {}
    /// A lock's memory goes away.
    pub fn drop_lock(&self, _thread: ThreadKey, _lock: LockInstance, _trace: Trace<'_>) {}
    /// A thread ends.
    pub fn thread_exit(&self, _thread: ThreadKey, _trace: Trace<'_>) {}
    /// Turns event processing on or off.
    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
    }
    /// Whether events are processed.
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }
    /// Whether validation is still on.
    pub fn is_validating(&self) -> bool {
        true
    }
    /// Forgets everything.
    pub fn reset(&self) {
        self.findings.lock().clear();
    }
    /// All findings so far.
    pub fn findings(&self) -> Vec<Finding> {
        self.findings.lock().clone()
    }
    /// Takes all findings.
    pub fn take_findings(&self) -> Vec<Finding> {
        std::mem::take(&mut *self.findings.lock())
    }
    /// Number of findings.
    pub fn finding_count(&self) -> usize {
        self.findings.lock().len()
    }
    /// Counters.
    pub fn stats(&self) -> ValidatorStats {
        ValidatorStats {
            debug_locks: true,
            ..ValidatorStats::default()
        }
    }
    /// The store kind.
    pub fn store_kind(&self) -> StoreKind {
        self.store
    }
    /// The depot, for `StoreKind::Depot`.
    pub fn depot(&self) -> Option<&Arc<stackdepot::StackDepot>> {
        self.depot.as_ref()
    }
}
