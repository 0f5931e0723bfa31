#pragma once
// vswitchd under systemd (Type=notify, ctl/packaging/lite-vswitchd.service.in): READY=1 once the
// control socket and the datapath serve, STOPPING=1 when a stop signal arrives, WATCHDOG=1 from
// the control loop when the unit sets WatchdogSec=. Through libsystemd's sd_notify when the build
// found it (LVS_HAVE_SYSTEMD); without it, or without $NOTIFY_SOCKET, every call does nothing.
#include <string>

namespace lvs::ctl {

void notify_ready(const std::string& status);
void notify_stopping();
// True when the service manager asks for watchdog pings ($WATCHDOG_USEC); the control loop then
// pings once a second, so WatchdogSec= must be 2 s or more.
bool watchdog_enabled();
void notify_watchdog();

}  // namespace lvs::ctl
