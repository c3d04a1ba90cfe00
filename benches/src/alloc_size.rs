//! Honest byte estimates for the baselines, which cannot report their own memory.
//!
//! The baselines live on the global allocator (glibc malloc here), so their cost is
//! what malloc hands out, not the requested sizes. The formulas:
//!
//! * **A heap block** of `n` requested bytes costs a glibc chunk:
//!   `max(32, round_up(n + 8, 16))` on 64-bit (an 8-byte size header, 16-byte
//!   alignment, 32-byte minimum chunk). Large blocks that malloc serves by `mmap`
//!   are page-rounded instead; the difference is under 0.1% at those sizes.
//! * **A hashbrown table** (std's `HashMap`, and each DashMap shard) with `buckets`
//!   slots of `elem` bytes is one block of `round_up(buckets * elem, 16) + buckets + 16`
//!   bytes (the data, one control byte per slot, and one trailing SIMD group).
//!   `buckets` is derived from `capacity()`: `capacity + 1` below 8 buckets,
//!   otherwise `capacity * 8 / 7` (hashbrown keeps tables at most 7/8 full).
//! * **A `Vec<T>`** costs one block of `capacity * size_of::<T>()` bytes.

/// glibc malloc's chunk size for a request of `n` bytes (64-bit).
pub fn malloc_chunk(n: usize) -> usize {
    (n + 8).next_multiple_of(16).max(32)
}

/// Slots of a hashbrown table whose `capacity()` is `capacity`.
pub fn hashbrown_buckets(capacity: usize) -> usize {
    match capacity {
        0 => 0,
        c if c < 7 => (c + 1).next_power_of_two(),
        c => (c * 8 / 7).next_power_of_two(),
    }
}

/// Bytes of one hashbrown table allocation (0 for an unallocated table).
pub fn hashbrown_table(capacity: usize, elem: usize) -> usize {
    let buckets = hashbrown_buckets(capacity);
    if buckets == 0 {
        return 0;
    }
    const GROUP_WIDTH: usize = 16;
    malloc_chunk((buckets * elem).next_multiple_of(GROUP_WIDTH) + buckets + GROUP_WIDTH)
}

/// Bytes of a `Vec` buffer with this capacity and element size.
pub fn vec_buffer(capacity: usize, elem: usize) -> usize {
    if capacity == 0 || elem == 0 {
        0
    } else {
        malloc_chunk(capacity * elem)
    }
}

/// Bytes of a boxed slice of `len` words.
pub fn boxed_words(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        malloc_chunk(len * size_of::<usize>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn malloc_chunks_round_like_glibc() {
        assert_eq!(malloc_chunk(1), 32);
        assert_eq!(malloc_chunk(24), 32);
        assert_eq!(malloc_chunk(25), 48);
        assert_eq!(malloc_chunk(168), 176);
    }

    #[test]
    fn buckets_match_std_hashmap_capacity() {
        // capacity() is what the formula inverts; check it round-trips for real tables.
        for n in [1usize, 3, 7, 8, 100, 1_000, 22_000] {
            let m: HashMap<u64, u64> = HashMap::with_capacity(n);
            let b = hashbrown_buckets(m.capacity());
            assert!(b.is_power_of_two());
            assert!(
                b * 7 / 8 >= n || b > n,
                "n {n} capacity {} buckets {b}",
                m.capacity()
            );
            // Inverting capacity() must land on the table's real bucket count, so the
            // capacity that count implies is exactly what std reports.
            let implied = if b < 8 { b - 1 } else { b / 8 * 7 };
            assert_eq!(implied, m.capacity(), "n {n}");
        }
    }
}
