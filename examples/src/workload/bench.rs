//! The two benchmark workloads of the depot benches, as SDW1: lockdep at the RFC's size and a
//! KASAN-like allocation-stack stream.

use std::collections::HashSet;

use rand::{RngExt, SeedableRng};

use crate::scenario::callgraph::CallGraph;
use crate::scenario::sampling::{Rng, clamped_normal, mix64, popular_index};
use crate::sdw1::{Sdw1, Sdw1Builder};

/// Keeps the workloads' call graph different from a scenario's with the same seed.
const WORKLOAD_SALT: u64 = 0x5d31_0000_0000_0000;
/// Popularity skew of re-saved traces (by first appearance).
const HIT_ZIPF: f64 = 1.1;

/// What to generate: `traces` distinct stacks of about `mean_depth` frames, saved `saves`
/// times in all (the first save of each is the insert, the rest are dedup hits).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct WorkloadSpec {
    /// Short name ("rfc", "kasan").
    pub name: String,
    /// Distinct traces.
    pub traces: usize,
    /// Save calls (at least `traces`).
    pub saves: usize,
    /// Mean frames per trace.
    pub mean_depth: f64,
    /// Standard deviation of the depth.
    pub depth_sd: f64,
    /// Seed.
    pub seed: u64,
}

impl WorkloadSpec {
    /// lockdep at the RFC's overflow: 22080 traces of ≈20.7 frames; 98,000 saves, about what the
    /// validator makes on the scenario up to the 2^19 overflow (two per new dependency, one per
    /// class usage), so ≈77% are hits.
    pub fn rfc() -> WorkloadSpec {
        WorkloadSpec {
            name: "rfc".into(),
            traces: 22_080,
            saves: 98_000,
            mean_depth: 20.7,
            depth_sd: 5.0,
            seed: 1,
        }
    }

    /// KASAN-like: 200,000 distinct allocation stacks of ≈24 frames, 4,000,000 saves (95% hits).
    pub fn kasan() -> WorkloadSpec {
        WorkloadSpec {
            name: "kasan".into(),
            traces: 200_000,
            saves: 4_000_000,
            mean_depth: 24.0,
            depth_sd: 6.0,
            seed: 2,
        }
    }

    /// The same workload with `traces` and `saves` multiplied by `factor` (at least one trace).
    pub fn scaled(mut self, factor: f64) -> WorkloadSpec {
        let f = if factor.is_finite() && factor > 0.0 {
            factor
        } else {
            1.0
        };
        self.traces = ((self.traces as f64 * f).round() as usize).max(1);
        self.saves = ((self.saves as f64 * f).round() as usize).max(self.traces);
        self
    }

    /// Generates the workload. New traces are spread evenly over the stream; hits re-save a
    /// trace seen before, early ones most often.
    pub fn generate(&self) -> Sdw1 {
        let mut rng = Rng::seed_from_u64(mix64(self.seed ^ WORKLOAD_SALT));
        let graph = CallGraph::new(&mut rng);
        let saves = self.saves.max(self.traces);
        let mut distinct: Vec<Vec<usize>> = Vec::with_capacity(self.traces);
        let mut seen: HashSet<Vec<usize>> = HashSet::with_capacity(self.traces);
        let mut b = Sdw1Builder::new();
        let mut remaining_new = self.traces;
        for i in 0..saves {
            let remaining = saves - i;
            let insert = distinct.is_empty() || rng.random_range(0..remaining) < remaining_new;
            if insert && remaining_new > 0 {
                let t = loop {
                    let depth = clamped_normal(&mut rng, self.mean_depth, self.depth_sd, 8, 64);
                    let t = graph.alloc_trace(depth, &mut rng);
                    if seen.insert(t.clone()) {
                        break t;
                    }
                };
                b.save(&t);
                distinct.push(t);
                remaining_new -= 1;
            } else {
                let k = popular_index(distinct.len(), HIT_ZIPF, rng.random_range(0.0..1.0));
                b.save(&distinct[k]);
            }
        }
        b.finish()
    }
}
