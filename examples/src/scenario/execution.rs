//! One run of a code path: the concrete classes and lock objects it meets this time, as the
//! sequence of acquisitions and releases its thread performs.

use lockdep_graph::{AcquireOpts, LockInstance};
use rand::RngExt;

use super::classes::ClassUniverse;
use super::event::EventKind;
use super::sampling::Rng;
use super::template::Template;

/// The events of one execution of `template`, in order; every lock taken is released.
pub(crate) fn script(
    template: &Template,
    classes: &ClassUniverse,
    rng: &mut Rng,
) -> Vec<EventKind> {
    let mut out = Vec::with_capacity(template.steps.len() * 2);
    let mut held: Vec<LockInstance> = Vec::with_capacity(template.steps.len());
    for step in &template.steps {
        for _ in 0..step.release_before {
            if let Some(lock) = held.pop() {
                out.push(EventKind::Release { lock });
            }
        }
        let fam = &classes.families[step.family as usize];
        let class = fam.pick_member(rng);
        let object = rng.random_range(0..fam.instances);
        let lock = LockInstance {
            class: classes.classes[class as usize].key,
            id: classes.instance_id(class, object),
        };
        let opts = AcquireOpts {
            trylock: step.trylock,
            ..AcquireOpts::default()
        };
        out.push(EventKind::Acquire {
            lock,
            mode: step.mode,
            opts,
            frames: step.frames.clone(),
        });
        held.push(lock);
    }
    while let Some(lock) = held.pop() {
        out.push(EventKind::Release { lock });
    }
    out
}
