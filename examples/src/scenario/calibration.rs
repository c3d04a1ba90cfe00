//! Every tuning constant of the generator, in one place, with the figure it was tuned against.
//!
//! Targets (the RFC's /proc/lockdep_stats at the 2^19-entry overflow): 22080 stack traces of
//! ≈20.7 frames, 2811 lock classes, 45270 direct dependencies, 164665 dependency chains, at
//! ≈14 h of a desktop session. The measured outcome is in docs/scenario.md.

/// Simulated hours in one session (`length` 1); the stream runs `length` sessions.
pub(crate) const SESSION_HOURS: f64 = 24.0;
/// The hour at which the 2^19-word array is meant to overflow at scale 1.
pub(crate) const OVERFLOW_HOUR: f64 = 14.0;
/// Lock events (acquisitions and releases) per simulated hour at scale 1.
pub(crate) const EVENTS_PER_HOUR: f64 = 200_000.0;

/// Chance that an execution starts a never-seen code path at the overflow hour; earlier it is
/// higher and later lower, following `(hour / OVERFLOW_HOUR)^(DISCOVERY_EXPONENT - 1)`, so the
/// number of code paths seen grows like `hour^DISCOVERY_EXPONENT` (a session keeps finding new
/// paths, ever more slowly). The rate does not depend on `scale`, which makes the number of
/// paths (and traces) proportional to the number of events.
pub(crate) const DISCOVERY_RATE: f64 = 0.0262;
/// Growth exponent of the number of distinct code paths over time.
pub(crate) const DISCOVERY_EXPONENT: f64 = 0.7;

/// Stack depth of a lock site: a normal law clamped into `DEPTH_MIN..=DEPTH_MAX`.
pub(crate) const DEPTH_MEAN: f64 = 20.67;
/// Standard deviation of the depth law.
pub(crate) const DEPTH_SD: f64 = 5.0;
/// Shortest trace (entry frames + one function + primitive + `lock_acquire`).
pub(crate) const DEPTH_MIN: usize = 10;
/// Longest trace.
pub(crate) const DEPTH_MAX: usize = 48;

/// Relative frequency of code paths taking 1, 2, ... 8 locks.
pub(crate) const STEP_COUNT_WEIGHTS: [f64; 8] = [0.06, 0.12, 0.17, 0.18, 0.16, 0.12, 0.1, 0.09];
/// Chance that the next lock is taken while the previous one is still held (else it is
/// released first).
pub(crate) const NEST_PROBABILITY: f64 = 0.85;
/// Chance that a non-first lock of a path is a trylock.
pub(crate) const TRYLOCK_PROBABILITY: f64 = 0.02;
/// Code paths in flight at once (interleaved events of different threads).
pub(crate) const SLOTS: usize = 4;

/// Subsystems (drivers, filesystems, protocols) at scale 1; scaled down with `scale`.
pub(crate) const SUBSYSTEMS: usize = 32;
/// Floor for small scales.
pub(crate) const MIN_SUBSYSTEMS: usize = 2;
/// Families each subsystem owns.
pub(crate) const FAMILIES_PER_SUBSYSTEM: usize = 12;
/// Chance that a lock site takes a core class rather than one of its subsystem's.
pub(crate) const CORE_SITE_PROBABILITY: f64 = 0.35;
/// Popularity skew of subsystems, of families inside a subsystem, of core families and of the
/// members of a family.
pub(crate) const SUBSYSTEM_ZIPF: f64 = 0.6;
/// Popularity skew of a subsystem's families.
pub(crate) const FAMILY_ZIPF: f64 = 1.0;
/// Popularity skew of the core families.
pub(crate) const CORE_ZIPF: f64 = 1.0;
/// Popularity skew of a family's members.
pub(crate) const MEMBER_ZIPF: f64 = 0.85;
/// Share of subsystem families of size 1, 2–4 and 5–16 (the rest are 17–48).
pub(crate) const FAMILY_SIZE_SPLIT: [f64; 3] = [0.45, 0.3, 0.18];
/// Subsystem families ranked below this (the outer third) ...
pub(crate) const OUTER_RANK: f64 = 0.4;
/// ... are this many times larger.
pub(crate) const OUTER_SIZE_FACTOR: usize = 2;
/// Popularity skew of code paths by discovery order when an execution reruns a known path
/// (must not be 1.0).
pub(crate) const REUSE_ZIPF: f64 = 1.15;
