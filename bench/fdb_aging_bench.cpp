// Learning while a large MAC table ages (issue 16): a table of N entries ages on one thread while
// another learns new MACs as fast as it can (every learn of a new MAC takes the writer mutex with
// try_lock, as a PMD does). Reports the learning rate with and without aging running, and the
// longest time the learner went without learning (its try_lock failing: the longest writer hold
// it met). Only the Fdb's public learn/expire/stats are used, so the same file builds against an
// older switch/fdb.cpp for a before/after comparison (bench/results/fdb-aging-2026-12-01.md).
//
//   fdb_aging_bench [--entries N] [--ports P] [--scenario mass|spread] [--passes K] [--reps R]
// mass: every entry expires in one pass. spread: entries were learnt evenly over the aging time,
// K passes one simulated second apart run back to back (each removes about N/300).
// Summary line per repetition: scenario=... learned_per_s_idle=... learned_per_s_aging=...
// longest_stall_us=... aging_ms=... aged=...; with expire_step (incremental aging) a second line
// per repetition (driver=steps) drives the steps as Fdb::expire does and times each one:
// steps=... held_ms=... step_hold_p50_us=... step_hold_p99_us=... step_hold_max_us=... (wall
// clock, preemption included) step_cpu_max_us=... (the step's own CPU time). aging_cpu_ms: the
// aging thread's CPU time over the passes (the rest of aging_ms it was waiting for a core).
#include <rte_pause.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "switch/fdb.hpp"

namespace {

using lvs::sw::Fdb;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kT0 = 10'000'000;
constexpr uint32_t kAgingS = 300;
constexpr uint64_t kLearnCap = 4'000'000;  // new MACs the learner may add (table sized for them)

uint64_t ns_since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
}
// CPU time of the calling thread: a hold's work without the time the thread was not running.
uint64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000 + uint64_t(ts.tv_nsec);
}

struct Learner {
  Fdb& fdb;
  std::atomic<uint64_t> now_ms{kT0};
  std::atomic<int> phase{0};  // 0 wait, 1 measure, 2 pause, 3 stop
  std::atomic<uint64_t> learned{0}, max_gap_ns{0}, total{0}, last_ok_ns{0};
  const Clock::time_point t0 = Clock::now();
  uint64_t next = 0x0a0000000000ULL;

  void run() {
    int seen_phase = 0;
    uint64_t last_ok = 0;
    for (;;) {
      const int p = phase.load(std::memory_order_acquire);
      if (p == 3) return;
      if (p != 1 || total.load(std::memory_order_relaxed) >= kLearnCap) {
        seen_phase = p;
        continue;
      }
      const uint64_t t = ns_since(t0);
      if (seen_phase != 1) last_ok = t, seen_phase = 1;  // a new measurement
      last_ok_ns.store(last_ok, std::memory_order_relaxed);
      const uint64_t key = Fdb::make_key(next, 1), now = now_ms.load(std::memory_order_relaxed);
      fdb.learn(key, 200, now);
      if (fdb.lookup(key, now) == 200) {  // learnt (else deferred: the writer was busy)
        ++next;
        learned.fetch_add(1, std::memory_order_relaxed);
        total.fetch_add(1, std::memory_order_relaxed);
        if (t - last_ok > max_gap_ns.load(std::memory_order_relaxed))
          max_gap_ns.store(t - last_ok, std::memory_order_relaxed);
        last_ok = t;
        last_ok_ns.store(last_ok, std::memory_order_relaxed);
      }
    }
  }
};

template <typename F>
constexpr bool kHasSteps = requires(F& f) {
  f.expire_step(0, 0, nullptr);
};

// Drives one pass as Fdb::expire does, timing each step (only where the Fdb has expire_step).
template <typename F>
uint64_t stepped_pass(F& fdb, uint64_t now, std::vector<uint64_t>* holds, uint64_t* cpu_max) {
  uint64_t n = 0;
  if constexpr (kHasSteps<F>) {
    bool done = false;
    while (!done) {
      const uint64_t deferred = fdb.stats().learn_deferred;
      const uint64_t c = thread_cpu_ns();
      const auto t = Clock::now();
      n += fdb.expire_step(now, F::kAgingStep, &done);
      const uint64_t held = ns_since(t);
      *cpu_max = std::max(*cpu_max, thread_cpu_ns() - c);
      holds->push_back(held);
      if (!done && fdb.stats().learn_deferred != deferred) {  // the same pause as Fdb::expire
        const auto until = Clock::now() + std::chrono::nanoseconds(held);
        do rte_pause();
        while (Clock::now() < until);
      }
    }
  }
  return n;
}

struct Run {
  double idle_per_s = 0, aging_per_s = 0, stall_us = 0, aging_ms = 0;
  double hold_p50_us = 0, hold_p99_us = 0, hold_max_us = 0, hold_cpu_max_us = 0;  // per step
  double held_ms = 0, aging_cpu_ms = 0;
  size_t steps = 0;
  uint64_t aged = 0;
};

