//! The scenario itself: an iterator of lock events interleaving code-path executions on the
//! session's threads, discovering new code paths ever more slowly, with the planted inversion
//! near the end.

use std::collections::HashMap;
use std::sync::Arc;

use lockdep_graph::{ClassKey, ThreadKey, Validator};
use rand::{RngExt, SeedableRng};

use super::calibration as cal;
use super::callgraph::CallGraph;
use super::classes::ClassUniverse;
use super::config::{ScenarioConfig, ScenarioError};
use super::event::{Event, EventKind};
use super::execution;
use super::inversion::PlantedInversion;
use super::sampling::{Rng, mix64, popular_index};
use super::template::Template;
use super::threads::{ThreadInfo, ThreadPool};

/// The static part of a scenario: call graph, classes, threads.
#[derive(Debug)]
struct World {
    graph: CallGraph,
    classes: ClassUniverse,
    pool: ThreadPool,
}

/// A running stream: code paths in flight, one per slot.
#[derive(Debug)]
struct Slot {
    /// Index into the thread pool, or `None` for a planted thread.
    pooled: Option<usize>,
    thread: ThreadKey,
    script: Vec<EventKind>,
    pos: usize,
}

/// A deterministic lock-event stream modelling the RFC's desktop session. See the module docs
/// of [`crate::scenario`].
#[derive(Debug)]
pub struct Scenario {
    config: ScenarioConfig,
    world: Arc<World>,
    rng: Rng,
    templates: Vec<Arc<Template>>,
    /// Code-path executions started so far.
    executions: u64,
    slots: Vec<Slot>,
    busy: Vec<bool>,
    emitted: u64,
    planned: u64,
    events_per_hour: f64,
    inversion: PlantedInversion,
    planted: u8,
}

impl Scenario {
    /// A stream for `config`.
    pub fn new(config: ScenarioConfig) -> Result<Scenario, ScenarioError> {
        config.validate()?;
        let mut world_rng = Rng::seed_from_u64(mix64(config.seed));
        let graph = CallGraph::new(&mut world_rng);
        let classes = ClassUniverse::new(config.scale, &mut world_rng);
        let pool = ThreadPool::new();
        let busy = vec![false; pool.threads.len()];
        let events_per_hour = config.events_per_hour();
        Ok(Scenario {
            config,
            world: Arc::new(World {
                graph,
                classes,
                pool,
            }),
            rng: Rng::seed_from_u64(mix64(config.seed ^ 0x5eed_57ea_0000_0001)),
            templates: Vec::new(),
            executions: 0,
            slots: (0..cal::SLOTS)
                .map(|_| Slot {
                    pooled: None,
                    thread: 0,
                    script: Vec::new(),
                    pos: 0,
                })
                .collect(),
            busy,
            emitted: 0,
            planned: config.planned_events(),
            events_per_hour,
            inversion: PlantedInversion::new(config.total_hours(), events_per_hour),
            planted: 0,
        })
    }

    /// The knobs.
    pub fn config(&self) -> &ScenarioConfig {
        &self.config
    }

    /// Events the stream is planned to have; it ends a handful later, once every lock is released.
    pub fn planned_events(&self) -> u64 {
        self.planned
    }

    /// Lock events per simulated hour.
    pub fn events_per_hour(&self) -> f64 {
        self.events_per_hour
    }

    /// The simulated hour of event `index`.
    pub fn hour_of(&self, index: u64) -> f32 {
        (index as f64 / self.events_per_hour) as f32
    }

    /// The planted ABBA inversion.
    pub fn planted_inversion(&self) -> &PlantedInversion {
        &self.inversion
    }

    /// Distinct code paths generated so far.
    pub fn code_paths(&self) -> usize {
        self.templates.len()
    }

    /// Code-path executions started so far.
    pub fn executions(&self) -> u64 {
        self.executions
    }

    /// Every thread that can appear in events (the pool and the two planted threads).
    pub fn threads(&self) -> Vec<ThreadInfo> {
        let mut t = self.world.pool.threads.clone();
        t.push(self.inversion.forward_thread.clone());
        t.push(self.inversion.reverse_thread.clone());
        t
    }

    /// Every class that can appear in events, with its name (universe and planted classes).
    pub fn classes(&self) -> Vec<(ClassKey, String)> {
        let mut c: Vec<(ClassKey, String)> = self
            .world
            .classes
            .classes
            .iter()
            .map(|c| (c.key, c.name.clone()))
            .collect();
        for p in [&self.inversion.first, &self.inversion.second] {
            c.push((p.key, p.name.clone()));
        }
        c
    }

