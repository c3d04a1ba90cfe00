//! The dependency graph over lock classes, guarded by the validator's graph lock.
//!
//! As in lockdep, each class has a forward list (`after`: classes taken while holding it) and a
//! backward list (`before`); one dependency prev -> next is stored once and referenced from
//! both lists. Its `dep` bitmask records which of the four edge types (SR, ER, SN, EN) have
//! been observed. Cycle detection is lockdep's `__bfs` with the strong-path rule (`only_xr`).

use std::collections::VecDeque;

use crate::ClassKey;
use crate::fast_hash::{FastMap, FastSet};
use crate::trace_store::{SaveOutcome, TraceRef, TraceStore};

/// -(SR)->: prev is a reader, next a recursive reader.
pub(crate) const DEP_SR: u8 = 1 << 0;
/// -(ER)->: prev exclusive, next a recursive reader (named for completeness; only tests use it).
#[allow(dead_code)]
pub(crate) const DEP_ER: u8 = 1 << 1;
/// -(SN)->: prev a reader, next non-recursive (W or r).
pub(crate) const DEP_SN: u8 = 1 << 2;
/// -(EN)->: prev exclusive, next non-recursive.
pub(crate) const DEP_EN: u8 = 1 << 3;

/// lockdep's `calc_dep`: bit0 = prev is exclusive, bit1 = next is not a recursive reader.
pub(crate) fn calc_dep(prev_read: u8, next_read: u8) -> u8 {
    1 << (u8::from(prev_read == 0) + (u8::from(next_read != 2) << 1))
}

/// lockdep's `calc_depb` (the backward entry's view of the same dependency).
pub(crate) fn calc_depb(prev_read: u8, next_read: u8) -> u8 {
    1 << (u8::from(next_read != 2) + (u8::from(prev_read == 0) << 1))
}

/// Class usage bits (lockdep's LOCK_USED / LOCK_USED_READ).
pub(crate) const USED: u8 = 1;
pub(crate) const USED_READ: u8 = 2;

pub(crate) struct Class {
    pub(crate) key: ClassKey,
    pub(crate) subclass: u8,
    /// Dependencies where this class is `prev`, in insertion order.
    pub(crate) after: Vec<u32>,
    /// Dependencies where this class is `next`.
    pub(crate) before: Vec<u32>,
    pub(crate) usage: u8,
    /// First-use traces: [USED, USED_READ].
    pub(crate) usage_traces: [TraceRef; 2],
}

pub(crate) struct Dependency {
    pub(crate) prev: u32,
    pub(crate) next: u32,
    pub(crate) dep: u8,
    pub(crate) depb: u8,
    pub(crate) distance: u16,
    /// Where prev was acquired (the held lock), when this dependency was first recorded.
    pub(crate) prev_trace: TraceRef,
    /// Where next was acquired while prev was held.
    pub(crate) next_trace: TraceRef,
}

/// One step of a BFS path: the class reached and the dependency used to reach it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PathStep {
    pub(crate) class: u32,
    pub(crate) via: Option<u32>,
}

struct BfsNode {
    class: u32,
    via: Option<u32>,
    parent: Option<usize>,
    only_xr: bool,
}

pub(crate) struct Graph {
    pub(crate) classes: Vec<Class>,
    class_index: FastMap<(ClassKey, u8), u32>,
    names: FastMap<ClassKey, String>,
    /// Keys sharing one name, in registration order (lockdep's `name_version`).
    name_versions: std::collections::HashMap<String, Vec<ClassKey>>,
    pub(crate) deps: Vec<Dependency>,
    dep_index: FastMap<(u32, u32), u32>,
    pub(crate) store: Box<dyn TraceStore>,
    visited: Vec<u32>,
    generation: u32,
    reported_cycles: FastSet<Vec<u32>>,
    pub(crate) dependency_chains: u64,
    pub(crate) chain_hlocks: u64,
    pub(crate) max_bfs_queue_depth: u64,
    pub(crate) traces_unavailable: u64,
    /// A Fixed store overflowed; the validator must turn itself off.
    pub(crate) store_overflowed: bool,
    /// The one ValidatorDisabled finding was emitted.
    pub(crate) disabled_reported: bool,
}

