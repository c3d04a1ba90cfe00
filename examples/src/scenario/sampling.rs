//! The few distributions the generator draws from, on a seeded `Xoshiro256PlusPlus`.

use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;

/// The generator's RNG: explicit algorithm, so a seed means the same stream on every platform.
pub(crate) type Rng = Xoshiro256PlusPlus;

/// A Zipf-like popularity law over `n` items: item `k` has weight `1 / (k + 1)^exponent`.
#[derive(Clone, Debug)]
pub(crate) struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    pub(crate) fn new(n: usize, exponent: f64) -> Zipf {
        let mut acc = 0.0;
        let cdf = (0..n.max(1))
            .map(|k| {
                acc += 1.0 / ((k + 1) as f64).powf(exponent);
                acc
            })
            .collect();
        Zipf { cdf }
    }

    /// An item index in `0..n`.
    pub(crate) fn sample(&self, rng: &mut Rng) -> usize {
        let total = self.cdf.last().copied().unwrap_or(1.0);
        let x = rng.random_range(0.0..total);
        self.cdf
            .partition_point(|&c| c <= x)
            .min(self.cdf.len() - 1)
    }
}

/// A normal draw (Box–Muller) clamped into `lo..=hi` and rounded.
pub(crate) fn clamped_normal(rng: &mut Rng, mean: f64, sd: f64, lo: usize, hi: usize) -> usize {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random_range(0.0..1.0);
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    let x = (mean + sd * z).round();
    (x.max(lo as f64) as usize).min(hi)
}

/// SplitMix64 finaliser: a well-mixed hash of one word, for deriving stable values from ids.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// An index among the `n` items seen so far, item `k` (in order of first appearance) with
/// weight `1 / (k + 1)^exponent`: early items recur most. Inverse-CDF sampling of the
/// continuous law on `[1, n + 1)` for a uniform `u` in `[0, 1)`, O(1); `exponent` must not be 1.
pub(crate) fn popular_index(n: usize, exponent: f64, u: f64) -> usize {
    let e = 1.0 - exponent;
    let top = ((n + 1) as f64).powf(e);
    let x = (1.0 + u * (top - 1.0)).powf(1.0 / e);
    (x as usize).saturating_sub(1).min(n.saturating_sub(1))
}
