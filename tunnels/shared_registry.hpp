#pragma once
// One live object per key, shared by every caller that asks for that key while any of them still
// holds it: the tunnels' endpoints (transmit sockets of one local address) and receivers (one
// receive socket per dst_port) are opened once for all the ports that use them.
#include <sys/stat.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

namespace lvs::tunnels {

template <class Key, class T>
class SharedRegistry {
 public:
  // The live object of `key`, else the one `make()` returns (kept unless it is nullptr).
  template <class Make>
  std::shared_ptr<T> acquire(const Key& key, Make&& make) {
    std::lock_guard lock(mutex_);
    if (auto it = live_.find(key); it != live_.end())
      if (auto held = it->second.lock()) return held;
    std::shared_ptr<T> made = make();
    if (made) live_[key] = made;
    return made;
  }

 private:
  std::mutex mutex_;
  std::map<Key, std::weak_ptr<T>> live_;
};

// Sockets belong to the network namespace they were opened in, the calling thread's (tests run
// several "hosts" in one process): its inode is part of the keys.
inline uint64_t thread_netns() {
  struct stat st {};
  return stat("/proc/thread-self/ns/net", &st) == 0 ? st.st_ino : 0;
}

}  // namespace lvs::tunnels
