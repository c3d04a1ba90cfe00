//! Deterministic lock-acquisition programs that grow a validator's graph to a
//! chosen number of classes, dependencies and chains without any cycle.
//!
//! Classes are numbered and always taken in ascending order, so the dependency
//! graph is a DAG (every event is legal and the validator only builds, never
//! reports).
//!
//! Two shapes ([`Shape`]). *Clustered* is how real graphs grow: more subsystems,
//! each a hierarchy of ~100 classes, all of them ending in a few shared core
//! classes (allocator-like locks taken innermost); what a new dependency's
//! cycle search can reach stays bounded as the graph grows. *Dense* is one
//! layered hierarchy where every class reaches almost every class above it, the
//! worst case for lockdep's breadth-first cycle search (which visits everything
//! reachable from the new lock for each new dependency). A program is a list of *walks*: a thread takes the walk's classes in
//! order, then releases them in reverse. Taking `c2` while holding `…, c1` adds
//! the dependency `c1 -> c2` (lockdep links the new lock to the lock taken just
//! before it), and every prefix of a walk is a lock chain.

use std::collections::HashSet;
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher, Hasher};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// How dependencies are laid out (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// Subsystems of [`CLUSTER`] classes plus [`CORE`] shared innermost classes.
    Clustered,
    /// One layered hierarchy; each class depends on classes up to `SPAN` above it.
    Dense,
}

/// Classes per subsystem in the clustered shape.
pub const CLUSTER: usize = 100;
/// Shared innermost classes in the clustered shape.
pub const CORE: usize = 16;

/// Target graph size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GraphSpec {
    /// Name in tables.
    pub name: &'static str,
    /// Layout of the dependencies.
    pub shape: Shape,
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
    /// The full size: 10k classes, 100k dependencies, 1M chains (clustered).
    pub const FULL: GraphSpec = GraphSpec::clustered("10k/100k/1M", 10_000, 0x6c6b);
    /// A tenth (clustered).
    pub const TENTH: GraphSpec = GraphSpec::clustered("1k/10k/100k", 1_000, 0x6c6c);
    /// A hundredth (clustered: a single subsystem plus the core).
    pub const HUNDREDTH: GraphSpec = GraphSpec::clustered("100/1k/10k", 100, 0x6c6d);
    /// The clustered sizes the scale measurement runs, smallest first.
    pub const SCALES: [GraphSpec; 3] = [GraphSpec::HUNDREDTH, GraphSpec::TENTH, GraphSpec::FULL];
    /// The dense shape at a hundredth and a tenth (the full size takes minutes:
    /// see the module docs).
    pub const DENSE_SCALES: [GraphSpec; 2] = [
        GraphSpec {
            shape: Shape::Dense,
            name: "dense 100/1k/10k",
            ..GraphSpec::HUNDREDTH
        },
        GraphSpec {
            shape: Shape::Dense,
            name: "dense 1k/10k/100k",
            ..GraphSpec::TENTH
        },
    ];

    /// The graphs a report measures up to the largest size named `largest`
    /// (`full`, `tenth` or `hundredth`): the clustered sizes up to it, then the
    /// dense shape at as many of its two sizes (its full-size build takes
    /// minutes). An unknown name is an error naming the choices.
    pub fn scales_up_to(largest: &str) -> Result<Vec<GraphSpec>, String> {
        let mut scales: Vec<GraphSpec> = match largest {
            "full" => GraphSpec::SCALES.to_vec(),
            "tenth" => GraphSpec::SCALES[..2].to_vec(),
            "hundredth" => GraphSpec::SCALES[..1].to_vec(),
            other => {
                return Err(format!(
                    "unknown validator scale {other:?} (full, tenth, hundredth)"
                ));
            }
        };
        let dense = GraphSpec::DENSE_SCALES.len().min(scales.len());
        scales.extend_from_slice(&GraphSpec::DENSE_SCALES[..dense]);
        Ok(scales)
    }

    /// `classes` classes with 10 dependencies and 100 chains per class.
    const fn clustered(name: &'static str, classes: usize, seed: u64) -> GraphSpec {
        GraphSpec {
            name,
            shape: Shape::Clustered,
            classes,
            dependencies: classes * 10,
            chains: classes * 100,
            seed,
        }
    }
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
        let layout = Layout::new(spec.shape, c);
        let want = spec.dependencies.min(layout.max_edges());
        let mut edges: HashSet<(u32, u32)> = HashSet::with_capacity(want);
        let mut out: Vec<Vec<u32>> = vec![Vec::new(); c];
        while edges.len() < want {
            let (a, b) = layout.random_edge(&mut rng);
            if edges.insert((a as u32, b as u32)) {
                out[a].push(b as u32);
            }
        }
        let mut edge_list: Vec<(u32, u32)> = edges.into_iter().collect();
        edge_list.sort_unstable();

        // A fixed-key hasher: the chain count (and so the program) is deterministic.
        let hasher = BuildHasherDefault::<DefaultHasher>::default();
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

