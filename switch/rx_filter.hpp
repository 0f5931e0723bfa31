#pragma once
// A stage in front of the L2 pipeline of one port: it takes the frames addressed to the switch
// itself (a userspace tunnel endpoint's ARP and tunnel packets on its underlay port) before they
// are learned or forwarded, and leaves the others in order. Called once per burst.
#include <rte_mbuf.h>

#include <cstdint>

namespace lvs::sw {

class RxFilter {
 public:
  virtual ~RxFilter() = default;
  // Consumes (frees or keeps) the frames it wants from pkts[0, n) and compacts the rest to the
  // front; returns how many remain for the pipeline. `pmd`: the calling PMD's index.
  virtual uint16_t filter(unsigned pmd, rte_mbuf** pkts, uint16_t n) = 0;
};

}  // namespace lvs::sw
