//! The traces look like kernel stacks: depth around 20.7, shared outer frames, varied inner ones.

use std::collections::HashMap;

use stackdepot_examples::scenario::Scenario;

use crate::support::{distinct_traces, events, small};

#[test]
fn distinct_trace_depth_averages_about_20_7_frames() {
    let traces = distinct_traces(&events(small(21, 0.05)));
    assert!(traces.len() > 2_000, "only {} traces", traces.len());
    let mean = traces.iter().map(|t| t.len()).sum::<usize>() as f64 / traces.len() as f64;
    assert!((20.2..21.2).contains(&mean), "mean depth {mean:.2}");
    let min = traces.iter().map(|t| t.len()).min().unwrap_or(0);
    let max = traces.iter().map(|t| t.len()).max().unwrap_or(0);
    // Spread, not a constant depth.
    assert!(min <= 12 && max >= 32, "depths {min}..={max}");
}

#[test]
fn depth_at_full_scale_averages_about_20_7_frames() {
    // Only the first simulated hour of the full-size session: enough traces, cheap to generate.
    let s = Scenario::new(stackdepot_examples::scenario::ScenarioConfig::default()).expect("valid");
    let n = s.events_per_hour() as usize;
    let evs: Vec<_> = s.take(n).collect();
    let traces = distinct_traces(&evs);
    assert!(traces.len() > 5_000, "only {} traces", traces.len());
    let mean = traces.iter().map(|t| t.len()).sum::<usize>() as f64 / traces.len() as f64;
    assert!((20.3..21.1).contains(&mean), "mean depth {mean:.2}");
}

#[test]
fn many_traces_share_their_outermost_frames() {
    let traces = distinct_traces(&events(small(22, 0.02)));
    let mut by_outer: HashMap<&[usize], usize> = HashMap::new();
    for t in &traces {
        let outer = &t[t.len() - 3..];
        *by_outer.entry(outer).or_default() += 1;
    }
    let biggest = by_outer.values().copied().max().unwrap_or(0);
    // Syscall entry, worker loop, fault and kthread paths: few distinct outermost triples.
    assert!(
        by_outer.len() * 10 < traces.len(),
        "{} outer triples for {} traces",
        by_outer.len(),
        traces.len()
    );
    assert!(
        biggest * 6 > traces.len(),
        "largest group {biggest} of {}",
        traces.len()
    );
}

#[test]
fn outer_frames_are_entry_code() {
    let s = Scenario::new(small(23, 0.01)).expect("valid");
    let sym = Scenario::new(small(23, 0.01)).expect("valid");
    let entries = [
        "entry_SYSCALL_64_after_hwframe",
        "asm_exc_page_fault",
        "ret_from_fork_asm",
    ];
    let mut n = 0;
    for e in s.take(5_000) {
        if let Some(f) = e.frames() {
            let (outer, _) = sym.symbolize(f[f.len() - 1]).expect("symbolizes");
            assert!(
                entries.contains(&outer.as_str()),
                "outermost frame in {outer}"
            );
            n += 1;
        }
    }
    assert!(n > 1_000);
}

#[test]
fn inner_frames_vary_within_a_shared_outer_path() {
    let traces = distinct_traces(&events(small(24, 0.01)));
    let mut by_outer: HashMap<&[usize], Vec<&[usize]>> = HashMap::new();
    for t in &traces {
        by_outer.entry(&t[t.len() - 3..]).or_default().push(&t[..]);
    }
    let (_, group) = by_outer
        .iter()
        .max_by_key(|(_, g)| g.len())
        .expect("some traces");
    // Below the shared outer frames the traces diverge: many distinct frames at depth 5 from the top.
    let inner: std::collections::HashSet<usize> =
        group.iter().filter(|t| t.len() > 8).map(|t| t[4]).collect();
    assert!(
        inner.len() > 20,
        "only {} distinct inner frames in a group of {}",
        inner.len(),
        group.len()
    );
}
