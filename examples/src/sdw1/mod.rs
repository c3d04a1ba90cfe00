//! SDW1: a file of stack-trace saves, the workload format shared by the demos and the depot benches.
//!
//! Layout (all integers little-endian):
//!
//! ```text
//! b"SDW1"                      magic
//! u32  version = 1
//! u64  n_traces
//! u64  n_events
//! n_traces × { u32 n_frames; n_frames × u64 frame }   distinct traces, innermost frame first
//! n_events × u32 trace index                          the save calls, in order
//! ```
//!
//! Each event is one call to `save`: the first event naming a trace is the insert, every later
//! one a dedup hit. Traces are distinct and non-empty. A trace that no event names is allowed
//! (it is simply never saved). Nothing may follow the last event.
//!
//! The reader checks every count against the bytes actually present before allocating, so a
//! forged header cannot make it allocate more than a small multiple of the file's size, and
//! every malformation is a [`Sdw1Error`], never a panic.

mod builder;
mod error;
mod read;
mod write;

pub use builder::Sdw1Builder;
pub use error::Sdw1Error;

/// The four magic bytes that open every SDW1 file.
pub const MAGIC: [u8; 4] = *b"SDW1";
/// The only format version this crate reads and writes.
pub const VERSION: u32 = 1;
/// Bytes before the first trace record: magic, version, n_traces, n_events.
pub const HEADER_LEN: usize = 4 + 4 + 8 + 8;

/// An SDW1 workload held in memory: the distinct traces and the order in which they are saved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sdw1 {
    /// All traces' frames back to back.
    frames: Vec<usize>,
    /// `starts[i]..starts[i + 1]` is trace `i` in `frames`; `starts.len() == n_traces + 1`.
    starts: Vec<usize>,
    /// Trace index of every save, in order.
    events: Vec<u32>,
}

/// Figures that describe a workload, for printing and for sizing stores.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Sdw1Summary {
    /// Distinct traces.
    pub traces: u64,
    /// Save calls.
    pub events: u64,
    /// Frames summed over the distinct traces.
    pub frames: u64,
    /// Mean frames per distinct trace.
    pub mean_depth: f64,
    /// Shortest and longest distinct trace.
    pub min_depth: u64,
    /// Longest distinct trace.
    pub max_depth: u64,
    /// Fraction of saves that are dedup hits (`1 - referenced traces / events`).
    pub hit_ratio: f64,
    /// Words lockdep's fixed array would need for these traces: the sum of `3 + n_frames`.
    pub fixed_array_words: u64,
}

impl Sdw1 {
    /// Number of distinct traces.
    pub fn n_traces(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// Number of save calls.
    pub fn n_events(&self) -> usize {
        self.events.len()
    }

    /// Trace `index`, innermost frame first, or `None` when out of range.
    pub fn trace(&self, index: usize) -> Option<&[usize]> {
        let start = *self.starts.get(index)?;
        let end = *self.starts.get(index.checked_add(1)?)?;
        self.frames.get(start..end)
    }

    /// The distinct traces in file order.
    pub fn traces(&self) -> impl ExactSizeIterator<Item = &[usize]> + '_ {
        self.starts.windows(2).map(|w| &self.frames[w[0]..w[1]])
    }

    /// The trace index of every save call, in order.
    pub fn events(&self) -> &[u32] {
        &self.events
    }

    /// The frames of every save call, in order (what a replay passes to `save`).
    pub fn saves(&self) -> impl ExactSizeIterator<Item = &[usize]> + '_ {
        // Indices were validated (reader) or produced in range (builder).
        self.events
            .iter()
            .map(|&i| self.trace(i as usize).unwrap_or(&[]))
    }

    /// Counts and depths of this workload.
    pub fn summary(&self) -> Sdw1Summary {
        let traces = self.n_traces() as u64;
        let frames = self.frames.len() as u64;
        let (mut min_depth, mut max_depth) = (u64::MAX, 0u64);
        for t in self.traces() {
            min_depth = min_depth.min(t.len() as u64);
            max_depth = max_depth.max(t.len() as u64);
        }
        let mut referenced = vec![false; self.n_traces()];
        for &e in &self.events {
            if let Some(r) = referenced.get_mut(e as usize) {
                *r = true;
            }
        }
        let inserts = referenced.iter().filter(|&&r| r).count() as u64;
        let events = self.events.len() as u64;
        Sdw1Summary {
            traces,
            events,
            frames,
            mean_depth: if traces == 0 {
                0.0
            } else {
                frames as f64 / traces as f64
            },
            min_depth: if traces == 0 { 0 } else { min_depth },
            max_depth,
            hit_ratio: if events == 0 {
                0.0
            } else {
                1.0 - inserts as f64 / events as f64
            },
            fixed_array_words: 3 * traces + frames,
        }
    }
}

impl core::fmt::Display for Sdw1Summary {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        writeln!(f, " distinct traces:               {:>11}", self.traces)?;
        writeln!(f, " save calls (events):           {:>11}", self.events)?;
        writeln!(
            f,
            " dedup hit ratio:               {:>10.1}%",
            self.hit_ratio * 100.0
        )?;
        writeln!(f, " frames in distinct traces:     {:>11}", self.frames)?;
        writeln!(
            f,
            " frames per trace (mean/min/max): {:>6.2} / {} / {}",
            self.mean_depth, self.min_depth, self.max_depth
        )?;
        writeln!(
            f,
            " fixed-array words (3+n each):  {:>11}",
            self.fixed_array_words
        )
    }
}
