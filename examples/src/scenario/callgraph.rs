//! A synthetic kernel call graph: a few hundred functions at kernel-text addresses, layered
//! like a real call stack (entry code outermost, lock primitives innermost), and random walks
//! through it that become stack traces.

use std::collections::HashSet;

use rand::RngExt;

use super::lock_kind::LockKind;
use super::names;
use super::sampling::{Rng, Zipf, mix64};

/// Index of a function in the call graph.
pub(crate) type FnId = u32;

/// Where the kernel text of the synthetic image starts (x86-64 `_text` without KASLR).
pub const KERNEL_TEXT_BASE: usize = 0xffff_ffff_8100_0000;

/// How a code path entered the kernel; decides its outermost frames and which threads run it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A system call from a user thread.
    Syscall,
    /// A page fault taken by a user thread.
    Fault,
    /// A work item on a kworker.
    Worker,
    /// A kernel thread's main loop.
    Kthread,
    /// A softirq run by ksoftirqd.
    Softirq,
}

impl EntryKind {
    /// All kinds, in the order of [`ENTRY_WEIGHTS`].
    pub(crate) const ALL: [EntryKind; 5] = [
        EntryKind::Syscall,
        EntryKind::Fault,
        EntryKind::Worker,
        EntryKind::Kthread,
        EntryKind::Softirq,
    ];
}

/// How often each entry kind starts a code path (same order as [`EntryKind::ALL`]).
pub(crate) const ENTRY_WEIGHTS: [f64; 5] = [0.52, 0.12, 0.2, 0.09, 0.07];

/// One synthetic function.
#[derive(Clone, Debug)]
pub(crate) struct Function {
    pub(crate) name: String,
    pub(crate) addr: usize,
    pub(crate) size: usize,
}

/// Middle-layer functions sit in layers: a function calls into the next one or two layers, so a
/// walk's position approximates its stack depth and walks never loop.
const LAYERS: usize = 56;
const FUNCTIONS_PER_LAYER: usize = 7;

/// The call graph.
#[derive(Debug)]
pub(crate) struct CallGraph {
    functions: Vec<Function>,
    /// Callees of each middle-layer function (empty for the others).
    callees: Vec<Vec<FnId>>,
    /// Middle-layer functions by layer.
    layers: Vec<Vec<FnId>>,
    /// For each entry kind: the possible entry paths (outermost first) and their popularity.
    entries: Vec<(Vec<Vec<FnId>>, Zipf)>,
    lock_acquire: FnId,
    /// Allocator entry points and KASAN's recording frames (innermost last), for the
    /// allocation-stack workloads.
    allocators: Vec<FnId>,
    kasan: Vec<FnId>,
    /// Primitive functions by lock kind (read and write variants where they differ).
    prims: Vec<(LockKind, bool, FnId)>,
}

