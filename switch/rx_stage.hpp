#pragma once
// A stage of a PMD iteration that is not a port's rx queue: it moves frames into the rx queues
// of ports (a kernel tunnel endpoint reading its socket and decapsulating into its tunnel ports'
// rings). A port names the stage that fills it (Port::rx_stage()); the datapath gives each stage
// to one PMD, the same one as every rx queue that names it, polls it before those queues in each
// iteration, and sleeps on its fd. pmd_stats() lists it with the PMD's rx queues.
#include <string>

namespace lvs::sw {

class RxStage {
 public:
  virtual ~RxStage() = default;
  virtual std::string name() const = 0;  // e.g. "decap vxlan 10.0.0.1:4789"
  // Moves what waits into the ports' queues (at most a burst); returns how many packets it read.
  virtual unsigned poll(unsigned pmd) = 0;
  // Readable when poll() has work; -1 when there is none (the PMD then naps while idle).
  virtual int wait_fd() const = 0;
};

}  // namespace lvs::sw
