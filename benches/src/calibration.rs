//! The machine's own scaling ceiling, measured beside the stores.
//!
//! A store's 2-thread / 1-thread scaling mixes two things: what the store does
//! (shared writes, lock contention, cache lines bouncing between cores) and what
//! the machine does when both of its hardware threads run at once. On a VM whose
//! two vCPUs behave like SMT siblings or share a host core, even code that shares
//! nothing cannot scale by 2. So every run also times two loops that share
//! nothing, through the same harness as the stores ([`sample`] and
//! [`sample_concurrent`]), interleaved with the stores' runs so they see the same
//! outside load:
//!
//! * **ALU-bound** ([`alu_steps`]): four independent integer dependency chains in
//!   registers, no memory traffic at all. Its scaling is the ceiling for
//!   compute-bound code such as a fetch that hits in cache.
//! * **memory-latency-bound** ([`PointerCycle::chase`]): each thread chases a
//!   random cycle through its own 64 MiB buffer, one cache miss per step, nothing
//!   shared. Its scaling is the ceiling for code that waits on memory.
//!
//! A store's scaling near these ceilings is the machine's limit; one well below
//! them is the store's.

use std::hint::black_box;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;

use crate::measure::{Sample, clean_median, paired_ratio, sample, sample_concurrent};

/// Bytes of each thread's private pointer-chasing buffer: far larger than any
/// cache, so every step misses.
pub const CHASE_BYTES: usize = 64 << 20;

/// Runs `steps` steps of four independent dependency chains of one-cycle integer
/// operations (shift, rotate, xor, add) on registers only, and returns their
/// combination so nothing is optimised away. Each chain has its own shape so the
/// compiler does not fuse them into vector operations: the loop is what scalar
/// compute-bound code looks like to the core, several instructions per cycle and
/// no loads or stores.
#[inline(never)]
pub fn alu_steps(seed: u64, steps: u64) -> u64 {
    let seed = black_box(seed);
    let mut a = seed | 1;
    let mut b = seed.rotate_left(17) ^ 0x9e37_79b9_7f4a_7c15;
    let mut c = seed.wrapping_mul(0xbf58_476d_1ce4_e5b9) | 2;
    let mut d = !seed;
    for _ in 0..steps {
        a = (a ^ (a >> 7)).wrapping_add(0x2545_f491_4f6c_dd1d);
        b = b.rotate_left(13).wrapping_sub(0x94d0_49bb_1331_11eb) ^ 0x55;
        c = (c.wrapping_add(c << 3)) ^ 0x1234_5678;
        d = d.rotate_right(29) ^ (d >> 11) ^ 0x0f0f;
    }
    a ^ b.rotate_left(1) ^ c.rotate_left(2) ^ d.rotate_left(3)
}

/// One cache line of a [`PointerCycle`]: the index of the next line, padded so
/// every step of the chase lands on a different line.
#[derive(Clone, Copy, Default)]
#[repr(align(64))]
struct Line {
    next: usize,
}

/// A random single cycle through the cache lines of one private buffer.
pub struct PointerCycle {
    lines: Vec<Line>,
}

impl PointerCycle {
    /// A cycle through every line of a `bytes`-byte buffer (at least two lines), in
    /// a random order from `seed` (Sattolo's algorithm: one cycle, no short loops).
    pub fn new(bytes: usize, seed: u64) -> PointerCycle {
        let n = (bytes / std::mem::size_of::<Line>()).max(2);
        let mut order: Vec<usize> = (0..n).collect();
        let mut rng = StdRng::seed_from_u64(seed);
        for i in (1..n).rev() {
            let j = rng.random_range(0..i);
            order.swap(i, j);
        }
        let lines = order.into_iter().map(|next| Line { next }).collect();
        PointerCycle { lines }
    }

