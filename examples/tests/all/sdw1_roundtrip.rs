//! SDW1 writer -> reader round trips.

use proptest::prelude::*;
use stackdepot_examples::sdw1::{HEADER_LEN, MAGIC, Sdw1, Sdw1Builder};

fn build(saves: &[Vec<usize>]) -> Sdw1 {
    let mut b = Sdw1Builder::new();
    for s in saves {
        b.save(s);
    }
    b.finish()
}

#[test]
fn builder_dedups_and_the_file_reads_back_identically() {
    let a = vec![0xffff_ffff_8100_1234, 0xffff_ffff_8100_5678];
    let b = vec![1, 2, 3];
    let sdw = build(&[a.clone(), b.clone(), a.clone(), a.clone(), b.clone()]);
    assert_eq!(sdw.n_traces(), 2);
    assert_eq!(sdw.events(), &[0, 1, 0, 0, 1]);
    assert_eq!(sdw.trace(0), Some(&a[..]));
    assert_eq!(sdw.trace(2), None);
    let saves: Vec<&[usize]> = sdw.saves().collect();
    assert_eq!(saves, vec![&a[..], &b[..], &a[..], &a[..], &b[..]]);

    let bytes = sdw.to_bytes();
    assert_eq!(&bytes[..4], &MAGIC);
    assert_eq!(bytes.len(), HEADER_LEN + (4 + 16) + (4 + 24) + 5 * 4);
    let back = Sdw1::from_bytes(&bytes).expect("valid file");
    assert_eq!(back, sdw);

    let s = back.summary();
    assert_eq!((s.traces, s.events, s.frames), (2, 5, 5));
    assert!((s.hit_ratio - 0.6).abs() < 1e-9);
    assert_eq!(s.fixed_array_words, 3 * 2 + 5);
}

#[test]
fn empty_saves_are_not_recorded() {
    let mut b = Sdw1Builder::new();
    assert_eq!(b.save(&[]), None);
    assert_eq!(b.save(&[7]), Some(0));
    let sdw = b.finish();
    assert_eq!((sdw.n_traces(), sdw.n_events()), (1, 1));
}

#[test]
fn an_empty_workload_round_trips() {
    let sdw = Sdw1Builder::new().finish();
    assert_eq!(Sdw1::from_bytes(&sdw.to_bytes()).expect("valid"), sdw);
}

#[test]
fn files_round_trip_through_the_filesystem() {
    let sdw = build(&[vec![5, 6, 7], vec![8], vec![5, 6, 7]]);
    let path = std::env::temp_dir().join(format!("sdw1-roundtrip-{}.sdw1", std::process::id()));
    sdw.write_path(&path).expect("write");
    let back = Sdw1::read_path(&path).expect("read");
    let _ = std::fs::remove_file(&path);
    assert_eq!(back, sdw);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arbitrary_save_sequences_round_trip(
        saves in proptest::collection::vec(proptest::collection::vec(any::<usize>(), 1..12), 0..40),
        repeats in proptest::collection::vec(any::<prop::sample::Index>(), 0..60),
    ) {
        let mut all = saves.clone();
        if !saves.is_empty() {
            all.extend(repeats.iter().map(|i| saves[i.index(saves.len())].clone()));
        }
        let sdw = build(&all);
        let back = Sdw1::from_bytes(&sdw.to_bytes()).expect("own output is valid");
        prop_assert_eq!(&back, &sdw);
        let replay: Vec<Vec<usize>> = back.saves().map(<[usize]>::to_vec).collect();
        prop_assert_eq!(replay, all);
    }

    #[test]
    fn damaged_files_are_errors_not_panics(
        saves in proptest::collection::vec(proptest::collection::vec(any::<usize>(), 1..6), 1..10),
        cut in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let bytes = build(&saves).to_bytes();
        // Truncation anywhere is always an error.
        let n = cut.index(bytes.len());
        prop_assert!(Sdw1::from_bytes(&bytes[..n]).is_err());
        // A changed byte is a clean error or still a valid file (a frame value changed), which
        // then reads as exactly those bytes.
        let mut damaged = bytes.clone();
        let i = flip.index(damaged.len());
        damaged[i] = byte;
        if let Ok(sdw) = Sdw1::from_bytes(&damaged) {
            prop_assert_eq!(sdw.to_bytes(), damaged);
        }
    }
}
