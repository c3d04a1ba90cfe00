//! Event-API measurements: the new-dependency path and throughput at growing
//! graph sizes.

use std::time::{Duration, Instant};

use lockdep_graph::{
    AcquireOpts, ClassKey, LockInstance, Mode, ThreadKey, Trace, Validator, ValidatorConfig,
};
use serde::Serialize;

use super::{EventProgram, GraphSpec};
use crate::workload::{SizeSpec, TraceSet};

const THREAD: ThreadKey = 1;

/// Class keys and acquisition-site stacks for `n` classes.
struct Classes {
    keys: Vec<ClassKey>,
    sites: TraceSet,
}

impl Classes {
    fn new(n: usize, seed: u64) -> Classes {
        let keys = (0..n)
            .map(|i| ClassKey(0x6c6f_636b_0000_0000 | i as u64))
            .collect();
        let sites = SizeSpec {
            name: "sites",
            traces: n.max(1),
            mean_frames: 16,
            spread: 6,
            stream_saves: 0,
            seed,
        }
        .generate();
        Classes { keys, sites }
    }

    fn register(&self, v: &Validator) {
        for (i, &k) in self.keys.iter().enumerate() {
            v.register_class(k, &format!("class_{i}"));
        }
    }

    #[inline]
    fn acquire(&self, v: &Validator, class: usize) {
        let lock = LockInstance {
            class: self.keys[class],
            id: class as u64,
        };
        v.acquire(
            THREAD,
            lock,
            Mode::Write,
            AcquireOpts::default(),
            Trace::Frames(self.sites.get(class)),
        );
    }

    #[inline]
    fn release(&self, v: &Validator, class: usize) {
        let lock = LockInstance {
            class: self.keys[class],
            id: class as u64,
        };
        v.release(THREAD, lock, Trace::None);
    }
}

/// Replays every walk of `program` on one thread: acquire the walk's classes in
/// order, release them in reverse.
pub fn replay_program(v: &Validator, program: &EventProgram, keys: &[ClassKey], sites: &TraceSet) {
    let classes = Classes {
        keys: keys.to_vec(),
        sites: sites.clone(),
    };
    replay(v, program, &classes);
}

#[inline(never)]
fn replay(v: &Validator, program: &EventProgram, classes: &Classes) {
    for i in 0..program.walks() {
        let walk = program.walk(i);
        for &c in walk {
            classes.acquire(v, c as usize);
        }
        for &c in walk.iter().rev() {
            classes.release(v, c as usize);
        }
    }
}

/// Throughput at one graph size.
#[derive(Clone, Debug, Serialize)]
pub struct ScaleFigures {
    /// Size name ("10k/100k/1M").
    pub size: String,
    /// Graph shape.
    pub shape: super::Shape,
    /// Classes, dependencies and chains the program creates.
    pub classes: usize,
    /// Dependencies planned.
    pub dependencies: usize,
    /// Chains planned.
    pub chains: usize,
    /// Events per replay.
    pub events: usize,
    /// Million events per second building the graph from empty (first replay).
    pub cold_mevents_per_s: f64,
    /// Million events per second replaying again (every chain cached).
    pub warm_mevents_per_s: f64,
    /// The validator's own counts after the first replay.
    pub validator_classes: u64,
    /// Dependencies the validator recorded.
    pub validator_dependencies: u64,
    /// Chains the validator recorded.
    pub validator_chains: u64,
    /// Findings (must be 0: the programs are acyclic).
    pub findings: usize,
}

impl ScaleFigures {
    /// Generates `spec`'s program and replays it twice into a fresh validator.
    pub fn measure(spec: &GraphSpec) -> ScaleFigures {
        let program = EventProgram::generate(spec);
        let classes = Classes::new(program.classes, spec.seed);
        let v = Validator::new(ValidatorConfig::default());
        classes.register(&v);
        let t0 = Instant::now();
        replay(&v, &program, &classes);
        let cold = t0.elapsed();
        let stats = v.stats();
        let t0 = Instant::now();
        replay(&v, &program, &classes);
        let warm = t0.elapsed();
        let mevents = |t: Duration| program.events() as f64 / t.as_secs_f64() / 1e6;
        ScaleFigures {
            size: spec.name.to_string(),
            shape: spec.shape,
            classes: program.classes,
            dependencies: program.dependencies,
            chains: program.chains,
            events: program.events(),
            cold_mevents_per_s: mevents(cold),
            warm_mevents_per_s: mevents(warm),
            validator_classes: stats.lock_classes,
            validator_dependencies: stats.direct_dependencies,
            validator_chains: stats.dependency_chains,
            findings: v.finding_count(),
        }
    }
}

/// The new-dependency path: a fresh validator whose classes have all been used
/// once (so only the dependency, its traces and the chain are new), then `n`
/// acquisitions of a never-seen pair `outer -> inner`.
pub struct NewDependencyBench {
    validator: Validator,
    classes: Classes,
    outer: usize,
    next: usize,
}

/// Outer classes the new-dependency pairs start from.
const OUTER: usize = 64;

impl NewDependencyBench {
    /// Prepares room for `n` new dependencies.
    pub fn new(n: usize) -> NewDependencyBench {
        let classes = Classes::new(OUTER + n, 0x6e64);
        let validator = Validator::new(ValidatorConfig::default());
        classes.register(&validator);
        for c in 0..classes.keys.len() {
            classes.acquire(&validator, c);
            classes.release(&validator, c);
        }
        NewDependencyBench {
            validator,
            classes,
            outer: 0,
            next: OUTER,
        }
    }

    /// Adds up to `n` new dependencies (fewer if the prepared classes run out),
    /// timing only the acquisitions and releases. Returns (time, added).
    pub fn run(&mut self, n: usize) -> (Duration, usize) {
        let end = (self.next + n).min(self.classes.keys.len());
        let added = end - self.next;
        let t0 = Instant::now();
        for inner in self.next..end {
            let outer = self.outer;
            self.classes.acquire(&self.validator, outer);
            self.classes.acquire(&self.validator, inner);
            self.classes.release(&self.validator, inner);
            self.classes.release(&self.validator, outer);
            self.outer = (outer + 1) % OUTER;
        }
        let t = t0.elapsed();
        self.next = end;
        (t, added)
    }

    /// The validator (for its stats).
    pub fn validator(&self) -> &Validator {
        &self.validator
    }
}