    /// Lines in the cycle.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Always false: a cycle has at least two lines.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Follows the cycle for `steps` steps from line `start` (modulo the length)
    /// and returns the line reached. Each step's load depends on the previous one,
    /// so the loop runs at memory latency.
    #[inline(never)]
    pub fn chase(&self, start: usize, steps: u64) -> usize {
        let mut i = start % self.lines.len().max(1);
        for _ in 0..steps {
            i = self.lines[i].next;
        }
        i
    }
}

/// The calibration loops and their per-thread buffers, for one measuring session.
pub struct Calibration {
    threads: usize,
    alu_steps: u64,
    chase_steps: u64,
    /// One private buffer per thread; the one-thread run uses the first.
    cycles: Vec<PointerCycle>,
}

impl Calibration {
    /// Loops sized so a sample takes about as long as a store's fetch sample of
    /// `fetch_ops` fetches (about 1 ns per ALU step, about 100 ns per chase step),
    /// with a private buffer for each of `threads` threads.
    pub fn new(threads: usize, fetch_ops: u64) -> Calibration {
        let threads = threads.max(1);
        Calibration {
            threads,
            alu_steps: (fetch_ops.saturating_mul(8)).max(1 << 12),
            chase_steps: (fetch_ops / 16).max(1 << 10),
            cycles: (0..threads)
                .map(|t| PointerCycle::new(CHASE_BYTES, 0xca11_b4a7 ^ t as u64))
                .collect(),
        }
    }

    /// Runs every loop once, untimed: code paths and the buffers' TLB entries warm.
    pub fn warm_up(&self) {
        black_box(alu_steps(0, self.alu_steps / 8));
        for c in &self.cycles {
            black_box(c.chase(0, self.chase_steps / 8));
        }
    }

    /// Measures run `run` of each loop on one thread and on all threads, appending
    /// to `samples`. Each thread does as many steps as the one-thread pass.
    pub fn measure_run(&self, run: usize, samples: &mut CeilingSamples) {
        let (alu, chase, threads) = (self.alu_steps, self.chase_steps, self.threads);
        let seed = run as u64;
        let (x, r) = sample(alu, || alu_steps(seed, alu));
        black_box(r);
        samples.alu.push(x);
        samples
            .alu_mt
            .push(sample_concurrent(threads, alu * threads as u64, |th| {
                black_box(alu_steps(seed ^ ((th as u64) << 32), alu));
            }));
        let start = run.wrapping_mul(7919);
        let (x, r) = sample(chase, || self.cycles[0].chase(start, chase));
        black_box(r);
        samples.memory.push(x);
        samples
            .memory_mt
            .push(sample_concurrent(threads, chase * threads as u64, |th| {
                if let Some(c) = self.cycles.get(th) {
                    black_box(c.chase(start, chase));
                }
            }));
    }
}

/// Raw per-run samples of the calibration loops (index `r` of every vector is run `r`).
#[derive(Clone, Debug, Default)]
pub struct CeilingSamples {
    /// ALU loop, one thread, ns per step.
    pub alu: Vec<Sample>,
    /// ALU loop, all threads, wall ns per step over all threads.
    pub alu_mt: Vec<Sample>,
    /// Pointer chase, one thread, ns per step.
    pub memory: Vec<Sample>,
    /// Pointer chase, all threads, wall ns per step over all threads.
    pub memory_mt: Vec<Sample>,
}

impl CeilingSamples {
    /// The ceiling these samples show, labelled `label` (the size or file whose runs
    /// they were interleaved with); `None` without ALU samples. Scaling is the median
    /// of per-run ratios, computed exactly as the stores' scaling is.
    pub fn ceiling(&self, label: &str, threads: usize) -> Option<MachineCeiling> {
        let alu_scaling = paired_ratio(&self.alu, &self.alu_mt)?;
        let memory_scaling = paired_ratio(&self.memory, &self.memory_mt);
        let runs = self.alu.len();
        let disturbed_runs = (0..runs)
            .filter(|&r| {
                [&self.alu, &self.alu_mt, &self.memory, &self.memory_mt]
                    .iter()
                    .any(|v| v.get(r).is_some_and(Sample::disturbed))
            })
            .count();
        Some(MachineCeiling {
            label: label.to_string(),
            threads,
            alu_scaling,
            alu_ns_per_step: clean_median(&self.alu).0,
            memory_scaling,
            memory_ns_per_step: memory_scaling.map(|_| clean_median(&self.memory).0),
            runs,
            disturbed_runs,
        })
    }
}