impl CallGraph {
    /// Builds the graph; the same seed gives the same names, addresses and edges.
    pub(crate) fn new(rng: &mut Rng) -> CallGraph {
        let mut b = Builder {
            functions: Vec::new(),
            names: HashSet::new(),
        };

        // Entry code.
        let f = |b: &mut Builder, n: &str| b.add(n.to_string());
        let syscall_head = [
            "entry_SYSCALL_64_after_hwframe",
            "do_syscall_64",
            "x64_sys_call",
        ]
        .map(|n| f(&mut b, n));
        let fault_head = [
            "asm_exc_page_fault",
            "exc_page_fault",
            "do_user_addr_fault",
            "handle_mm_fault",
            "__handle_mm_fault",
        ]
        .map(|n| f(&mut b, n));
        let kthread_head = ["ret_from_fork_asm", "ret_from_fork", "kthread"].map(|n| f(&mut b, n));
        let worker_tail = ["worker_thread", "process_one_work"].map(|n| f(&mut b, n));
        let softirq_tail =
            ["smpboot_thread_fn", "run_ksoftirqd", "handle_softirqs"].map(|n| f(&mut b, n));

        let mut syscalls = Vec::new();
        for s in names::SYSCALLS {
            let mut path = syscall_head.to_vec();
            path.push(b.add(format!("__x64_sys_{s}")));
            // Some syscalls go through their __do_sys_ body as a separate frame.
            if mix64(s.bytes().map(u64::from).sum()).is_multiple_of(3) {
                path.push(b.add(format!("__do_sys_{s}")));
            }
            syscalls.push(path);
        }
        let faults = vec![fault_head.to_vec()];
        let workers: Vec<Vec<FnId>> = names::WORK_FNS
            .iter()
            .map(|w| {
                let mut p = kthread_head.to_vec();
                p.extend(worker_tail);
                p.push(b.add(w.to_string()));
                p
            })
            .collect();
        let kthreads: Vec<Vec<FnId>> = names::KTHREAD_FNS
            .iter()
            .map(|k| {
                let mut p = kthread_head.to_vec();
                p.push(b.add(k.to_string()));
                p
            })
            .collect();
        let softirqs: Vec<Vec<FnId>> = names::SOFTIRQ_FNS
            .iter()
            .map(|s| {
                let mut p = kthread_head.to_vec();
                p.extend(softirq_tail);
                p.push(b.add(s.to_string()));
                p
            })
            .collect();
        let entries = [syscalls, faults, workers, kthreads, softirqs]
            .into_iter()
            .map(|paths| {
                let z = Zipf::new(paths.len(), 1.0);
                (paths, z)
            })
            .collect();

        // Lock primitives, innermost.
        let lock_acquire = b.add("lock_acquire".to_string());
        let mut prims = Vec::new();
        for n in names::SPIN_PRIMS {
            prims.push((LockKind::Spin, false, b.add(n.to_string())));
        }
        prims.push((LockKind::RwLock, true, b.add("_raw_read_lock".to_string())));
        prims.push((
            LockKind::RwLock,
            false,
            b.add("_raw_write_lock".to_string()),
        ));
        prims.push((
            LockKind::Mutex,
            false,
            b.add("mutex_lock_nested".to_string()),
        ));
        prims.push((
            LockKind::Mutex,
            false,
            b.add("mutex_lock_interruptible_nested".to_string()),
        ));
        prims.push((LockKind::RwSem, true, b.add("down_read".to_string())));
        prims.push((
            LockKind::RwSem,
            true,
            b.add("down_read_killable".to_string()),
        ));
        prims.push((LockKind::RwSem, false, b.add("down_write".to_string())));
        prims.push((LockKind::Rcu, true, b.add("rcu_lock_acquire".to_string())));
        prims.push((LockKind::Map, false, b.add("lock_map_acquire".to_string())));
        prims.push((LockKind::Map, true, b.add("percpu_down_read".to_string())));

        // Allocation paths (KASAN records one stack per allocation).
        let allocators = [
            "__kmalloc_cache_noprof",
            "__kmalloc_noprof",
            "kmem_cache_alloc_noprof",
            "kmalloc_trace_noprof",
            "__alloc_pages_noprof",
            "kvmalloc_node_noprof",
        ]
        .map(|n| f(&mut b, n))
        .to_vec();
        let kasan = ["__kasan_kmalloc", "kasan_save_track", "kasan_save_stack"]
            .map(|n| f(&mut b, n))
            .to_vec();

        // Middle layers.
        let mut layers = Vec::with_capacity(LAYERS);
        for _ in 0..LAYERS {
            let layer: Vec<FnId> = (0..FUNCTIONS_PER_LAYER)
                .map(|_| b.add_random_name(rng))
                .collect();
            layers.push(layer);
        }
        let mut callees = vec![Vec::new(); b.functions.len()];
        for l in 0..LAYERS - 1 {
            for &f in &layers[l] {
                let n = rng.random_range(3..=5);
                let mut cs = Vec::with_capacity(n);
                for _ in 0..n {
                    let next = if l + 2 < LAYERS && rng.random_bool(0.2) {
                        l + 2
                    } else {
                        l + 1
                    };
                    let c = layers[next][rng.random_range(0..FUNCTIONS_PER_LAYER)];
                    if !cs.contains(&c) {
                        cs.push(c);
                    }
                }
                callees[f as usize] = cs;
            }
        }

        // Lay the functions out in kernel text in a shuffled order with gaps, like a linked image.
        let mut order: Vec<usize> = (0..b.functions.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.random_range(0..=i));
        }
        let mut addr = KERNEL_TEXT_BASE + 0x1000;
        for i in order {
            let size = rng.random_range(4..=160usize) * 16;
            b.functions[i].addr = addr;
            b.functions[i].size = size;
            addr += size + rng.random_range(0..=512usize) * 16;
        }