impl Graph {
    pub(crate) fn new(store: Box<dyn TraceStore>) -> Graph {
        Graph {
            classes: Vec::new(),
            class_index: FastMap::default(),
            names: FastMap::default(),
            name_versions: Default::default(),
            deps: Vec::new(),
            dep_index: FastMap::default(),
            store,
            visited: Vec::new(),
            generation: 0,
            reported_cycles: FastSet::default(),
            dependency_chains: 0,
            chain_hlocks: 0,
            max_bfs_queue_depth: 0,
            traces_unavailable: 0,
            store_overflowed: false,
            disabled_reported: false,
        }
    }

    /// Forgets classes, dependencies, counters and (Fixed) traces; keeps class names, which
    /// describe keys rather than observed behaviour.
    pub(crate) fn reset(&mut self) {
        self.classes.clear();
        self.class_index.clear();
        self.deps.clear();
        self.dep_index.clear();
        self.store.reset();
        self.visited.clear();
        self.reported_cycles.clear();
        self.dependency_chains = 0;
        self.chain_hlocks = 0;
        self.max_bfs_queue_depth = 0;
        self.traces_unavailable = 0;
        self.store_overflowed = false;
        self.disabled_reported = false;
    }

    pub(crate) fn register_name(&mut self, key: ClassKey, name: &str) {
        if self.names.get(&key).map(String::as_str) == Some(name) {
            return;
        }
        self.names.insert(key, name.to_owned());
        let keys = self.name_versions.entry(name.to_owned()).or_default();
        if !keys.contains(&key) {
            keys.push(key);
        }
    }

    /// The class for (key, subclass), created on first use.
    pub(crate) fn class_for(&mut self, key: ClassKey, subclass: u8) -> u32 {
        if let Some(&idx) = self.class_index.get(&(key, subclass)) {
            return idx;
        }
        let idx = self.classes.len() as u32;
        self.classes.push(Class {
            key,
            subclass,
            after: Vec::new(),
            before: Vec::new(),
            usage: 0,
            usage_traces: [TraceRef::None; 2],
        });
        self.visited.push(0);
        self.class_index.insert((key, subclass), idx);
        idx
    }

    /// lockdep's `__print_lock_name`: `name`, `name#V` for the V-th key with that name,
    /// `name/N` for subclass N; unnamed keys print as `class#<hex key>`.
    pub(crate) fn key_name(&self, key: ClassKey, subclass: u8) -> String {
        let mut s = match self.names.get(&key) {
            Some(name) => {
                let version = self
                    .name_versions
                    .get(name)
                    .and_then(|keys| keys.iter().position(|k| *k == key))
                    .unwrap_or(0)
                    + 1;
                if version > 1 {
                    format!("{name}#{version}")
                } else {
                    name.clone()
                }
            }
            None => format!("class#{:x}", key.0),
        };
        if subclass != 0 {
            s.push_str(&format!("/{subclass}"));
        }
        s
    }

    pub(crate) fn class_name(&self, class: u32) -> String {
        match self.classes.get(class as usize) {
            Some(c) => self.key_name(c.key, c.subclass),
            None => format!("<class {class}>"),
        }
    }

