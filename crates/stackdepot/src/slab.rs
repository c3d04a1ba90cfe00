//! Slabs: page-multiple mappings that records are bump-allocated from.

/// Words at the start of a slab before the first record: the slab's own mapping
/// handle (2 words) and a bitmap with one bit per word of the slab.
pub(crate) const fn header_words(slab_words: usize) -> usize {
    2 + slab_words.div_ceil(64)
}
