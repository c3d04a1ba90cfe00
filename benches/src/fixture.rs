//! A size's traces plus every store filled with them: what the hit, fetch and
//! two-thread benchmarks run against.

use crate::measure::populate;
use crate::stores::{AnyStore, StoreKind};
use crate::workload::{SizeSpec, TraceSet, random_indices};

/// Random trace indices walked by fetch loops (mapped to ids) and, gathered into
/// [`Fixture::input`], by hit loops. 2^20 entries: long enough that a loop never
/// settles into a cached pattern.
pub const ORDER_LEN: usize = 1 << 20;

/// Traces gathered into the hit loops' sequential input: the first `INPUT_LEN`
/// of the random order (about 48 MB at KASAN size: larger than the caches, so
/// each pass finds the store's data cold again, and streamed by the prefetcher).
pub const INPUT_LEN: usize = 1 << 18;

/// A store holding every trace of a size, with the ids it returned.
pub struct FilledStore {
    /// The store.
    pub store: AnyStore,
    /// `ids[i]` is the id of trace `i`.
    pub ids: Vec<u32>,
    /// The ids in the fixture's random order: `ids[order[j]]`.
    pub id_order: Vec<u32>,
}

/// A size's traces, a random order over them, and filled stores.
pub struct Fixture {
    /// The size.
    pub spec: SizeSpec,
    /// Its traces.
    pub traces: TraceSet,
    /// Random trace indices ([`ORDER_LEN`] of them).
    pub order: Vec<u32>,
    /// The traces of `order[..INPUT_LEN]` back to back: the hit loops' input.
    pub input: TraceSet,
    /// One filled store per kind asked for, in that order.
    pub stores: Vec<FilledStore>,
}

impl Fixture {
    /// Generates the size's traces and fills one store of each kind.
    /// Fails (with a message) if a store refuses a trace.
    pub fn build(spec: SizeSpec, kinds: &[StoreKind]) -> Result<Fixture, String> {
        let traces = spec.generate();
        let order = random_indices(traces.len(), ORDER_LEN, spec.seed ^ 0x0bde_7001);
        let input = traces.gather(&order[..INPUT_LEN.min(order.len())]);
        let mut stores = Vec::with_capacity(kinds.len());
        for &kind in kinds {
            stores.push(fill(kind, &traces, &order)?);
        }
        Ok(Fixture {
            spec,
            traces,
            order,
            input,
            stores,
        })
    }
}

/// A fresh store of `kind` filled with `traces`.
pub fn fill(kind: StoreKind, traces: &TraceSet, order: &[u32]) -> Result<FilledStore, String> {
    let store = kind.build(traces);
    let ids = populate(store.as_dyn(), traces)
        .map_err(|i| format!("{} refused trace {i} of {}", kind.name(), traces.len()))?;
    let id_order = order.iter().map(|&i| ids[i as usize]).collect();
    Ok(FilledStore {
        store,
        ids,
        id_order,
    })
}
