//! The universe of lock classes a session can meet, grouped into families and globally ranked.
//!
//! A *family* is a set of classes one code site can take depending on the object it works on
//! (per-filesystem inode locks, per-device driver locks, dynamically keyed workqueues): the
//! trace is the same, the class differs, which is why lockdep stores fewer traces than edges.
//! Every family has a rank and every code path takes its locks in rank order, so the generated
//! graph stays acyclic; only the planted inversion breaks the order.

use std::collections::HashMap;

use lockdep_graph::ClassKey;
use rand::RngExt;

use super::calibration as cal;
use super::lock_kind::LockKind;
use super::names;
use super::sampling::{Rng, Zipf, mix64};

/// Index of a family in the universe.
pub(crate) type FamilyId = u32;

/// One lock class.
#[derive(Clone, Debug)]
pub(crate) struct Class {
    pub(crate) name: String,
    pub(crate) key: ClassKey,
}

/// Classes one code site can take.
#[derive(Clone, Debug)]
pub(crate) struct Family {
    /// Position in the global lock order (lower is taken first).
    pub(crate) rank: f64,
    pub(crate) kind: LockKind,
    /// Indices into [`ClassUniverse::classes`].
    pub(crate) members: Vec<u32>,
    member_popularity: Zipf,
    /// How many lock objects (instances) each class of the family has.
    pub(crate) instances: u32,
}

impl Family {
    /// A class of this family for one execution: a few members are hot, most are rare.
    pub(crate) fn pick_member(&self, rng: &mut Rng) -> u32 {
        self.members[self.member_popularity.sample(rng)]
    }
}

/// All classes and families of one scenario.
#[derive(Debug)]
pub(crate) struct ClassUniverse {
    pub(crate) classes: Vec<Class>,
    pub(crate) families: Vec<Family>,
    /// Core families (shared by every subsystem), most popular first.
    pub(crate) core: Vec<FamilyId>,
    core_popularity: Zipf,
    /// Families of each subsystem, most popular first.
    pub(crate) subsystems: Vec<Vec<FamilyId>>,
    subsystem_popularity: Zipf,
    family_popularity: Zipf,
}

impl ClassUniverse {
    /// Builds a universe sized for `scale`.
    pub(crate) fn new(scale: f64, rng: &mut Rng) -> ClassUniverse {
        let mut u = ClassUniverse {
            classes: Vec::new(),
            families: Vec::new(),
            core: Vec::new(),
            core_popularity: Zipf::new(1, 1.0),
            subsystems: Vec::new(),
            subsystem_popularity: Zipf::new(1, 1.0),
            family_popularity: Zipf::new(cal::FAMILIES_PER_SUBSYSTEM, cal::FAMILY_ZIPF),
        };
        let mut taken: HashMap<String, u32> = HashMap::new();

        // The core is the same kernel at every scale: shrinking it would make every subsystem
        // share fewer core locks, so dependencies (and traces) would shrink faster than `scale`.
        for &(name, outer) in names::CORE_CLASSES {
            let rank = if outer {
                rng.random_range(0.0..0.2)
            } else {
                rng.random_range(0.8..1.0)
            };
            let size = core_family_size(name, rng);
            let id = u.add_family(name, rank, size, &mut taken, rng);
            u.core.push(id);
        }
        u.core_popularity = Zipf::new(u.core.len(), cal::CORE_ZIPF);

        let n_sub = ((cal::SUBSYSTEMS as f64 * scale).round() as usize).max(cal::MIN_SUBSYSTEMS);
        for _ in 0..n_sub {
            let mut fams = Vec::with_capacity(cal::FAMILIES_PER_SUBSYSTEM);
            for _ in 0..cal::FAMILIES_PER_SUBSYSTEM {
                let o = names::CLASS_OBJECTS[rng.random_range(0..names::CLASS_OBJECTS.len())];
                let f = names::CLASS_FIELDS[rng.random_range(0..names::CLASS_FIELDS.len())];
                let name = format!("&{o}->{f}");
                let rank = rng.random_range(0.2..0.8);
                let size = subsystem_family_size(rank, rng);
                fams.push(u.add_family(&name, rank, size, &mut taken, rng));
            }
            u.subsystems.push(fams);
        }
        u.subsystem_popularity = Zipf::new(u.subsystems.len(), cal::SUBSYSTEM_ZIPF);
        u
    }

    fn add_family(
        &mut self,
        base: &str,
        rank: f64,
        size: usize,
        taken: &mut HashMap<String, u32>,
        rng: &mut Rng,
    ) -> FamilyId {
        let kind = LockKind::from_name(base);
        let mut members = Vec::with_capacity(size);
        for _ in 0..size {
            // lockdep prints distinct keys that share a name as name, name#2, name#3, ...
            let n = taken.entry(base.to_string()).or_insert(0);
            *n += 1;
            let name = if *n == 1 {
                base.to_string()
            } else {
                format!("{base}#{n}")
            };
            let key = ClassKey::from_name(&name);
            self.classes.push(Class { name, key });
            members.push((self.classes.len() - 1) as u32);
        }
        let instances = if rng.random_bool(0.35) {
            1
        } else {
            rng.random_range(2..=64)
        };
        self.families.push(Family {
            rank,
            kind,
            member_popularity: Zipf::new(size, cal::MEMBER_ZIPF),
            members,
            instances,
        });
        (self.families.len() - 1) as FamilyId
    }

    /// A subsystem for a new code path.
    pub(crate) fn pick_subsystem(&self, rng: &mut Rng) -> usize {
        self.subsystem_popularity.sample(rng)
    }

    /// A family for one lock site of a code path in `subsystem`.
    pub(crate) fn pick_family(&self, subsystem: usize, rng: &mut Rng) -> FamilyId {
        if rng.random_bool(cal::CORE_SITE_PROBABILITY) {
            self.core[self.core_popularity.sample(rng)]
        } else {
            self.subsystems[subsystem][self.family_popularity.sample(rng)]
        }
    }

    /// The instance id of lock object `i` of class `class`.
    pub(crate) fn instance_id(&self, class: u32, i: u32) -> u64 {
        mix64(self.classes[class as usize].key.0 ^ u64::from(i).wrapping_mul(0x9e37_79b9))
    }
}

/// Core classes that are really many keys under one name.
fn core_family_size(name: &str, rng: &mut Rng) -> usize {
    match name {
        "&sb->s_type->i_mutex_key" | "&sb->s_type->i_lock_key" | "&type->s_umount_key" => {
            rng.random_range(6..=14)
        }
        "(wq_completion)events" | "(work_completion)(&w->work)" => rng.random_range(20..=48),
        "&dev->mutex" | "&port->lock" => rng.random_range(4..=12),
        _ => 1,
    }
}

/// Most subsystem families are one class; some are per-device or per-object-type sets. Outer
/// locks (per-object mutexes, device locks) vary more than the inner spinlocks under them.
fn subsystem_family_size(rank: f64, rng: &mut Rng) -> usize {
    let size = family_size_draw(rng);
    if rank < cal::OUTER_RANK {
        size * cal::OUTER_SIZE_FACTOR
    } else {
        size
    }
}

fn family_size_draw(rng: &mut Rng) -> usize {
    let x: f64 = rng.random_range(0.0..1.0);
    let [p1, p2, p3] = cal::FAMILY_SIZE_SPLIT;
    if x < p1 {
        1
    } else if x < p1 + p2 {
        rng.random_range(2..=4)
    } else if x < p1 + p2 + p3 {
        rng.random_range(5..=16)
    } else {
        rng.random_range(17..=48)
    }
}