    /// Lock classes that can appear (universe and planted).
    pub fn class_count(&self) -> usize {
        self.world.classes.classes.len() + 2
    }

    /// Names every thread and class in `validator`, so its reports read like lockdep's.
    pub fn register_names(&self, validator: &Validator) {
        for t in self.threads() {
            validator.set_thread_name(t.key, &t.name);
        }
        for (key, name) in self.classes() {
            validator.register_class(key, &name);
        }
    }

    /// A map from class key to name, for printing.
    pub fn class_names(&self) -> HashMap<ClassKey, String> {
        self.classes().into_iter().collect()
    }

    /// The synthetic function containing `addr` and the offset into it, like `%pS`.
    pub fn symbolize(&self, addr: usize) -> Option<(String, usize)> {
        self.world
            .graph
            .symbolize(addr)
            .map(|(f, off)| (f.name.clone(), off))
    }

    /// Functions in the synthetic call graph.
    pub fn function_count(&self) -> usize {
        self.world.graph.len()
    }

    fn hour(&self) -> f64 {
        self.emitted as f64 / self.events_per_hour
    }

    /// Starts a new execution in slot `s`; false when no thread can run the drawn path now.
    fn start_execution(&mut self, s: usize) -> bool {
        let hour = self.hour().max(1e-6);
        let p_new = (cal::DISCOVERY_RATE
            * (hour / cal::OVERFLOW_HOUR).powf(cal::DISCOVERY_EXPONENT - 1.0))
        .min(1.0);
        let id = if self.templates.is_empty() || self.rng.random_bool(p_new) {
            let t = Template::generate(&self.world.graph, &self.world.classes, &mut self.rng);
            self.templates.push(Arc::new(t));
            (self.templates.len() - 1) as u32
        } else {
            popular_index(
                self.templates.len(),
                cal::REUSE_ZIPF,
                self.rng.random_range(0.0..1.0),
            ) as u32
        };
        let template = Arc::clone(&self.templates[id as usize]);
        let candidates = self.world.pool.candidates(template.kind, template.entry);
        let start = self.rng.random_range(0..candidates.len());
        let Some(thread) = (0..candidates.len())
            .map(|i| candidates[(start + i) % candidates.len()])
            .find(|&t| !self.busy[t])
        else {
            return false;
        };
        self.executions += 1;
        self.busy[thread] = true;
        let script = execution::script(&template, &self.world.classes, &mut self.rng);
        self.slots[s] = Slot {
            pooled: Some(thread),
            thread: self.world.pool.threads[thread].key,
            script,
            pos: 0,
        };
        true
    }

    fn plant(&mut self) {
        let (forward, reverse) = (self.inversion.forward_event, self.inversion.reverse_event);
        if self.planted == 0 && self.emitted >= forward {
            let script = self
                .inversion
                .forward_script(&self.world.graph, &mut self.rng);
            let thread = self.inversion.forward_thread.key;
            self.slots.push(Slot {
                pooled: None,
                thread,
                script,
                pos: 0,
            });
            self.planted = 1;
        }
        if self.planted == 1 && self.emitted >= reverse {
            let script = self
                .inversion
                .reverse_script(&self.world.graph, &mut self.rng);
            let thread = self.inversion.reverse_thread.key;
            self.slots.push(Slot {
                pooled: None,
                thread,
                script,
                pos: 0,
            });
            self.planted = 2;
        }
    }
}

impl Iterator for Scenario {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        self.plant();
        if self.emitted < self.planned {
            for s in 0..cal::SLOTS {
                // A few draws at most: a draw only fails when all its threads are busy.
                for _ in 0..4 {
                    if self.slots[s].pos < self.slots[s].script.len() || self.start_execution(s) {
                        break;
                    }
                }
            }
        }
        let active: Vec<usize> = (0..self.slots.len())
            .filter(|&s| self.slots[s].pos < self.slots[s].script.len())
            .collect();
        if active.is_empty() {
            return None;
        }
        let s = active[self.rng.random_range(0..active.len())];
        let hour = self.hour() as f32;
        let slot = &mut self.slots[s];
        let kind = slot.script[slot.pos].clone();
        slot.pos += 1;
        let event = Event {
            index: self.emitted,
            thread: slot.thread,
            hour,
            kind,
        };
        if slot.pos == slot.script.len() {
            if let Some(t) = slot.pooled.take() {
                self.busy[t] = false;
            }
            if s >= cal::SLOTS {
                self.slots.remove(s);
            } else {
                self.slots[s].script.clear();
                self.slots[s].pos = 0;
            }
        }
        self.emitted += 1;
        Some(event)
    }
}
