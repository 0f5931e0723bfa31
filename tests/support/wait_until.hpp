#pragma once
// Waiting on a condition instead of sleeping for a guessed time: polls `done` every `every` until
// it holds (returns true) or `timeout` passed (returns false, after one last look).
#include <chrono>
#include <thread>

namespace lvs::test {

template <typename Pred>
bool wait_until(Pred done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds every = std::chrono::milliseconds(1)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return done();
    std::this_thread::sleep_for(every);
  }
  return true;
}

}  // namespace lvs::test