    /// lockdep's usage string for a process-context class with "interrupts enabled" (the only
    /// state userspace has): `{+.+.}` written, `{.+.+}` read, `{++++}` both, `{....}` unused.
    pub(crate) fn usage_string(&self, class: u32) -> &'static str {
        let usage = self.classes.get(class as usize).map_or(0, |c| c.usage);
        match (usage & USED != 0, usage & USED_READ != 0) {
            (true, true) => "{++++}",
            (true, false) => "{+.+.}",
            (false, true) => "{.+.+}",
            (false, false) => "{....}",
        }
    }

    /// Saves `frames` into the store. An empty trace is "no trace", not a failure.
    pub(crate) fn save_trace(&mut self, frames: &[usize], captured: bool) -> TraceRef {
        if frames.is_empty() {
            return TraceRef::None;
        }
        if self.store_overflowed {
            return TraceRef::Unavailable;
        }
        match self.store.save(frames) {
            SaveOutcome::Saved(id) => TraceRef::Stored { id, captured },
            SaveOutcome::Unavailable => {
                self.traces_unavailable += 1;
                TraceRef::Unavailable
            }
            SaveOutcome::Overflow => {
                self.store_overflowed = true;
                TraceRef::Unavailable
            }
        }
    }

    pub(crate) fn fetch(&self, r: TraceRef) -> Option<&[usize]> {
        match r {
            TraceRef::Stored { id, .. } => self.store.fetch(id),
            _ => None,
        }
    }

    pub(crate) fn find_dep(&self, prev: u32, next: u32) -> Option<u32> {
        self.dep_index.get(&(prev, next)).copied()
    }

    /// Adds a new dependency (the caller checked it does not exist).
    pub(crate) fn add_dep(&mut self, d: Dependency) -> u32 {
        let idx = self.deps.len() as u32;
        let (prev, next) = (d.prev, d.next);
        self.deps.push(d);
        self.dep_index.insert((prev, next), idx);
        if let Some(c) = self.classes.get_mut(prev as usize) {
            c.after.push(idx);
        }
        if let Some(c) = self.classes.get_mut(next as usize) {
            c.before.push(idx);
        }
        idx
    }

    /// lockdep's `check_noncircular` search: BFS forwards from `next` for `prev` over strong
    /// paths, matching with `hlock_conflict`. Returns the path from `next` (first) to `prev`
    /// (last), each step with the dependency that reached it.
    ///
    /// Faithful to `__bfs`: a class is marked visited when first dequeued, before the
    /// strong-path test, so it is expanded at most once per search.
    pub(crate) fn find_conflict(
        &mut self,
        next: u32,
        next_read: u8,
        prev: u32,
        prev_read: u8,
    ) -> Option<Vec<PathStep>> {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.visited.iter_mut().for_each(|v| *v = 0);
            self.generation = 1;
        }
        let generation = self.generation;
        let matches = |class: u32, only_xr: bool| class == prev && (prev_read == 0 || !only_xr);

        let mut nodes: Vec<BfsNode> = Vec::new();
        let mut queue: VecDeque<usize> = VecDeque::new();
        // The root: `next` itself (bfs_init_root: only_xr = next is a recursive reader).
        let root_only_xr = next_read == 2;
        *self.visited.get_mut(next as usize)? = generation;
        nodes.push(BfsNode {
            class: next,
            via: None,
            parent: None,
            only_xr: root_only_xr,
        });
        if matches(next, root_only_xr) {
            return Some(self.path_to(&nodes, 0));
        }
        queue.push_back(0);
        // Like lockdep's __cq_enqueue accounting, the root counts.
        self.max_bfs_queue_depth = self.max_bfs_queue_depth.max(queue.len() as u64);

        while let Some(parent) = queue.pop_front() {
            let parent_class = nodes[parent].class;
            let parent_only_xr = nodes[parent].only_xr;
            let n_after = self.classes[parent_class as usize].after.len();
            for i in 0..n_after {
                let dep_idx = self.classes[parent_class as usize].after[i];
                let d = &self.deps[dep_idx as usize];
                let target = d.next;
                let mut dep = d.dep;
                let visited = &mut self.visited[target as usize];
                if *visited == generation {
                    continue;
                }
                *visited = generation;
                if parent_only_xr {
                    dep &= !(DEP_SR | DEP_SN);
                }
                if dep == 0 {
                    continue;
                }
                let only_xr = dep & (DEP_SN | DEP_EN) == 0;
                nodes.push(BfsNode {
                    class: target,
                    via: Some(dep_idx),
                    parent: Some(parent),
                    only_xr,
                });
                let node = nodes.len() - 1;
                if matches(target, only_xr) {
                    return Some(self.path_to(&nodes, node));
                }
                if !self.classes[target as usize].after.is_empty() {
                    queue.push_back(node);
                    self.max_bfs_queue_depth = self.max_bfs_queue_depth.max(queue.len() as u64);
                }
            }
        }
        None
    }

    fn path_to(&self, nodes: &[BfsNode], mut at: usize) -> Vec<PathStep> {
        let mut path = Vec::new();
        loop {
            let n = &nodes[at];
            path.push(PathStep {
                class: n.class,
                via: n.via,
            });
            match n.parent {
                Some(p) => at = p,
                None => break,
            }
        }
        path.reverse();
        path
    }

    /// Records a cycle signature (class sequence, rotated to start at its smallest class);
    /// returns false if that cycle was reported before.
    pub(crate) fn first_report_of_cycle(&mut self, classes: &[u32]) -> bool {
        let Some(min_pos) = classes
            .iter()
            .enumerate()
            .min_by_key(|(_, c)| **c)
            .map(|(i, _)| i)
        else {
            return true;
        };
        let mut sig = Vec::with_capacity(classes.len());
        sig.extend_from_slice(&classes[min_pos..]);
        sig.extend_from_slice(&classes[..min_pos]);
        self.reported_cycles.insert(sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace_store::FixedStore;

    fn graph() -> Graph {
        Graph::new(Box::new(FixedStore::new(12)))
    }

    fn edge(g: &mut Graph, prev: u32, next: u32, prev_read: u8, next_read: u8) {
        match g.find_dep(prev, next) {
            Some(i) => g.deps[i as usize].dep |= calc_dep(prev_read, next_read),
            None => {
                g.add_dep(Dependency {
                    prev,
                    next,
                    dep: calc_dep(prev_read, next_read),
                    depb: calc_depb(prev_read, next_read),
                    distance: 1,
                    prev_trace: TraceRef::None,
                    next_trace: TraceRef::None,
                });
            }
        }
    }

    #[test]
    fn dep_bits_match_lockdep() {
        assert_eq!(calc_dep(1, 2), DEP_SR);
        assert_eq!(calc_dep(0, 2), DEP_ER);
        assert_eq!(calc_dep(2, 1), DEP_SN);
        assert_eq!(calc_dep(0, 0), DEP_EN);
        assert_eq!(calc_depb(0, 0), DEP_EN);
        assert_eq!(calc_depb(2, 0), DEP_ER);
    }

    #[test]
    fn finds_shortest_path_and_respects_strong_rule() {
        let mut g = graph();
        let (a, b, c) = (
            g.class_for(ClassKey(1), 0),
            g.class_for(ClassKey(2), 0),
            g.class_for(ClassKey(3), 0),
        );
        // A -W-> B -W-> C and A -W-> C: adding C -> A finds A..C, shortest is A -> C.
        edge(&mut g, a, b, 0, 0);
        edge(&mut g, b, c, 0, 0);
        edge(&mut g, a, c, 0, 0);
        let path = g.find_conflict(a, 0, c, 0).unwrap();
        assert_eq!(path.iter().map(|s| s.class).collect::<Vec<_>>(), vec![a, c]);
        // All-R cycle is not strong: X -(SR)-> Y; adding Y(R held) -> X(R): no conflict.
        let mut g = graph();
        let (x, y) = (g.class_for(ClassKey(1), 0), g.class_for(ClassKey(2), 0));
        edge(&mut g, x, y, 2, 2);
        assert!(g.find_conflict(x, 2, y, 2).is_none());
        // Y held as W then X taken as R: -(ER)-> after -(SR)-> is still not strong...
        assert!(g.find_conflict(x, 2, y, 0).is_none());
        // ...but X taken as W makes the new edge -(EN)->: X -(SR)-> Y -(EN)-> X is strong.
        assert!(g.find_conflict(x, 0, y, 0).is_some());
        // -(*R)-> followed by -(S*)-> is not strong: X -(ER)-> Y -(SN)-> Z, search for Z.
        let mut g = graph();
        let (x, y, z) = (
            g.class_for(ClassKey(1), 0),
            g.class_for(ClassKey(2), 0),
            g.class_for(ClassKey(3), 0),
        );
        edge(&mut g, x, y, 0, 2);
        edge(&mut g, y, z, 2, 0);
        assert!(g.find_conflict(x, 0, z, 1).is_none());
        // With an EN edge out of Y as well (Y held as W at some point) it is strong.
        edge(&mut g, y, z, 0, 0);
        assert!(g.find_conflict(x, 0, z, 1).is_some());
    }

    #[test]
    fn cycle_signatures_are_rotation_invariant() {
        let mut g = graph();
        assert!(g.first_report_of_cycle(&[3, 1, 2]));
        assert!(!g.first_report_of_cycle(&[1, 2, 3]));
        assert!(!g.first_report_of_cycle(&[2, 3, 1]));
        assert!(g.first_report_of_cycle(&[1, 3, 2]));
    }

    #[test]
    fn names_versions_and_subclasses() {
        let mut g = graph();
        g.register_name(ClassKey(10), "lock");
        g.register_name(ClassKey(11), "lock");
        assert_eq!(g.key_name(ClassKey(10), 0), "lock");
        assert_eq!(g.key_name(ClassKey(11), 0), "lock#2");
        assert_eq!(g.key_name(ClassKey(10), 1), "lock/1");
        assert_eq!(g.key_name(ClassKey(0xab), 0), "class#ab");
    }
}