/// Where edges may go, per shape.
struct Layout {
    shape: Shape,
    classes: usize,
    /// Clustered: classes `0..first_core` are subsystems, the rest the core.
    first_core: usize,
}

impl Layout {
    fn new(shape: Shape, classes: usize) -> Layout {
        let first_core = match shape {
            // Keep at least two subsystem classes so there is an edge to draw.
            Shape::Clustered => classes.saturating_sub(CORE).max(2).min(classes),
            Shape::Dense => classes,
        };
        Layout {
            shape,
            classes,
            first_core,
        }
    }

    /// The subsystem of class `a` as a range of classes.
    fn cluster_of(&self, a: usize) -> (usize, usize) {
        let lo = a / CLUSTER * CLUSTER;
        (lo, (lo + CLUSTER).min(self.first_core))
    }

    /// Edges `a -> b` allowed from `a`, in-cluster (ascending, within `SPAN`) and to the core.
    fn out_degree_max(&self, a: usize) -> usize {
        match self.shape {
            Shape::Dense => (self.classes - 1 - a).min(SPAN),
            Shape::Clustered if a >= self.first_core => 0,
            Shape::Clustered => {
                let (_, hi) = self.cluster_of(a);
                (hi - 1 - a).min(SPAN) + (self.classes - self.first_core)
            }
        }
    }

    fn max_edges(&self) -> usize {
        (0..self.classes).map(|a| self.out_degree_max(a)).sum()
    }

    /// A random allowed edge (possibly one already drawn).
    fn random_edge(&self, rng: &mut StdRng) -> (usize, usize) {
        loop {
            match self.shape {
                Shape::Dense => {
                    let a = rng.random_range(0..self.classes - 1);
                    return (
                        a,
                        a + 1 + rng.random_range(0..(self.classes - 1 - a).min(SPAN)),
                    );
                }
                Shape::Clustered => {
                    let a = rng.random_range(0..self.first_core);
                    let (_, hi) = self.cluster_of(a);
                    let in_cluster = (hi - 1 - a).min(SPAN);
                    let core = self.classes - self.first_core;
                    // One edge in ten goes to the core (when there is one).
                    if core > 0 && (in_cluster == 0 || rng.random_range(0..10) == 0) {
                        return (a, self.first_core + rng.random_range(0..core));
                    }
                    if in_cluster > 0 {
                        return (a, a + 1 + rng.random_range(0..in_cluster));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clustered_edges_stay_in_their_subsystem_or_go_to_the_core() {
        let spec = GraphSpec {
            classes: 1_000,
            dependencies: 10_000,
            chains: 20_000,
            ..GraphSpec::TENTH
        };
        let p = EventProgram::generate(&spec);
        let first_core = 1_000 - CORE;
        for i in 0..p.walks() {
            for x in p.walk(i).windows(2) {
                let (a, b) = (x[0] as usize, x[1] as usize);
                assert!(a < first_core, "core class {a} has an outgoing edge");
                assert!(
                    b >= first_core || a / CLUSTER == b / CLUSTER,
                    "edge {a} -> {b} crosses subsystems"
                );
            }
        }
    }

    #[test]
    fn scale_names_pick_the_clustered_sizes_and_at_most_two_dense_ones() {
        let names = |largest: &str| -> Vec<&str> {
            GraphSpec::scales_up_to(largest)
                .unwrap()
                .iter()
                .map(|s| s.name)
                .collect()
        };
        assert_eq!(
            names("full"),
            [
                "100/1k/10k",
                "1k/10k/100k",
                "10k/100k/1M",
                "dense 100/1k/10k",
                "dense 1k/10k/100k"
            ]
        );
        assert_eq!(
            names("tenth"),
            [
                "100/1k/10k",
                "1k/10k/100k",
                "dense 100/1k/10k",
                "dense 1k/10k/100k"
            ]
        );
        assert_eq!(names("hundredth"), ["100/1k/10k", "dense 100/1k/10k"]);
        let err = GraphSpec::scales_up_to("half").unwrap_err();
        assert!(
            err.contains("\"half\"") && err.contains("hundredth"),
            "{err}"
        );
    }

    #[test]
    fn programs_reach_their_targets_and_stay_acyclic() {
        for spec in [GraphSpec::HUNDREDTH, GraphSpec::DENSE_SCALES[0]] {
            check_program(&spec);
        }
    }

    fn check_program(spec: &GraphSpec) {
        let spec = *spec;
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