        CallGraph {
            functions: b.functions,
            callees,
            layers,
            entries,
            lock_acquire,
            allocators,
            kasan,
            prims,
        }
    }

    /// Number of functions.
    pub(crate) fn len(&self) -> usize {
        self.functions.len()
    }

    /// The function `id`.
    pub(crate) fn function(&self, id: FnId) -> &Function {
        &self.functions[id as usize]
    }

    /// The function whose text contains `addr`, if any.
    pub(crate) fn symbolize(&self, addr: usize) -> Option<(&Function, usize)> {
        self.functions
            .iter()
            .find(|f| addr >= f.addr && addr < f.addr + f.size)
            .map(|f| (f, addr - f.addr))
    }

    /// Picks an entry path of `kind`, returning its index and frames (outermost first).
    pub(crate) fn pick_entry(&self, kind: EntryKind, rng: &mut Rng) -> (usize, &[FnId]) {
        let (paths, zipf) = &self.entries[kind as usize];
        let i = zipf.sample(rng);
        (i, &paths[i])
    }

    /// A random middle-layer function in the outermost layers, where code paths start.
    pub(crate) fn pick_start(&self, rng: &mut Rng) -> FnId {
        let l = rng.random_range(0..3);
        self.layers[l][rng.random_range(0..FUNCTIONS_PER_LAYER)]
    }

    /// Extends `path` by up to `len` calls, starting from the callees of its last function (or
    /// from a fresh start function when it is empty). Stops early at the bottom layer.
    pub(crate) fn walk(&self, path: &mut Vec<FnId>, len: usize, rng: &mut Rng) {
        for _ in 0..len {
            let next = match path.last() {
                None => self.pick_start(rng),
                Some(&f) => {
                    let cs = &self.callees[f as usize];
                    if cs.is_empty() {
                        return;
                    }
                    cs[rng.random_range(0..cs.len())]
                }
            };
            path.push(next);
        }
    }

    /// The primitive function a lock of `kind` is taken with (`read` for shared acquisitions).
    pub(crate) fn primitive(&self, kind: LockKind, read: bool, rng: &mut Rng) -> FnId {
        let candidates: Vec<FnId> = self
            .prims
            .iter()
            .filter(|(k, r, _)| *k == kind && *r == read)
            .map(|&(_, _, f)| f)
            .collect();
        match candidates.len() {
            0 => self
                .prims
                .iter()
                .find(|(k, _, _)| *k == kind)
                .map(|&(_, _, f)| f)
                .unwrap_or(self.lock_acquire),
            n => candidates[rng.random_range(0..n)],
        }
    }

    /// Turns a call path (outermost first, ending in a lock primitive) into a stack trace,
    /// innermost first, ending with `lock_acquire` on top: each frame is the return address of
    /// the call into the next-inner function.
    pub(crate) fn trace(&self, path: &[FnId]) -> Vec<usize> {
        self.trace_with_top(path, self.lock_acquire)
    }

    /// [`CallGraph::trace`] with `top` as the innermost function (where the stack was taken).
    fn trace_with_top(&self, path: &[FnId], top_fn: FnId) -> Vec<usize> {
        let mut frames = Vec::with_capacity(path.len() + 1);
        let top = self.function(top_fn);
        frames.push(top.addr + (top.size / 2) + 5);
        let mut callee = top_fn;
        for &caller in path.iter().rev() {
            frames.push(self.return_address(caller, callee));
            callee = caller;
        }
        frames
    }

    /// A KASAN allocation stack of about `depth` frames (innermost `kasan_save_stack` first):
    /// an entry of a random kind, a walk, an allocator, KASAN's recording frames.
    pub(crate) fn alloc_trace(&self, depth: usize, rng: &mut Rng) -> Vec<usize> {
        let kind = EntryKind::ALL[rng.random_range(0..EntryKind::ALL.len())];
        let (_, entry) = self.pick_entry(kind, rng);
        let mut path = entry.to_vec();
        let fixed = path.len() + 1 + self.kasan.len();
        let mut middle = Vec::new();
        self.walk(&mut middle, depth.saturating_sub(fixed).max(1), rng);
        path.extend_from_slice(&middle);
        path.push(self.allocators[rng.random_range(0..self.allocators.len())]);
        let (top, rest) = self
            .kasan
            .split_last()
            .map(|(t, r)| (*t, r))
            .unwrap_or((self.lock_acquire, &[]));
        path.extend_from_slice(rest);
        self.trace_with_top(&path, top)
    }

    /// The return address of the call from `caller` to `callee`: a fixed call site per pair.
    fn return_address(&self, caller: FnId, callee: FnId) -> usize {
        let f = self.function(caller);
        let off = 5 + (mix64(((caller as u64) << 32) | callee as u64) as usize % (f.size - 8));
        f.addr + off
    }
}

/// Accumulates functions while keeping names unique.
struct Builder {
    functions: Vec<Function>,
    names: HashSet<String>,
}

impl Builder {
    fn add(&mut self, name: String) -> FnId {
        self.names.insert(name.clone());
        self.functions.push(Function {
            name,
            addr: 0,
            size: 0,
        });
        (self.functions.len() - 1) as FnId
    }

    fn add_random_name(&mut self, rng: &mut Rng) -> FnId {
        loop {
            let p = names::FUNCTION_PREFIXES[rng.random_range(0..names::FUNCTION_PREFIXES.len())];
            let v = names::FUNCTION_VERBS[rng.random_range(0..names::FUNCTION_VERBS.len())];
            let n = names::FUNCTION_NOUNS[rng.random_range(0..names::FUNCTION_NOUNS.len())];
            let name = if rng.random_bool(0.15) {
                format!("__{p}_{v}_{n}")
            } else {
                format!("{p}_{v}_{n}")
            };
            if !self.names.contains(&name) {
                return self.add(name);
            }
        }
    }
}
