#!/usr/bin/env python3
"""Writes a synthetic folded profile with N distinct stacks for the render benchmark.

Stacks are 10-40 frames deep and look like real profiles: a few processes and thread entry
points, long shared prefixes (event loops, thread pools, JVM call stubs), C++ templates and
namespaces, Java package paths with _[j] JIT frames, and syscall paths into the kernel with
_[k] frames. The output is sorted like stackcollapse-* output. Deterministic for a given seed.

--deep: the "deep profile" of bench/render.sh: stacks 16-36 frames deep (26 on average), a Rust
service beside the others, and far more distinct names, as generic code and lambdas make them:
Rust functions with their `::h<16 hex>` hash suffixes, Java lambdas and C++ template
instances, drawn from pools of 300k, 100k and 100k names (about 400k distinct names in 100k
stacks), many sharing long prefixes.

usage: gen_folded.py N OUT.folded [--seed S] [--deep]
"""
import argparse
import random

WORDS = ("alloc buffer cache channel codec commit compact compress config connect cursor "
         "decode dispatch encode entry event execute fetch filter flush frame handle hash index "
         "insert iterate journal key load lookup merge message metric parse partition poll "
         "process queue read record region request resolve response route scan schedule "
         "segment serialize session shard snapshot socket sort split stream table task "
         "thread token transform update validate value visit wait worker write").split()
CLASSES = ("Server Connection Parser Store HashIndex Segment Compactor Scheduler Executor "
           "ThreadPool Buffer Codec Router Session Table Cursor Journal Planner Optimizer "
           "Allocator Arena Tracer Encoder Decoder Channel Worker Registry Cache Stream").split()
NAMESPACES = "kv db net io rt sql http rpc util mem fmt proto storage exec".split()
JAVA_PKGS = ("org/apache/kafka/clients io/netty/channel com/fasterxml/jackson/databind "
             "java/util/concurrent org/springframework/web/servlet io/grpc/internal "
             "com/google/common/cache java/io org/eclipse/jetty/server").split()
KERNEL = ("entry_SYSCALL_64 do_syscall_64 __x64_sys_read ksys_read vfs_read new_sync_read "
          "sock_read_iter tcp_recvmsg tcp_recvmsg_locked skb_copy_datagram_iter "
          "__x64_sys_write ksys_write vfs_write ext4_file_write_iter generic_perform_write "
          "__x64_sys_futex do_futex futex_wait schedule __schedule finish_task_switch "
          "__x64_sys_epoll_wait do_epoll_wait ep_poll tcp_sendmsg tcp_sendmsg_locked "
          "__tcp_transmit_skb ip_queue_xmit __dev_queue_xmit asm_exc_page_fault "
          "exc_page_fault do_user_addr_fault handle_mm_fault __handle_mm_fault "
          "do_anonymous_page clear_page_erms copy_user_enhanced_fast_string "
          "__x64_sys_mmap do_mmap mmap_region vma_merge").split()
LIBC = "memcpy memmove memset malloc _int_malloc free _int_free pthread_mutex_lock " \
       "__lll_lock_wait read write epoll_wait pthread_cond_wait __memcmp_avx2_movbe".split()


class Names:
    """Frame names for tree nodes. A program has a limited set of functions called from many
    places, so each tree position picks its name from fixed pools (25k C++, 8k Java)."""

    def __init__(self, seed):
        self.seed = seed
        self.cpp_pool = sorted({self.make_cpp(i) for i in range(25000)})
        self.java_pool = sorted({self.make_java(i) for i in range(8000)})

    def rng(self, node):
        return random.Random(self.seed * 1_000_003 + node)

    def rust(self, node):
        return self.cpp(node)

    def cpp(self, node):
        return self.cpp_pool[(node * 2654435761) % len(self.cpp_pool)]

    def java(self, node):
        return self.java_pool[(node * 2654435761) % len(self.java_pool)]

    def make_cpp(self, node):
        r = self.rng(node)
        ns = r.choice(NAMESPACES)
        cls = r.choice(CLASSES)
        method = r.choice(WORDS) + "_" + r.choice(WORDS)
        if r.random() < 0.3:
            cls += "<" + r.choice(["std::string", "int", "kv::Key", "std::shared_ptr<" +
                                   r.choice(CLASSES) + ">", "unsigned long"]) + ">"
        name = f"{ns}::{r.choice(NAMESPACES)}::{cls}::{method}"
        return name + ("_[i]" if r.random() < 0.05 else "")

    def make_java(self, node):
        r = self.rng(node)
        pkg = r.choice(JAVA_PKGS)
        return f"L{pkg}/{r.choice(CLASSES)}{r.choice(CLASSES)}::{r.choice(WORDS)}" \
               f"{r.choice(WORDS).capitalize()}_[j]"


RUST_CRATES = ("tokio::runtime hyper::proto tower::util axum::routing serde_json::de "
               "futures_util h2::proto tonic::codec sqlx_core::pool rustls::conn bytes::buf "
               "tracing").split()
