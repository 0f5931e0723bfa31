#pragma once
// Tells the control thread at once that a learn moved a station to another port (kernel
// offload, ctl/offload/, must stop steering frames to the old one before its next tick).
// raise() runs on a PMD, on the learn's slow path (a move, never a refresh): it writes the
// eventfd only when the flag was clear, so a burst of moves costs one write until the control
// thread take()s them; the fast path pays nothing.
#include <atomic>

namespace lvs::sw {

class FdbMoveSignal {
 public:
  FdbMoveSignal();  // a nonblocking eventfd; fd() < 0 if none could be made (take() still works)
  ~FdbMoveSignal();
  FdbMoveSignal(const FdbMoveSignal&) = delete;
  FdbMoveSignal& operator=(const FdbMoveSignal&) = delete;

  int fd() const { return fd_; }  // readable while raised (epoll it)
  void raise() noexcept;
  // True when raised since the last take(); clears the flag and drains the fd.
  bool take() noexcept;

 private:
  std::atomic<bool> raised_{false};
  int fd_ = -1;
};

}  // namespace lvs::sw