/// How well work that shares nothing scales on this machine, in the same runs as
/// the stores' figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MachineCeiling {
    /// The size or file whose runs the calibration was interleaved with.
    pub label: String,
    /// Threads of the multi-thread measurement.
    pub threads: usize,
    /// ALU-bound loop (registers only, nothing shared): multi-thread over one-thread
    /// throughput, median of per-run ratios.
    pub alu_scaling: f64,
    /// ALU loop, one thread: ns per step (four chained operations per chain).
    pub alu_ns_per_step: f64,
    /// Memory-latency-bound loop (each thread chases its own 64 MiB random cycle):
    /// multi-thread over one-thread throughput; `None` if not measured.
    pub memory_scaling: Option<f64>,
    /// Pointer chase, one thread: ns per step (about one memory latency).
    pub memory_ns_per_step: Option<f64>,
    /// Runs measured.
    pub runs: usize,
    /// Runs in which some calibration sample waited for a CPU (set aside when clean ones exist).
    pub disturbed_runs: usize,
}

impl MachineCeiling {
    /// The short note shown beside a scaling goal: "machine ceiling 1.53 ALU / 1.95 memory".
    pub fn goal_note(&self) -> String {
        match self.memory_scaling {
            Some(m) => format!(
                "machine ceiling {:.2} ALU / {:.2} memory",
                self.alu_scaling, m
            ),
            None => format!("machine ceiling {:.2} ALU", self.alu_scaling),
        }
    }

