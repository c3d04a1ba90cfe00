//! The planted ABBA inversion: two classes no other code path uses, taken in one order by a
//! kworker and in the other by a user thread, both after the 2^19-word array has died. A
//! validator that is still running must report it; one that has switched itself off cannot.

use std::sync::Arc;

use lockdep_graph::{AcquireOpts, ClassKey, Finding, FindingKind, LockInstance, Mode};

use super::callgraph::{CallGraph, EntryKind};
use super::event::EventKind;
use super::sampling::Rng;
use super::threads::ThreadInfo;

/// How many simulated hours before the end of the stream the first order is taken.
const FORWARD_HOURS_BEFORE_END: f64 = 1.0;
/// ... and the reverse order.
const REVERSE_HOURS_BEFORE_END: f64 = 0.5;

/// One of the two planted classes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PlantedClass {
    /// Its name as lockdep prints it.
    pub name: String,
    /// Its key (`ClassKey::from_name(name)`).
    #[serde(skip)]
    pub key: ClassKey,
}

/// Where and when the inversion is planted.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PlantedInversion {
    /// Taken first by `forward_thread`, second by `reverse_thread`.
    pub first: PlantedClass,
    /// Taken second by `forward_thread`, first by `reverse_thread`.
    pub second: PlantedClass,
    /// The thread that takes `first` then `second`.
    #[serde(skip)]
    pub forward_thread: ThreadInfo,
    /// The thread that takes `second` then `first`: its second acquisition closes the cycle.
    #[serde(skip)]
    pub reverse_thread: ThreadInfo,
    /// Stream position from which the forward order is scheduled.
    pub forward_event: u64,
    /// Stream position from which the reverse order is scheduled.
    pub reverse_event: u64,
    /// Simulated hour of `forward_event`.
    pub forward_hour: f32,
    /// Simulated hour of `reverse_event`.
    pub reverse_hour: f32,
}

impl PlantedInversion {
    pub(crate) fn new(total_hours: f64, events_per_hour: f64) -> PlantedInversion {
        let class = |name: &str| PlantedClass {
            name: name.to_string(),
            key: ClassKey::from_name(name),
        };
        let fh = (total_hours - FORWARD_HOURS_BEFORE_END).max(0.0);
        let rh = (total_hours - REVERSE_HOURS_BEFORE_END).max(fh);
        PlantedInversion {
            first: class("&adev->reset_domain->sem"),
            second: class("&vm->eviction_lock"),
            forward_thread: ThreadInfo {
                key: 39_001,
                name: "kworker/u64:31".to_string(),
            },
            reverse_thread: ThreadInfo {
                key: 2_230,
                name: "gnome-shell".to_string(),
            },
            forward_event: (fh * events_per_hour).round() as u64,
            reverse_event: (rh * events_per_hour).round() as u64,
            forward_hour: fh as f32,
            reverse_hour: rh as f32,
        }
    }

    /// Whether `findings` contain a circular-dependency report naming both planted classes.
    pub fn is_reported_in(&self, findings: &[Finding]) -> bool {
        self.report_in(findings).is_some()
    }

    /// The circular-dependency finding naming both planted classes, if any.
    pub fn report_in<'f>(&self, findings: &'f [Finding]) -> Option<&'f Finding> {
        findings.iter().find(|f| {
            f.kind == FindingKind::CircularDependency
                && f.locks.iter().any(|l| l == &self.first.name)
                && f.locks.iter().any(|l| l == &self.second.name)
        })
    }

    /// The forward thread's events: a GPU-reset worker takes the reset semaphore, then the
    /// eviction lock.
    pub(crate) fn forward_script(&self, graph: &CallGraph, rng: &mut Rng) -> Vec<EventKind> {
        self.script(graph, rng, EntryKind::Worker, [&self.first, &self.second])
    }

    /// The reverse thread's events: an ioctl path takes the eviction lock, then the reset
    /// semaphore.
    pub(crate) fn reverse_script(&self, graph: &CallGraph, rng: &mut Rng) -> Vec<EventKind> {
        self.script(graph, rng, EntryKind::Syscall, [&self.second, &self.first])
    }

    fn script(
        &self,
        graph: &CallGraph,
        rng: &mut Rng,
        kind: EntryKind,
        order: [&PlantedClass; 2],
    ) -> Vec<EventKind> {
        let (_, entry) = graph.pick_entry(kind, rng);
        let mut spine = entry.to_vec();
        let base = spine.len();
        graph.walk(&mut spine, 14, rng);
        let mut out = Vec::with_capacity(4);
        let locks = order.map(|c| LockInstance {
            class: c.key,
            id: c.key.0 ^ 1,
        });
        for (i, lock) in locks.iter().enumerate() {
            let mut path = spine[..(base + 8 + 3 * i).min(spine.len())].to_vec();
            path.push(graph.primitive(super::lock_kind::LockKind::Mutex, false, rng));
            let frames: Arc<[usize]> = graph.trace(&path).into();
            out.push(EventKind::Acquire {
                lock: *lock,
                mode: Mode::Write,
                opts: AcquireOpts::default(),
                frames,
            });
        }
        for lock in locks.iter().rev() {
            out.push(EventKind::Release { lock: *lock });
        }
        out
    }
}
