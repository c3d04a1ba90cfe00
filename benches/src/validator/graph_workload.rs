//! Deterministic lock-acquisition programs that grow a validator's graph to a
//! chosen number of classes, dependencies and chains without any cycle.
//!
//! Classes are numbered and always taken in ascending order, so the dependency
//! graph is a DAG (every event is legal and the validator only builds, never
//! reports). A program is a list of *walks*: a thread takes the walk's classes in
//! order, then releases them in reverse. Taking `c2` while holding `…, c1` adds
//! the dependency `c1 -> c2` (lockdep links the new lock to the lock taken just
//! before it), and every prefix of a walk is a lock chain.

use std::collections::HashSet;
use std::hash::{BuildHasher, Hasher};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Target graph size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GraphSpec {
    /// Name in tables.
    pub name: &'static str,
    /// Lock classes.
    pub classes: usize,
    /// Distinct dependencies (edges `a -> b`, `a < b`).
    pub dependencies: usize,
    /// Distinct lock chains (held-lock sequences) at least.
    pub chains: usize,
    /// Seed.
    pub seed: u64,
}

impl GraphSpec {
    /// The full size: 10k classes, 100k dependencies, 1M chains.
    pub const FULL: GraphSpec = GraphSpec {
        name: "10k/100k/1M",
        classes: 10_000,
        dependencies: 100_000,
        chains: 1_000_000,
        seed: 0x6c6b,
    };
    /// A tenth.
    pub const TENTH: GraphSpec = GraphSpec {
        name: "1k/10k/100k",
        classes: 1_000,
        dependencies: 10_000,
        chains: 100_000,
        seed: 0x6c6c,
    };
    /// A hundredth.
    pub const HUNDREDTH: GraphSpec = GraphSpec {
        name: "100/1k/10k",
        classes: 100,
        dependencies: 1_000,
        chains: 10_000,
        seed: 0x6c6d,
    };
    /// The sizes the scale measurement runs, smallest first.
    pub const SCALES: [GraphSpec; 3] = [GraphSpec::HUNDREDTH, GraphSpec::TENTH, GraphSpec::FULL];
}

/// Walks over class indices, stored flat.
#[derive(Clone, Debug, Default)]
pub struct EventProgram {
    /// Classes in the program.
    pub classes: usize,
    /// Distinct dependencies the walks create.
    pub dependencies: usize,
    /// Distinct chains (walk prefixes) the walks create.
    pub chains: usize,
    /// Longest walk.
    pub max_depth: usize,
    walk_classes: Vec<u32>,
    starts: Vec<usize>,
}

/// Most classes one walk holds at once (lockdep allows 48).
const MAX_WALK: usize = 6;
/// How far ahead (in class numbers) a dependency reaches: keeps edges local, as
/// real lock hierarchies are layered.
const SPAN: usize = 256;

impl EventProgram {
    /// Builds a program for `spec`: every planned dependency is walked at least
    /// once, then random walks are added until `spec.chains` distinct chains exist.
    pub fn generate(spec: &GraphSpec) -> EventProgram {
        let mut rng = StdRng::seed_from_u64(spec.seed);
        let c = spec.classes.max(2);
        // The edge set: each class gets outgoing edges to classes a little above it.
        let max_edges: usize = (0..c).map(|a| (c - 1 - a).min(SPAN)).sum();
        let want = spec.dependencies.min(max_edges);
        let mut edges: HashSet<(u32, u32)> = HashSet::with_capacity(want);
        let mut out: Vec<Vec<u32>> = vec![Vec::new(); c];
        while edges.len() < want {
            let a = rng.random_range(0..c - 1);
            let b = a + 1 + rng.random_range(0..(c - 1 - a).min(SPAN));
            if edges.insert((a as u32, b as u32)) {
                out[a].push(b as u32);
            }
        }
        let mut edge_list: Vec<(u32, u32)> = edges.into_iter().collect();
        edge_list.sort_unstable();

        let hasher = std::collections::hash_map::RandomState::new();
        let mut chains: HashSet<u64> = HashSet::with_capacity(spec.chains + spec.chains / 4);
        let mut prog = EventProgram {
            classes: c,
            dependencies: edge_list.len(),
            starts: vec![0],
            ..Default::default()
        };
        let mut walk = Vec::with_capacity(MAX_WALK);
        let push_walk = |walk: &[u32], prog: &mut EventProgram, chains: &mut HashSet<u64>| {
            let mut h = hasher.build_hasher();
            for &class in walk {
                h.write_u32(class);
                chains.insert(h.finish());
            }
            prog.walk_classes.extend_from_slice(walk);
            prog.starts.push(prog.walk_classes.len());
            prog.max_depth = prog.max_depth.max(walk.len());
        };
        let extend = |walk: &mut Vec<u32>, rng: &mut StdRng, target: usize| {
            while walk.len() < target {
                let last = walk[walk.len() - 1] as usize;
                let next = &out[last];
                if next.is_empty() {
                    break;
                }
                walk.push(next[rng.random_range(0..next.len())]);
            }
        };
        for &(a, b) in &edge_list {
            walk.clear();
            walk.extend([a, b]);
            let target = rng.random_range(2..=MAX_WALK);
            extend(&mut walk, &mut rng, target);
            push_walk(&walk, &mut prog, &mut chains);
        }
        let mut stale = 0;
        while chains.len() < spec.chains && stale < 1_000_000 {
            let before = chains.len();
            walk.clear();
            walk.push(rng.random_range(0..c) as u32);
            let target = rng.random_range(2..=MAX_WALK);
            extend(&mut walk, &mut rng, target);
            push_walk(&walk, &mut prog, &mut chains);
            stale = if chains.len() == before { stale + 1 } else { 0 };
        }
        prog.chains = chains.len();
        prog
    }

    /// Number of walks.
    pub fn walks(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// Walk `i`'s classes, outermost first.
    pub fn walk(&self, i: usize) -> &[u32] {
        &self.walk_classes[self.starts[i]..self.starts[i + 1]]
    }

    /// Events one replay issues (an acquire and a release per walk step).
    pub fn events(&self) -> usize {
        2 * self.walk_classes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_reach_their_targets_and_stay_acyclic() {
        let spec = GraphSpec::HUNDREDTH;
        let p = EventProgram::generate(&spec);
        assert_eq!(p.dependencies, spec.dependencies);
        assert!(p.chains >= spec.chains, "{} chains", p.chains);
        assert!(p.max_depth <= MAX_WALK);
        let mut deps = HashSet::new();
        for i in 0..p.walks() {
            let w = p.walk(i);
            assert!(
                w.windows(2).all(|x| x[0] < x[1]),
                "walk {w:?} not ascending"
            );
            deps.extend(w.windows(2).map(|x| (x[0], x[1])));
        }
        assert_eq!(
            deps.len(),
            spec.dependencies,
            "every planned dependency walked, no others"
        );
    }
}
