//! Building an SDW1 workload one save call at a time.

use std::collections::HashMap;

use super::Sdw1;

/// Records save calls, deduplicating traces the way a depot would: the first save of a frame
/// sequence adds a trace, later saves of the same frames only add an event.
#[derive(Debug, Default)]
pub struct Sdw1Builder {
    sdw: Sdw1,
    index: HashMap<Box<[usize]>, u32>,
}

impl Sdw1Builder {
    /// An empty builder.
    pub fn new() -> Sdw1Builder {
        Sdw1Builder {
            sdw: Sdw1 {
                starts: vec![0],
                ..Sdw1::default()
            },
            index: HashMap::new(),
        }
    }

    /// Records one save of `frames` (innermost first) and returns its trace index. An empty
    /// trace, or a new trace once 2^32 distinct traces exist, is not recorded (`None`).
    pub fn save(&mut self, frames: &[usize]) -> Option<u32> {
        if frames.is_empty() {
            return None;
        }
        let index = match self.index.get(frames) {
            Some(&i) => i,
            None => {
                let i = u32::try_from(self.sdw.n_traces()).ok()?;
                self.sdw.frames.extend_from_slice(frames);
                self.sdw.starts.push(self.sdw.frames.len());
                self.index.insert(frames.into(), i);
                i
            }
        };
        self.sdw.events.push(index);
        Some(index)
    }

    /// Distinct traces so far.
    pub fn n_traces(&self) -> usize {
        self.sdw.n_traces()
    }

    /// Save calls so far.
    pub fn n_events(&self) -> usize {
        self.sdw.n_events()
    }

    /// The finished workload.
    pub fn finish(self) -> Sdw1 {
        self.sdw
    }
}
