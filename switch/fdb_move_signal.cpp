#include "switch/fdb_move_signal.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace lvs::sw {

FdbMoveSignal::FdbMoveSignal() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
FdbMoveSignal::~FdbMoveSignal() {
  if (fd_ >= 0) ::close(fd_);
}

void FdbMoveSignal::raise() noexcept {
  if (raised_.exchange(true, std::memory_order_acq_rel) || fd_ < 0) return;
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(fd_, &one, sizeof(one));
}

bool FdbMoveSignal::take() noexcept {
  if (!raised_.exchange(false, std::memory_order_acq_rel)) return false;
  // A raise() after the exchange writes again: at worst one wake-up more, never one less.
  uint64_t count = 0;
  if (fd_ >= 0 && ::read(fd_, &count, sizeof(count)) < 0) count = 0;
  return true;
}

}  // namespace lvs::sw
