//! Invalid configurations are refused with the `ConfigError` of the field at
//! fault, by both `Config::validate` and `StackDepot::with_config`, never with a panic.

use stackdepot::{Config, ConfigError, StackDepot};

/// Asserts `config` is refused and returns the error, checking that
/// `validate`, `layout` and `with_config` agree.
fn refused(config: Config) -> ConfigError {
    let from_validate = config
        .validate()
        .expect_err(&format!("validate must refuse {config:?}"));
    assert_eq!(config.layout().err(), Some(from_validate.clone()));
    let from_new = match StackDepot::with_config(config.clone()) {
        Ok(_) => panic!("with_config accepted {config:?}"),
        Err(e) => e,
    };
    assert_eq!(
        from_new, from_validate,
        "with_config and validate disagree on {config:?}"
    );
    assert!(!from_new.to_string().is_empty());
    from_new
}

fn bases() -> [Config; 2] {
    [Config::default(), Config::tiny()]
}

#[test]
fn defaults_and_tiny_are_valid() {
    for config in bases() {
        let layout = config.validate().expect("valid");
        assert_eq!(config.layout(), Ok(layout));
        let depot = StackDepot::with_config(config.clone()).expect("valid");
        assert_eq!(depot.config(), &config);
        assert_eq!(depot.layout(), layout);
    }
    assert_eq!(StackDepot::new().config(), &Config::default());
    assert_eq!(StackDepot::default().config(), &Config::default());
    assert_eq!(Config::default().layout(), Ok(stackdepot::DEFAULT_LAYOUT));
}

#[test]
fn slab_size_must_be_a_power_of_two_page_multiple() {
    for base in bases() {
        for size in [
            0usize,
            1,
            64,
            2048,
            3000,
            4095,
            4097,
            3 * 4096,
            5 * 4096,
            4096 * 1000,
            usize::MAX,
        ] {
            match refused(base.clone().slab_size(size)) {
                ConfigError::SlabSize { slab_size, .. } => assert_eq!(slab_size, size),
                other => panic!("slab_size {size}: expected SlabSize, got {other:?}"),
            }
        }
    }
}

#[test]
fn slab_sizes_that_leave_no_slab_index_bits_are_refused() {
    // 2^30-byte slabs need 27 offset bits; with 5 caller bits nothing is left.
    for (size, caller) in [
        (1usize << 30, 5u32),
        (1 << 31, 5),
        (1 << 29, 8),
        (1 << 28, 8),
    ] {
        match refused(Config::default().slab_size(size).caller_bits(caller)) {
            ConfigError::LayoutOverflow { .. }
            | ConfigError::SlabSize { .. }
            | ConfigError::MaxFrames { .. } => {}
            other => panic!("slab_size {size} caller_bits {caller}: unexpected {other:?}"),
        }
    }
    assert!(matches!(
        refused(Config::default().slab_size(1 << 30)),
        ConfigError::LayoutOverflow { slab_size, caller_bits: 5 } if slab_size == 1 << 30
    ));
}

#[test]
fn caller_bits_above_eight_are_refused() {
    for base in bases() {
        for bits in [9u32, 16, 31, 32, 33, u32::MAX] {
            assert_eq!(
                refused(base.clone().caller_bits(bits)),
                ConfigError::CallerBits(bits)
            );
        }
        for bits in 0..=8 {
            assert!(
                StackDepot::with_config(base.clone().caller_bits(bits)).is_ok(),
                "{bits} caller bits are allowed"
            );
        }
    }
}

#[test]
fn max_frames_must_be_positive_and_fit_a_slab() {
    for base in bases() {
        let slab_words = base.slab_size / 8;
        for frames in [
            0usize,
            slab_words,
            slab_words + 1,
            u32::MAX as usize + 1,
            usize::MAX / 8,
            usize::MAX,
        ] {
            match refused(base.clone().max_frames(frames)) {
                ConfigError::MaxFrames { max_frames, fits } => {
                    assert_eq!(max_frames, frames);
                    assert!(
                        fits >= 1 && fits < slab_words,
                        "fits {fits} for {slab_words}-word slabs"
                    );
                }
                other => panic!("max_frames {frames}: expected MaxFrames, got {other:?}"),
            }
        }
    }
}

