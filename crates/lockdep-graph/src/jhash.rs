//! Bob Jenkins' lookup3 mixing as the kernel uses it (`include/linux/jhash.h`): `jhash2` over
//! 32-bit words for trace dedup, and lockdep's `iterate_chain_key`.

const JHASH_INITVAL: u32 = 0xdead_beef;

#[inline(always)]
fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(4);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(6);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(8);
    *b = b.wrapping_add(*a);
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(16);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(19);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(4);
    *b = b.wrapping_add(*a);
}

#[inline(always)]
fn finalize(a: &mut u32, b: &mut u32, c: &mut u32) {
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(14));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(11));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(25));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(16));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(4));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(14));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(24));
}

/// The kernel's `jhash(frames, n * sizeof(long), 0)` on a little-endian 64-bit machine: each
/// frame is fed as its low then high 32-bit half (equal to `jhash2` over those words).
pub(crate) fn jhash_frames(frames: &[usize], initval: u32) -> u32 {
    let words = frames.iter().flat_map(|&f| {
        let f = f as u64;
        [f as u32, (f >> 32) as u32]
    });
    let len = frames.len() * 2;
    let init = JHASH_INITVAL
        .wrapping_add((len as u32) << 2)
        .wrapping_add(initval);
    let (mut a, mut b, mut c) = (init, init, init);
    let mut rest = len;
    let mut it = words;
    while rest > 3 {
        a = a.wrapping_add(it.next().unwrap_or(0));
        b = b.wrapping_add(it.next().unwrap_or(0));
        c = c.wrapping_add(it.next().unwrap_or(0));
        mix(&mut a, &mut b, &mut c);
        rest -= 3;
    }
    if rest > 0 {
        a = a.wrapping_add(it.next().unwrap_or(0));
        if rest > 1 {
            b = b.wrapping_add(it.next().unwrap_or(0));
        }
        if rest > 2 {
            c = c.wrapping_add(it.next().unwrap_or(0));
        }
        finalize(&mut a, &mut b, &mut c);
    }
    c
}

/// lockdep's `INITIAL_CHAIN_KEY`.
pub(crate) const INITIAL_CHAIN_KEY: u64 = u64::MAX;

/// lockdep's `iterate_chain_key(key, idx)`: one `__jhash_mix` of `idx` with the two halves of
/// the running key.
#[inline]
pub(crate) fn iterate_chain_key(key: u64, id: u32) -> u64 {
    let mut a = id;
    let mut k0 = key as u32;
    let mut k1 = (key >> 32) as u32;
    mix(&mut a, &mut k0, &mut k1);
    u64::from(k0) | (u64::from(k1) << 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jhash_depends_on_every_word_and_length() {
        let base = jhash_frames(&[1, 2, 3, 4, 5], 0);
        assert_ne!(base, jhash_frames(&[1, 2, 3, 4, 6], 0));
        assert_ne!(base, jhash_frames(&[1, 2, 3, 4], 0));
        assert_ne!(base, jhash_frames(&[1, 2, 3, 4, 5 | (1 << 40)], 0));
        assert_eq!(base, jhash_frames(&[1, 2, 3, 4, 5], 0));
        // Zero length: no mixing at all, the initial value comes back.
        assert_eq!(jhash_frames(&[], 0), JHASH_INITVAL);
    }

    #[test]
    fn chain_key_is_order_sensitive() {
        let ab = iterate_chain_key(iterate_chain_key(INITIAL_CHAIN_KEY, 1), 2);
        let ba = iterate_chain_key(iterate_chain_key(INITIAL_CHAIN_KEY, 2), 1);
        assert_ne!(ab, ba);
    }
}
