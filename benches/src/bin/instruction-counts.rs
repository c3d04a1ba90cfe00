//! `instruction-counts`: the loops whose instruction counts the docs quote, for
//! `scripts/instructions.sh` to run under callgrind (counts are deterministic, unlike
//! times on a shared machine).
//!
//! ```text
//! instruction-counts <case> <iterations>
//! ```
//!
//! Every case does the same setup whatever the iteration count, so the difference
//! between two runs divided by the difference in iterations is the cost of one
//! iteration. Cases:
//!
//! - `lockdep-mutex`: lock + unlock of a `lockdep_graph` wrapped mutex, chain cached;
//! - `parking-lot-mutex`: the same on a bare `parking_lot::Mutex`;
//! - `depot-hit`: `StackDepot::save` of a stored 24-frame trace;
//! - `foldhash-24`: the depot's hash of 24 frames (foldhash, fixed seed);
//! - `xxh3-24`: `xxh3_64` of the same 192 bytes.

use std::hash::{BuildHasher, Hasher};
use std::hint::black_box;
use std::process::ExitCode;

use lockdep_graph::wrappers::{LockClass, Mutex};
use lockdep_graph::{Validator, ValidatorConfig};
use stackdepot::StackDepot;

const FRAMES: [usize; 24] = {
    let mut f = [0usize; 24];
    let mut i = 0;
    while i < 24 {
        f[i] = 0xffff_ffff_8100_0000 + i * 0x1234;
        i += 1;
    }
    f
};

fn frame_bytes() -> &'static [u8] {
    // SAFETY: `usize` has no padding; the byte view covers exactly `FRAMES`, a static.
    unsafe { std::slice::from_raw_parts(FRAMES.as_ptr().cast::<u8>(), size_of_val(&FRAMES)) }
}

#[inline(never)]
fn lockdep_mutex(m: &Mutex<u64>, n: u64) {
    for _ in 0..n {
        *black_box(m).lock() += 1;
    }
}

#[inline(never)]
fn parking_lot_mutex(m: &parking_lot::Mutex<u64>, n: u64) {
    for _ in 0..n {
        *black_box(m).lock() += 1;
    }
}

#[inline(never)]
fn depot_hit(depot: &StackDepot, n: u64) -> u32 {
    let mut sum = 0u32;
    for _ in 0..n {
        if let Ok(h) = depot.save(black_box(&FRAMES)) {
            sum = sum.wrapping_add(h.to_raw());
        }
    }
    sum
}

#[inline(never)]
fn foldhash_24(n: u64) -> u64 {
    let state = foldhash::fast::FixedState::with_seed(0x9747_b28c_9747_b28c);
    let mut sum = 0u64;
    for _ in 0..n {
        let mut h = state.build_hasher();
        h.write(black_box(frame_bytes()));
        sum = sum.wrapping_add(h.finish());
    }
    sum
}

#[inline(never)]
fn xxh3_24(n: u64) -> u64 {
    let mut sum = 0u64;
    for _ in 0..n {
        sum = sum.wrapping_add(xxhash_rust::xxh3::xxh3_64(black_box(frame_bytes())));
    }
    sum
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let case = args.next().unwrap_or_default();
    let Some(n) = args.next().and_then(|a| a.parse::<u64>().ok()) else {
        eprintln!("usage: instruction-counts <case> <iterations>");
        return ExitCode::from(2);
    };
    // The same setup for every case and count.
    let validator: &'static Validator =
        Box::leak(Box::new(Validator::new(ValidatorConfig::default())));
    let wrapped = Mutex::with_class_and_validator(LockClass::named("counted"), validator, 0u64);
    let bare = parking_lot::Mutex::new(0u64);
    let depot = StackDepot::new();
    if depot.save(&FRAMES).is_err() {
        eprintln!("instruction-counts: the depot refused the trace");
        return ExitCode::FAILURE;
    }
    *wrapped.lock() += 1; // validate the chain once: every counted lock hits the cache
    match case.as_str() {
        "lockdep-mutex" => lockdep_mutex(&wrapped, n),
        "parking-lot-mutex" => parking_lot_mutex(&bare, n),
        "depot-hit" => {
            black_box(depot_hit(&depot, n));
        }
        "foldhash-24" => {
            black_box(foldhash_24(n));
        }
        "xxh3-24" => {
            black_box(xxh3_24(n));
        }
        _ => {
            eprintln!(
                "unknown case {case:?}: lockdep-mutex, parking-lot-mutex, depot-hit, foldhash-24, xxh3-24"
            );
            return ExitCode::from(2);
        }
    }
    black_box((&wrapped, &bare, &depot));
    ExitCode::SUCCESS
}