    /// One sentence for the reader: how work that shares nothing scaled in these
    /// runs, and how many runs were disturbed.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "Machine ceiling in this run ({}): ALU-bound work with nothing shared and no memory \
             traffic scales {:.2}x from 1 to {} threads",
            self.label, self.alu_scaling, self.threads
        );
        if let Some(m) = self.memory_scaling {
            s.push_str(&format!(
                ", memory-latency-bound work on private buffers {m:.2}x"
            ));
        }
        s.push_str(&format!(" (median of {} runs", self.runs));
        if self.disturbed_runs > 0 {
            s.push_str(&format!(", {} disturbed", self.disturbed_runs));
        }
        s.push_str(").");
        s
    }

    /// What the ceiling means for a scaling goal of at least `bound`: said only when
    /// the bound is above the ALU ceiling, since then compute-bound code cannot be
    /// expected to meet it here whatever it shares.
    pub fn against_bound(&self, bound: f64) -> Option<String> {
        (self.alu_scaling < bound).then(|| {
            format!(
                "A scaling goal of {bound} is above the ALU ceiling: compute-bound code cannot \
                 be expected to meet it on this machine. A store's scaling near the ceiling is \
                 the machine's limit; well below it, the store's own (shared writes, contention)."
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cycle_visits_every_line_once_before_returning() {
        let c = PointerCycle::new(64 * 1000, 7);
        assert_eq!(c.len(), 1000);
        let mut seen = vec![false; c.len()];
        let mut i = 0;
        for _ in 0..c.len() {
            assert!(!seen[i], "line {i} visited twice: a short loop");
            seen[i] = true;
            i = c.chase(i, 1);
        }
        assert_eq!(i, 0, "back at the start after exactly len steps");
        assert!(seen.iter().all(|&s| s));
        // The chase wraps its start and agrees with step-by-step walking.
        assert_eq!(c.chase(1000 + 3, 10), c.chase(3, 10));
        assert_eq!(c.chase(0, 2), c.chase(c.chase(0, 1), 1));
        // Tiny buffers still make a cycle of two lines.
        let t = PointerCycle::new(0, 1);
        assert_eq!((t.len(), t.chase(0, 1), t.chase(0, 2)), (2, 1, 0));
    }

    #[test]
    fn alu_loop_depends_on_its_seed_and_step_count() {
        assert_ne!(alu_steps(1, 1000), alu_steps(2, 1000));
        assert_ne!(alu_steps(1, 1000), alu_steps(1, 1001));
        assert_eq!(alu_steps(5, 300), alu_steps(5, 300));
    }

    fn s(ns: f64, waited: f64) -> Sample {
        Sample { ns, waited }
    }

    #[test]
    fn ceiling_is_the_median_of_clean_per_run_ratios() {
        let samples = CeilingSamples {
            // Per-run ALU ratios 1.5, 1.6, and 4.0 in a disturbed run (set aside).
            alu: vec![s(3.0, 0.0), s(3.2, 0.0), s(4.0, 0.0)],
            alu_mt: vec![s(2.0, 0.0), s(2.0, 0.0), s(1.0, 0.5)],
            // Memory ratios 2.0, 1.8, 1.9.
            memory: vec![s(100.0, 0.0), s(90.0, 0.0), s(95.0, 0.0)],
            memory_mt: vec![s(50.0, 0.0), s(50.0, 0.0), s(50.0, 0.0)],
        };
        let c = samples.ceiling("kasan", 2).unwrap();
        assert!((c.alu_scaling - 1.55).abs() < 1e-9, "{}", c.alu_scaling);
        assert!((c.memory_scaling.unwrap() - 1.9).abs() < 1e-9);
        assert!((c.alu_ns_per_step - 3.2).abs() < 1e-9);
        assert_eq!(c.memory_ns_per_step, Some(95.0));
        assert_eq!((c.runs, c.disturbed_runs, c.threads), (3, 1, 2));
        assert_eq!(c.label, "kasan");
        // Without the memory loop the ALU ceiling still stands; with no samples, none.
        let alu_only = CeilingSamples {
            alu: samples.alu.clone(),
            alu_mt: samples.alu_mt.clone(),
            ..CeilingSamples::default()
        };
        let c = alu_only.ceiling("rfc", 2).unwrap();
        assert_eq!((c.memory_scaling, c.memory_ns_per_step), (None, None));
        assert!(CeilingSamples::default().ceiling("rfc", 2).is_none());
    }

    #[test]
    fn the_ceiling_is_rendered_for_goals_and_readers() {
        let c = MachineCeiling {
            label: "kasan".into(),
            threads: 2,
            alu_scaling: 1.534,
            alu_ns_per_step: 1.0,
            memory_scaling: Some(1.951),
            memory_ns_per_step: Some(90.0),
            runs: 9,
            disturbed_runs: 2,
        };
        assert_eq!(c.goal_note(), "machine ceiling 1.53 ALU / 1.95 memory");
        assert_eq!(
            c.describe(),
            "Machine ceiling in this run (kasan): ALU-bound work with nothing shared and no \
             memory traffic scales 1.53x from 1 to 2 threads, memory-latency-bound work on \
             private buffers 1.95x (median of 9 runs, 2 disturbed)."
        );
        // A 1.8 goal is above a 1.53 ceiling: said; a 1.5 goal is not: nothing to say.
        assert!(
            c.against_bound(1.8)
                .is_some_and(|t| t.starts_with("A scaling goal of 1.8 is above the ALU ceiling"))
        );
        assert_eq!(c.against_bound(1.5), None);
        let clean = MachineCeiling {
            memory_scaling: None,
            disturbed_runs: 0,
            ..c
        };
        assert_eq!(clean.goal_note(), "machine ceiling 1.53 ALU");
        assert!(
            clean
                .describe()
                .ends_with("1 to 2 threads (median of 9 runs).")
        );
    }
}