RUST_TYPES = ("Dispatcher Harness<T,S> Core<T> Conn Instrumented<T> MapFuture<S,F> Deserializer "
              "Streams PoolInner BufReader Router<S> Encoder<T> Decoder<T> Timeout<T> Buffer").split()


class DeepNames(Names):
    """Names of a deep profile: generic code and lambdas give most tree positions a name of
    their own, so the pools are large and filled lazily."""

    POOLS = {"cpp": 100_000, "java": 100_000, "rust": 300_000}

    def __init__(self, seed):
        self.seed = seed
        self.cache = {}

    def pick(self, kind, node):
        i = (node * 2654435761) % self.POOLS[kind]
        key = (kind, i)
        if key not in self.cache:
            r = self.rng(list(self.POOLS).index(kind) * 10_000_000 + i)
            self.cache[key] = getattr(self, "make_deep_" + kind)(r, i)
        return self.cache[key]

    def cpp(self, node):
        return self.pick("cpp", node)

    def java(self, node):
        return self.pick("java", node)

    def rust(self, node):
        return self.pick("rust", node)

    def make_deep_cpp(self, r, i):
        args = ",".join(r.choice(CLASSES) for _ in range(r.randint(1, 2)))
        return f"{r.choice(NAMESPACES)}::{r.choice(CLASSES)}<{args}>::{r.choice(WORDS)}"

    def make_deep_java(self, r, i):
        pkg = r.choice(JAVA_PKGS)
        cls = r.choice(CLASSES) + r.choice(CLASSES)
        if r.random() < 0.4:
            return f"L{pkg}/{cls}$$Lambda${i % 4000}_[j]"
        return f"L{pkg}/{cls}::{r.choice(WORDS)}_[j]"

    def make_deep_rust(self, r, i):
        name = f"{r.choice(RUST_CRATES)}::{r.choice(RUST_TYPES)}::{r.choice(WORDS)}"
        if r.random() < 0.2:
            name += "::{{closure}}"
        return f"{name}::h{r.getrandbits(64):016x}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--deep", action="store_true")
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    names = DeepNames(args.seed) if args.deep else Names(args.seed)

    processes = [
        ("kvstore", ["_start", "__libc_start_main", "main", "kv::Server::run",
                     "kv::EventLoop::poll"]),
        ("kvstore", ["clone3", "start_thread", "std::thread::_State_impl::_M_run",
                     "rt::ThreadPool::worker_loop", "rt::Task::run"]),
        ("java", ["start_thread", "thread_native_entry", "Thread::call_run",
                  "JavaThread::thread_main_inner", "JavaCalls::call_helper", "call_stub_[j]",
                  "Ljava/lang/Thread::run_[j]"]),
        ("mysqld", ["clone3", "start_thread", "pfs_spawn_thread", "handle_connection",
                    "do_command", "dispatch_command", "mysql_execute_command"]),
        ("nginx", ["_start", "__libc_start_main", "main", "ngx_master_process_cycle",
                   "ngx_start_worker_processes", "ngx_worker_process_cycle",
                   "ngx_process_events_and_timers", "ngx_epoll_process_events"]),
    ]
    if args.deep:
        processes.insert(1, ("tokio-runtime-w", [
            "clone3", "start_thread", "std::sys::unix::thread::Thread::new::thread_start",
            "tokio::runtime::blocking::pool::Inner::run",
            "tokio::runtime::scheduler::multi_thread::worker::Context::run"]))
    node_ids = {}  # (parent node id, branch) -> node id: stable names for tree positions

    def node_id(key):
        return node_ids.setdefault(key, len(node_ids))

    stacks = set()
    out_lines = []
    while len(out_lines) < args.n:
        proc, prefix = processes[min(int(rnd.paretovariate(1.2)) - 1, len(processes) - 1)]
        depth = rnd.randint(16, 36) if args.deep else rnd.randint(10, 40)
        frames = [proc] + prefix
        node = node_id((proc, tuple(prefix)))
        java = proc == "java"
        rust = proc.startswith("tokio")
        # User frames: the branch taken at each level is skewed (a few hot paths dominate),
        # which gives the long shared prefixes of real profiles.
        user_depth = depth - (rnd.randint(3, 10) if rnd.random() < 0.35 else 0)
        while len(frames) < user_depth:
            branch = min(int(rnd.paretovariate(1.1)) - 1, 11)
            node = node_id((node, branch))
            if rust and rnd.random() < 0.9:
                frames.append(names.rust(node))
            else:
                frames.append(names.java(node) if java and rnd.random() < 0.8 else names.cpp(node))
        if len(frames) < depth and rnd.random() < 0.5:
            frames.append(LIBC[node % len(LIBC)])
        k = rnd.randrange(len(KERNEL) - 8)
        while len(frames) < depth:
            frames.append(KERNEL[k % len(KERNEL)] + "_[k]")
            k += 1 + ((node + k) & 1)
        key = ";".join(frames)
        if key in stacks:
            continue
        stacks.add(key)
        out_lines.append(f"{key} {int(rnd.paretovariate(1.3) * 3)}")
    out_lines.sort()
    with open(args.out, "w") as f:
        f.write("\n".join(out_lines))
        f.write("\n")


if __name__ == "__main__":
    main()
