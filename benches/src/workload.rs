//! Deterministic synthetic stack traces shaped like real ones, and the save/fetch
//! streams the benchmarks replay over them.
//!
//! A real trace set is not a bag of random words: a few thread entry paths and
//! subsystem call chains make up the outer frames of most traces, the inner frames
//! vary, lengths spread around a mean, and a frame is a call-site address inside a
//! function (function start plus a small return offset). The generator below builds
//! that structure from a seed, so every run and every store sees identical input:
//!
//! ```text
//!   innermost ........................................ outermost
//!   [ varied inner frames | subsystem chain | entry path ]
//!     drawn from a pool     one of ~256       one of 64, skewed
//!     of functions          shared prefixes   towards the first few
//! ```
//!
//! Traces are stored flat ([`TraceSet`]) so the workload itself costs one
//! allocation, not one per trace, and does not pollute the allocator the
//! baselines measure.

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// A named workload size: how many distinct traces, how long, how many saves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SizeSpec {
    /// Short name used in benchmark ids and tables ("rfc", "kasan", ...).
    pub name: &'static str,
    /// Distinct traces.
    pub traces: usize,
    /// Mean frames per trace.
    pub mean_frames: usize,
    /// Lengths spread roughly `mean ± spread` (triangular distribution).
    pub spread: usize,
    /// Saves in the mixed stream ([`hit_stream`]); `traces` of them are first
    /// sightings (inserts), the rest are hits.
    pub stream_saves: usize,
    /// Seed of everything random in this size.
    pub seed: u64,
}

impl SizeSpec {
    /// The RFC's figure: about 22k traces of about 21 frames (lockdep on a
    /// syzkaller-style run, which overflows the kernel's 2^19-word array).
    pub const RFC: SizeSpec = SizeSpec {
        name: "rfc",
        traces: 22_000,
        mean_frames: 21,
        spread: 8,
        stream_saves: 440_000,
        seed: 0x5246_4321,
    };

    /// KASAN-like: 200k distinct traces of about 24 frames, 4M saves of which 95%
    /// are hits. About 38 MB of frames: does not fit in any cache.
    pub const KASAN: SizeSpec = SizeSpec {
        name: "kasan",
        traces: 200_000,
        mean_frames: 24,
        spread: 9,
        stream_saves: 4_000_000,
        seed: 0x004b_4153_414e,
    };

    /// A small depot: 2k traces, for the fixed cost of a lightly used store.
    pub const SMALL: SizeSpec = SizeSpec {
        name: "small",
        traces: 2_000,
        mean_frames: 20,
        spread: 8,
        stream_saves: 40_000,
        seed: 0x534d_414c,
    };

    /// The sizes the benchmarks compare stores on.
    pub const BENCH_SIZES: [SizeSpec; 2] = [SizeSpec::RFC, SizeSpec::KASAN];

    /// Looks a size up by name (`rfc`, `kasan`, `small`).
    pub fn by_name(name: &str) -> Option<SizeSpec> {
        [SizeSpec::RFC, SizeSpec::KASAN, SizeSpec::SMALL]
            .into_iter()
            .find(|s| s.name == name)
    }

    /// Generates this size's traces.
    pub fn generate(&self) -> TraceSet {
        generate_traces(self)
    }
}

/// Many traces stored back to back: trace `i` is `frames[starts[i]..starts[i + 1]]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceSet {
    frames: Vec<usize>,
    starts: Vec<usize>,
}

impl TraceSet {
    /// An empty set.
    pub fn new() -> TraceSet {
        TraceSet {
            frames: Vec::new(),
            starts: vec![0],
        }
    }

    /// Appends one trace.
    pub fn push(&mut self, trace: &[usize]) {
        if self.starts.is_empty() {
            self.starts.push(0);
        }
        self.frames.extend_from_slice(trace);
        self.starts.push(self.frames.len());
    }

    /// Number of traces.
    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// True when there are no traces.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Trace `i`. Panics if `i >= len()` (indices come from this crate's own streams).
    #[inline]
    pub fn get(&self, i: usize) -> &[usize] {
        &self.frames[self.starts[i]..self.starts[i + 1]]
    }

