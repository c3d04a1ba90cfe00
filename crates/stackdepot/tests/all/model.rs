//! Model test: random operation sequences against a `HashMap` model.
//!
//! A depot with [`Config::tiny`] (4 KiB slabs, 8-slot index tables in 2 shards,
//! one reserve slab, 16 frames per trace) runs random sequences of `save`,
//! `save_with(NoWait)`, `fetch` of a saved handle, `refill`, and `fetch` of forged
//! handles (random, or next to a real one), plus bursts of generated traces
//! saved one way or the other. Frames come from a five-value alphabet and
//! lengths from 0..=20, so repeats, shared prefixes and truncation are frequent,
//! and slab and index growth and an empty reserve happen within a few dozen
//! steps. Each case also picks `tiny` as is, with no reserve, or with one shard.
//!
//! After every operation these properties must hold:
//!
//! 1. **Exact round trip**: every model entry fetches exactly its frames
//!    (the trace as saved, cut to `max_frames`).
//! 2. **Exact dedup**: a trace already in the model is answered with its
//!    handle; a new trace gets a handle no other trace has.
//! 3. **Zero copy**: a handle fetches the same address every time.
//! 4. **Forged handles** fetch `None` or one of the model's traces.
//! 5. **Failures**: `Empty` exactly for empty traces; `MayAlloc` saves never
//!    fail otherwise (no cap); `NoWait` saves of new traces fail only with
//!    `NoReserve` or `Contended`, leave the model unchanged, and a `NoWait` save
//!    of a stored trace always succeeds.
//! 6. **Counters**: `traces` = model size, `frames` = model frames, and
//!    `saves`, `dedup_hits`, `truncated`, `empty`, `no_reserve`, `contended`
//!    equal the model's tallies; no other failure and no lost race is counted.
//! 7. **Byte relations** of [`assert_stats_relations`].

use std::collections::HashMap;

use proptest::prelude::*;
use stackdepot::{Alloc, Config, Handle, SaveError, StackDepot};

use crate::support::{assert_stats_relations, check_unvouched_fetch};

const ALPHABET: [usize; 5] = [0x1, 0x2, 0x7f00_0000_1000, 0, usize::MAX];

#[derive(Clone, Debug)]
enum Op {
    Save(Vec<usize>),
    SaveNoWait(Vec<usize>),
    /// Re-save the `pick`-th stored trace (modulo the model size).
    Resave {
        pick: usize,
        no_wait: bool,
    },
    FetchStored {
        pick: usize,
    },
    Refill,
    FetchForged(u32),
    FetchNear {
        pick: usize,
        delta: i16,
    },
    /// `count` saves of generated traces `first..first + count` (distinct from
    /// alphabet traces and from each other; repeated when bursts overlap), to
    /// drain the reserve and grow slabs and index quickly.
    Burst {
        first: u8,
        count: u8,
        len: u8,
        no_wait: bool,
    },
}

/// The `i`-th generated trace of a burst, `len` frames long.
fn burst_trace(i: usize, len: usize) -> Vec<usize> {
    (0..len)
        .map(|k| {
            if k == 0 {
                0xb000_0000 + i
            } else {
                ALPHABET[(i + k) % ALPHABET.len()]
            }
        })
        .collect()
}

fn trace() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop::sample::select(ALPHABET.to_vec()), 0..=20)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => trace().prop_map(Op::Save),
        4 => trace().prop_map(Op::SaveNoWait),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(pick, no_wait)| Op::Resave { pick, no_wait }),
        2 => any::<usize>().prop_map(|pick| Op::FetchStored { pick }),
        1 => Just(Op::Refill),
        1 => any::<u32>().prop_map(Op::FetchForged),
        1 => (any::<usize>(), any::<i16>()).prop_map(|(pick, delta)| Op::FetchNear { pick, delta }),
        1 => (any::<u8>(), 8u8..48, 1u8..=20, any::<bool>())
            .prop_map(|(first, count, len, no_wait)| Op::Burst { first, count, len, no_wait }),
    ]
}

/// What the depot should hold and what it should have counted.
#[derive(Default)]
struct Model {
    handles: HashMap<Vec<usize>, Handle>,
    by_handle: HashMap<Handle, Vec<usize>>,
    /// Address of each handle's first fetch.
    addresses: HashMap<Handle, *const usize>,
    /// Insertion order, for picking a stored trace.
    order: Vec<Vec<usize>>,
    saves: u64,
    hits: u64,
    truncated: u64,
    /// Refused no-wait saves of overlong traces: whether the depot counts them
    /// as truncated is not specified, so `truncated` may be up to this much higher.
    refused_overlong: u64,
    empty: u64,
    no_reserve: u64,
    contended: u64,
}

impl Model {
    fn pick(&self, pick: usize) -> Option<&Vec<usize>> {
        if self.order.is_empty() {
            None
        } else {
            Some(&self.order[pick % self.order.len()])
        }
    }