#[test]
fn reserve_above_the_limit_is_refused() {
    for base in bases() {
        for n in [Config::MAX_RESERVE_SLABS + 1, 1 << 20, usize::MAX] {
            assert_eq!(
                refused(base.clone().reserve_slabs(n)),
                ConfigError::ReserveSlabs(n)
            );
        }
        for n in [0, 1, Config::MAX_RESERVE_SLABS] {
            assert!(
                base.clone().reserve_slabs(n).validate().is_ok(),
                "reserve_slabs {n} is within the limit"
            );
        }
    }
}

#[test]
fn index_shards_must_be_a_power_of_two_up_to_256() {
    for base in bases() {
        for n in [0usize, 3, 6, 100, 255, 257, 512, 1 << 20, usize::MAX] {
            assert_eq!(
                refused(base.clone().index_shards(n)),
                ConfigError::IndexShards(n)
            );
        }
        for n in [1usize, 2, 64, Config::MAX_INDEX_SHARDS] {
            assert!(
                StackDepot::with_config(base.clone().index_shards(n)).is_ok(),
                "{n} shards"
            );
        }
    }
}

#[test]
fn initial_index_slots_must_be_a_power_of_two_of_at_least_eight() {
    for base in bases() {
        for n in [0usize, 1, 2, 4, 7, 9, 12, 1000, 1 << 25, usize::MAX] {
            assert_eq!(
                refused(base.clone().initial_index_slots(n)),
                ConfigError::IndexSlots(n)
            );
        }
        for n in [8usize, 16, 4096] {
            assert!(
                StackDepot::with_config(base.clone().initial_index_slots(n)).is_ok(),
                "{n} slots"
            );
        }
    }
}

#[test]
fn memory_cap_below_the_starting_footprint_is_refused() {
    // Configs whose starting footprint differs: index tables larger than a page,
    // many shards, no reserve. Every config is checked and all problems reported.
    let configs = [
        Config::default(),
        Config::tiny(),
        Config::tiny().reserve_slabs(0),
        Config::tiny().initial_index_slots(4096),
        Config::default().index_shards(256),
    ];
    let mut problems = Vec::new();
    for base in configs {
        let mut reported = Vec::new();
        for cap in [0usize, 1, 4096, base.slab_size] {
            match refused(base.clone().memory_cap(Some(cap))) {
                ConfigError::MemoryCap { cap: c, min } => {
                    assert_eq!(c, cap);
                    assert!(min > cap);
                    reported.push(min);
                }
                other => panic!("memory_cap {cap}: expected MemoryCap, got {other:?}"),
            }
        }
        let min = reported[0];
        assert!(
            reported.iter().all(|&m| m == min),
            "the starting footprint does not depend on the cap asked for: {reported:?}"
        );
        // The reported minimum is "the smallest cap this config can start with".
        match StackDepot::with_config(base.clone().memory_cap(Some(min))) {
            Ok(depot) => {
                let stats = depot.stats();
                assert!(stats.bytes_mapped <= min as u64, "{stats}");
            }
            Err(e) => problems.push(format!(
                "{base:?}: a small cap is refused with min {min}, but a cap of {min} fails: {e}"
            )),
        }
        assert!(
            StackDepot::with_config(base.clone().memory_cap(Some(min - 1))).is_err(),
            "one byte below the reported minimum {min} must be refused"
        );
        assert!(StackDepot::with_config(base.clone().memory_cap(Some(usize::MAX))).is_ok());
        assert!(StackDepot::with_config(base.memory_cap(None)).is_ok());
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_starting_footprint_grows_with_the_reserve() {
    let min_for = |reserve: usize| match Config::tiny()
        .reserve_slabs(reserve)
        .memory_cap(Some(0))
        .validate()
    {
        Err(ConfigError::MemoryCap { min, .. }) => min,
        other => panic!("cap 0 must be refused with MemoryCap, got {other:?}"),
    };
    let slab = Config::tiny().slab_size;
    assert!(min_for(4) >= min_for(1) + 3 * slab);
}