    /// Frames in all traces.
    pub fn total_frames(&self) -> usize {
        self.frames.len()
    }

    /// Mean frames per trace.
    pub fn mean_frames(&self) -> f64 {
        if self.is_empty() {
            0.0
        } else {
            self.frames.len() as f64 / self.len() as f64
        }
    }

    /// The first `n` traces as their own set (for smaller depots built from a size's traces).
    pub fn prefix(&self, n: usize) -> TraceSet {
        let mut out = TraceSet::new();
        for i in 0..n.min(self.len()) {
            out.push(self.get(i));
        }
        out
    }

    /// The traces named by `indices`, copied back to back in that order: what a
    /// saver "has in hand", read sequentially instead of gathered at random.
    pub fn gather(&self, indices: &[u32]) -> TraceSet {
        let mut out = TraceSet::new();
        let frames: usize = indices.iter().map(|&i| self.get(i as usize).len()).sum();
        out.frames.reserve(frames);
        out.starts.reserve(indices.len());
        for &i in indices {
            out.push(self.get(i as usize));
        }
        out
    }

    /// Replaces the contents with the traces named by `indices` (reusing the buffers).
    pub fn gather_into(&mut self, from: &TraceSet, indices: &[u32]) {
        self.frames.clear();
        self.starts.clear();
        self.starts.push(0);
        for &i in indices {
            self.push(from.get(i as usize));
        }
    }

    /// Iterates over the traces in order.
    pub fn iter(&self) -> impl Iterator<Item = &[usize]> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }
}

/// Where "code" lives: a kernel-text-like base, so frames look like return addresses.
const TEXT_BASE: usize = 0xffff_ffff_8100_0000;
/// Outer entry paths (thread start, syscall entry, irq, workqueue...).
const ENTRY_PATHS: usize = 64;
/// Shared mid-level chains (one per "subsystem operation").
const SUBSYSTEM_CHAINS: usize = 256;
/// Shortest and longest trace generated.
const MIN_FRAMES: usize = 4;
const MAX_FRAMES: usize = 60;

/// A function: where it starts and how long it is, so call sites fall inside it.
#[derive(Clone, Copy)]
struct Function {
    start: usize,
    len: usize,
}

impl Function {
    fn call_site(&self, rng: &mut StdRng) -> usize {
        // Return addresses sit after a call instruction: a few bytes into the body.
        self.start + rng.random_range(5..self.len.max(6))
    }
}

/// Builds `spec.traces` distinct traces with the structure in the module docs.
pub fn generate_traces(spec: &SizeSpec) -> TraceSet {
    let mut rng = StdRng::seed_from_u64(spec.seed);
    // Enough functions that inner frames repeat the way hot helpers do, but not so
    // few that distinct traces are hard to find.
    let n_functions = (spec.traces / 4).clamp(2_048, 65_536);
    let mut functions = Vec::with_capacity(n_functions);
    let mut addr = TEXT_BASE;
    for _ in 0..n_functions {
        let len = 16 * rng.random_range(2..200usize);
        functions.push(Function { start: addr, len });
        addr += len + 16 * rng.random_range(0..4usize);
    }
    let pick = |rng: &mut StdRng| functions[rng.random_range(0..functions.len())];

    let entry_paths: Vec<Vec<usize>> = (0..ENTRY_PATHS)
        .map(|_| {
            let n = rng.random_range(4..=9);
            (0..n).map(|_| pick(&mut rng).call_site(&mut rng)).collect()
        })
        .collect();
    let chains: Vec<Vec<usize>> = (0..SUBSYSTEM_CHAINS)
        .map(|_| {
            let n = rng.random_range(2..=6);
            (0..n).map(|_| pick(&mut rng).call_site(&mut rng)).collect()
        })
        .collect();

    let mut seen: HashSet<Vec<usize>> = HashSet::with_capacity(spec.traces);
    let mut out = TraceSet::new();
    out.frames.reserve(spec.traces * spec.mean_frames);
    out.starts.reserve(spec.traces);
    let mut outer_first = Vec::with_capacity(MAX_FRAMES);
    while out.len() < spec.traces {
        let target = trace_len(&mut rng, spec);
        // Skewed choice: the minimum of two uniforms favours low indices (hot paths).
        let entry = &entry_paths[rng
            .random_range(0..ENTRY_PATHS)
            .min(rng.random_range(0..ENTRY_PATHS))];
        let chain = &chains[rng
            .random_range(0..SUBSYSTEM_CHAINS)
            .min(rng.random_range(0..SUBSYSTEM_CHAINS))];
        outer_first.clear();
        outer_first.extend(entry.iter().take(target.saturating_sub(1)));
        outer_first.extend(
            chain
                .iter()
                .take(target.saturating_sub(1 + outer_first.len())),
        );
        while outer_first.len() < target {
            outer_first.push(pick(&mut rng).call_site(&mut rng));
        }
        // Stored innermost first, like a captured backtrace.
        outer_first.reverse();
        if seen.insert(outer_first.clone()) {
            out.push(&outer_first);
        }
    }
    out
}