Run run_once(uint64_t entries, unsigned ports, bool spread, unsigned passes, bool stepped) {
  Fdb fdb({.max_entries = static_cast<uint32_t>(entries + kLearnCap), .aging_s = kAgingS});
  const uint64_t span = uint64_t{kAgingS} * 1000;
  for (uint64_t i = 0; i < entries; ++i)
    fdb.learn(Fdb::make_key(0x020000000000ULL + i * 7919, 1),
              static_cast<lvs::sw::PortIndex>(i % ports), spread ? kT0 + i * span / entries : kT0);
  Learner l{fdb};
  std::thread th([&] { l.run(); });
  Run r;
  auto measure = [&](auto&& body) {  // learner rate over `body`
    l.learned = 0;
    l.max_gap_ns = 0;
    const auto t = Clock::now();
    l.phase = 1;
    body();
    l.phase = 2;
    const uint64_t end = ns_since(l.t0);
    const double s = ns_since(t) / 1e9;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // the learner sees phase 2
    const uint64_t last = l.last_ok_ns.load();  // no learning up to the end is a stall too
    if (end > last && end - last > l.max_gap_ns.load()) l.max_gap_ns = end - last;
    return std::pair{l.learned.load() / s, s};
  };
  // Reference: learning with nothing else going on (adds a few hundred thousand entries).
  l.now_ms = kT0 + span;
  r.idle_per_s = measure([] { std::this_thread::sleep_for(std::chrono::milliseconds(100)); }).first;
  const uint64_t first = spread ? kT0 + span + 1'000 : kT0 + span + 1;
  const unsigned n_passes = spread ? passes : 1;
  std::vector<uint64_t> holds;
  holds.reserve(100'000);
  uint64_t cpu_max = 0;
  const uint64_t cpu0 = thread_cpu_ns();
  auto [rate, secs] = measure([&] {
    for (unsigned k = 0; k < n_passes; ++k) {
      const uint64_t now = first + uint64_t{k} * 1'000;
      l.now_ms = now;
      r.aged += stepped ? stepped_pass(fdb, now, &holds, &cpu_max) : fdb.expire(now);
    }
  });
  r.aging_cpu_ms = (thread_cpu_ns() - cpu0) / 1e6;
  r.hold_cpu_max_us = cpu_max / 1e3;
  r.aging_per_s = rate;
  r.aging_ms = secs * 1e3;
  r.stall_us = l.max_gap_ns.load() / 1e3;
  if (!holds.empty()) {
    std::sort(holds.begin(), holds.end());
    r.steps = holds.size();
    r.hold_p50_us = holds[holds.size() / 2] / 1e3;
    r.hold_p99_us = holds[holds.size() * 99 / 100] / 1e3;
    r.hold_max_us = holds.back() / 1e3;
    for (auto h : holds) r.held_ms += h / 1e6;
  }
  l.phase = 3;
  th.join();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t entries = 1'000'000;
  unsigned ports = 64, passes = 10, reps = 3;
  std::string scenario = "mass";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--entries")
      entries = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--ports")
      ports = static_cast<unsigned>(std::strtoul(argv[i + 1], nullptr, 10));
    else if (a == "--scenario")
      scenario = argv[i + 1];
    else if (a == "--passes")
      passes = static_cast<unsigned>(std::strtoul(argv[i + 1], nullptr, 10));
    else if (a == "--reps")
      reps = static_cast<unsigned>(std::strtoul(argv[i + 1], nullptr, 10));
    else {
      std::fprintf(stderr, "fdb_aging_bench: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if ((argc - 1) % 2 != 0 || (scenario != "mass" && scenario != "spread") || entries == 0 ||
      entries > 4'000'000 || ports == 0 || ports > 128 || passes == 0) {
    std::fprintf(stderr,
                 "usage: fdb_aging_bench [--entries 1..4000000] [--ports 1..128] "
                 "[--scenario mass|spread] [--passes K] [--reps R]\n");
    return 2;
  }
  constexpr bool kStepwise = kHasSteps<Fdb>;
  for (unsigned rep = 0; rep < reps; ++rep) {
    for (bool stepped : {false, true}) {
      if (stepped && !kStepwise) continue;
      const Run r = run_once(entries, ports, scenario == "spread", passes, stepped);
      std::printf(
          "scenario=%s driver=%s entries=%llu ports=%u aged=%llu aging_ms=%.1f "
          "aging_cpu_ms=%.1f learned_per_s_idle=%.0f learned_per_s_aging=%.0f "
          "longest_stall_us=%.0f",
          scenario.c_str(), stepped ? "steps" : "expire", static_cast<unsigned long long>(entries),
          ports, static_cast<unsigned long long>(r.aged), r.aging_ms, r.aging_cpu_ms, r.idle_per_s,
          r.aging_per_s, r.stall_us);
      if (stepped)
        std::printf(
            " steps=%zu held_ms=%.1f step_hold_p50_us=%.1f step_hold_p99_us=%.1f "
            "step_hold_max_us=%.1f step_cpu_max_us=%.1f",
            r.steps, r.held_ms, r.hold_p50_us, r.hold_p99_us, r.hold_max_us, r.hold_cpu_max_us);
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  return 0;
}
