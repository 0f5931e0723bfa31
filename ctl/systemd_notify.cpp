#include "ctl/systemd_notify.hpp"

#if LVS_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace lvs::ctl {

#if LVS_HAVE_SYSTEMD

void notify_ready(const std::string& status) {
  sd_notify(0, ("READY=1\nSTATUS=" + status).c_str());
}
void notify_stopping() { sd_notify(0, "STOPPING=1\nSTATUS=stopping"); }
bool watchdog_enabled() {
  uint64_t usec = 0;
  return sd_watchdog_enabled(0, &usec) > 0;
}
void notify_watchdog() { sd_notify(0, "WATCHDOG=1"); }

#else

void notify_ready(const std::string&) {}
void notify_stopping() {}
bool watchdog_enabled() { return false; }
void notify_watchdog() {}

#endif

}  // namespace lvs::ctl