fn trace_len(rng: &mut StdRng, spec: &SizeSpec) -> usize {
    let lo = spec.mean_frames.saturating_sub(spec.spread);
    let len = lo + rng.random_range(0..=spec.spread) + rng.random_range(0..=spec.spread);
    len.clamp(MIN_FRAMES, MAX_FRAMES)
}

/// `count` trace indices drawn uniformly from `0..n` (the order hits and fetches use:
/// random, so a large set is not walked cache-friendly).
pub fn random_indices(n: usize, count: usize, seed: u64) -> Vec<u32> {
    let mut rng = StdRng::seed_from_u64(seed);
    if n == 0 {
        return Vec::new();
    }
    (0..count).map(|_| rng.random_range(0..n) as u32).collect()
}

/// A mixed save stream over traces `0..n`: `saves` entries, exactly `n` of them first
/// sightings (traces introduced in index order at random positions, the first save
/// always new), every other entry a uniformly random trace already introduced. With
/// KASAN's figures (200k, 4M) that is 95% hits.
pub fn hit_stream(n: usize, saves: usize, seed: u64) -> Vec<u32> {
    let mut rng = StdRng::seed_from_u64(seed);
    let saves = saves.max(n);
    let mut out = Vec::with_capacity(saves);
    let mut introduced = 0usize;
    for pos in 0..saves {
        let remaining_positions = saves - pos;
        let remaining_new = n - introduced;
        let new = remaining_new > 0
            && (introduced == 0 || rng.random_range(0..remaining_positions) < remaining_new);
        if new {
            out.push(introduced as u32);
            introduced += 1;
        } else {
            out.push(rng.random_range(0..introduced) as u32);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_are_distinct_deterministic_and_near_the_mean() {
        let spec = SizeSpec {
            traces: 3_000,
            ..SizeSpec::RFC
        };
        let a = spec.generate();
        let b = spec.generate();
        assert_eq!(a, b);
        assert_eq!(a.len(), 3_000);
        let distinct: HashSet<&[usize]> = a.iter().collect();
        assert_eq!(distinct.len(), a.len());
        assert!(
            (a.mean_frames() - 21.0).abs() < 1.5,
            "mean {}",
            a.mean_frames()
        );
        assert!(
            a.iter()
                .all(|t| (MIN_FRAMES..=MAX_FRAMES).contains(&t.len()))
        );
    }

    #[test]
    fn outer_frames_are_shared() {
        let a = SizeSpec {
            traces: 2_000,
            ..SizeSpec::RFC
        }
        .generate();
        let outermost: HashSet<usize> = a.iter().map(|t| t[t.len() - 1]).collect();
        assert!(
            outermost.len() <= ENTRY_PATHS,
            "{} distinct outermost frames",
            outermost.len()
        );
    }

    #[test]
    fn hit_stream_introduces_every_trace_once_in_order() {
        let s = hit_stream(1_000, 20_000, 7);
        assert_eq!(s.len(), 20_000);
        // Hits draw from 0..introduced, so an entry equal to `next` is always an introduction.
        let mut next = 0u32;
        for &i in &s {
            assert!(i <= next, "trace {i} used before introduced (next {next})");
            if i == next {
                next += 1;
            }
        }
        assert_eq!(next, 1_000);
    }
}