    fn save(
        &mut self,
        depot: &StackDepot,
        frames: &[usize],
        alloc: Alloc,
    ) -> Result<(), TestCaseError> {
        let max = depot.config().max_frames;
        let stored = &frames[..frames.len().min(max)];
        let known = self.handles.get(stored).copied();
        self.saves += 1;
        let result = depot.save_with(frames, alloc);
        match (result, known) {
            (Err(SaveError::Empty), _) => {
                prop_assert!(frames.is_empty(), "Empty for {} frames", frames.len());
                self.empty += 1;
                return Ok(());
            }
            (_, _) if frames.is_empty() => {
                prop_assert!(false, "an empty trace gave {:?}", result);
            }
            (Ok(h), Some(k)) => {
                prop_assert_eq!(h, k, "a stored trace got a different handle");
                self.hits += 1;
            }
            (Ok(h), None) => {
                if let Some(other) = self.by_handle.get(&h) {
                    prop_assert!(
                        false,
                        "new trace {:x?} got {:?}, already {:x?}'s",
                        stored,
                        h,
                        other
                    );
                }
                self.handles.insert(stored.to_vec(), h);
                self.by_handle.insert(h, stored.to_vec());
                self.order.push(stored.to_vec());
            }
            (Err(e), Some(_)) => {
                prop_assert!(
                    false,
                    "{:?} save of a stored trace failed with {:?}",
                    alloc,
                    e
                );
            }
            (Err(e @ (SaveError::NoReserve | SaveError::Contended)), None)
                if alloc == Alloc::NoWait =>
            {
                if e == SaveError::NoReserve {
                    self.no_reserve += 1;
                } else {
                    self.contended += 1;
                }
                self.refused_overlong += u64::from(frames.len() > max);
                return Ok(());
            }
            (Err(e), None) => {
                prop_assert!(false, "{:?} save of a new trace failed with {:?}", alloc, e);
            }
        }
        if frames.len() > max {
            self.truncated += 1;
        }
        Ok(())
    }

    fn check(&mut self, depot: &StackDepot) -> Result<(), TestCaseError> {
        for (trace, &h) in &self.handles {
            let got = depot.fetch(h);
            prop_assert_eq!(got, Some(trace.as_slice()), "{:?} lost its trace", h);
            let addr = got.map_or(std::ptr::null(), <[usize]>::as_ptr);
            let first = *self.addresses.entry(h).or_insert(addr);
            prop_assert_eq!(first, addr, "{:?} moved", h);
        }
        let s = depot.stats();
        let frames: u64 = self.handles.keys().map(|t| t.len() as u64).sum();
        prop_assert_eq!(s.traces, self.handles.len() as u64, "traces\n{}", s);
        prop_assert_eq!(s.frames, frames, "frames\n{}", s);
        prop_assert_eq!(s.saves, self.saves, "saves\n{}", s);
        prop_assert_eq!(s.dedup_hits, self.hits, "dedup_hits\n{}", s);
        prop_assert!(
            (self.truncated..=self.truncated + self.refused_overlong).contains(&s.truncated),
            "truncated: expected {} (+ up to {} refused overlong saves)\n{}",
            self.truncated,
            self.refused_overlong,
            s
        );
        prop_assert_eq!(s.empty, self.empty, "empty\n{}", s);
        prop_assert_eq!(s.no_reserve, self.no_reserve, "no_reserve\n{}", s);
        prop_assert_eq!(s.contended, self.contended, "contended\n{}", s);
        prop_assert_eq!(
            (
                s.cap_reached,
                s.map_failed,
                s.handle_space_exhausted,
                s.lost_races
            ),
            (0, 0, 0, 0),
            "{}",
            s
        );
        assert_stats_relations(&s, depot.config());
        Ok(())
    }
}

fn run(config: Config, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let depot = StackDepot::with_config(config).expect("valid config");
    let mut model = Model::default();
    let traces = |m: &Model| m.handles.keys().cloned().collect();
    for op in ops {
        match op {
            Op::Save(t) => model.save(&depot, &t, Alloc::MayAlloc)?,
            Op::SaveNoWait(t) => model.save(&depot, &t, Alloc::NoWait)?,
            Op::Resave { pick, no_wait } => {
                if let Some(t) = model.pick(pick).cloned() {
                    let alloc = if no_wait {
                        Alloc::NoWait
                    } else {
                        Alloc::MayAlloc
                    };
                    model.save(&depot, &t, alloc)?;
                }
            }
            Op::FetchStored { pick } => {
                if let Some(t) = model.pick(pick) {
                    let h = model.handles[t];
                    prop_assert_eq!(depot.fetch(h), Some(t.as_slice()));
                }
            }
            Op::Refill => prop_assert_eq!(depot.refill(), Ok(())),
            Op::Burst {
                first,
                count,
                len,
                no_wait,
            } => {
                let alloc = if no_wait {
                    Alloc::NoWait
                } else {
                    Alloc::MayAlloc
                };
                for i in usize::from(first)..usize::from(first) + usize::from(count) {
                    model.save(&depot, &burst_trace(i, usize::from(len)), alloc)?;
                }
            }
            Op::FetchForged(raw) => {
                check_unvouched_fetch(&depot, raw, &traces(&model));
            }
            Op::FetchNear { pick, delta } => {
                if let Some(t) = model.pick(pick) {
                    let raw = model.handles[t]
                        .to_raw()
                        .wrapping_add_signed(i32::from(delta));
                    check_unvouched_fetch(&depot, raw, &traces(&model));
                }
            }
        }
        model.check(&depot)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn depot_behaves_like_a_map(variant in 0..3usize, ops in prop::collection::vec(op(), 1..120)) {
        let config = match variant {
            0 => Config::tiny(),
            1 => Config::tiny().reserve_slabs(0),
            _ => Config::tiny().index_shards(1),
        };
        run(config, ops)?;
    }
}
