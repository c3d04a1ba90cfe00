//! The threads of the simulated desktop: user programs, kworkers, kernel threads, ksoftirqd.

use lockdep_graph::ThreadKey;

use super::callgraph::EntryKind;
use super::names;

/// One thread of the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadInfo {
    /// The key used in events (a pid for user threads).
    pub key: ThreadKey,
    /// The name lockdep would print (`comm`).
    pub name: String,
}

/// Kernel-thread names for each entry of [`names::KTHREAD_FNS`] (two threads per function).
const KTHREAD_NAMES: &[[&str; 2]] = &[
    ["kswapd0", "kswapd1"],
    ["khugepaged", "khugepaged"],
    ["jbd2/nvme0n1p2-8", "jbd2/nvme0n1p3-8"],
    ["rcu_preempt", "rcu_exp_gp_kthr"],
    ["kcompactd0", "kcompactd1"],
    ["btrfs-transacti", "btrfs-cleaner"],
    ["irq/164-amdgpu", "irq/52-iwlwifi"],
    ["watchdogd", "watchdogd"],
    ["kauditd", "kauditd"],
    ["gfx_0.0.0", "sdma0"],
];

/// All threads, and which of them can run code paths of each entry kind.
#[derive(Debug)]
pub(crate) struct ThreadPool {
    pub(crate) threads: Vec<ThreadInfo>,
    user: Vec<usize>,
    workers: Vec<usize>,
    /// Two threads per kernel-thread function.
    kthreads: Vec<[usize; 2]>,
    softirq: Vec<usize>,
}

impl ThreadPool {
    pub(crate) fn new() -> ThreadPool {
        let mut threads = Vec::new();
        let mut add = |key: u64, name: String| {
            threads.push(ThreadInfo { key, name });
            threads.len() - 1
        };
        let mut user = Vec::new();
        for &(name, pid) in names::USER_THREADS {
            // The main thread and one helper thread per program.
            user.push(add(u64::from(pid), name.to_string()));
            user.push(add(u64::from(pid) + 17, name.to_string()));
        }
        let mut workers = Vec::new();
        for n in 0..16 {
            workers.push(add(30_000 + n, format!("kworker/u64:{n}")));
        }
        for cpu in 0..8 {
            workers.push(add(31_000 + cpu, format!("kworker/{cpu}:1")));
        }
        let kthreads = (0..names::KTHREAD_FNS.len())
            .map(|i| [0, 1].map(|j| add(32_000 + 2 * i as u64 + j as u64, kthread_name(i, j))))
            .collect();
        let softirq = (0..8)
            .map(|cpu| add(33_000 + cpu, format!("ksoftirqd/{cpu}")))
            .collect();
        ThreadPool {
            threads,
            user,
            workers,
            kthreads,
            softirq,
        }
    }

    /// Threads that can run a code path of `kind` entered through entry path `entry`.
    pub(crate) fn candidates(&self, kind: EntryKind, entry: usize) -> &[usize] {
        match kind {
            EntryKind::Syscall | EntryKind::Fault => &self.user,
            EntryKind::Worker => &self.workers,
            EntryKind::Kthread => self
                .kthreads
                .get(entry)
                .map(|t| &t[..])
                .unwrap_or(&self.workers),
            EntryKind::Softirq => &self.softirq,
        }
    }
}

fn kthread_name(i: usize, j: usize) -> String {
    KTHREAD_NAMES
        .get(i)
        .map(|n| n[j].to_string())
        .unwrap_or_else(|| format!("kthread{i}/{j}"))
}
