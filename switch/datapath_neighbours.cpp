// Datapath::set_neighbours: a bridge's ARP / ND suppression table swapped under running PMDs
// (neighbour_table.hpp): publish the new table, wait for every PMD to pass a quiescent point,
// free the old one. The control mutex keeps a trace (datapath_trace.cpp) from seeing it freed.
#include <rte_rcu_qsbr.h>

#include <ctime>

#include "switch/datapath.hpp"

namespace lvs::sw {

std::optional<std::string> Datapath::set_neighbours(const std::string& bridge,
                                                    std::vector<NeighbourEntry> entries) {
  if (auto err = validate_neighbours(entries)) return "bridge " + bridge + ": " + *err;
  auto next = entries.empty() ? nullptr : std::make_unique<const NeighbourTable>(entries);
  std::lock_guard lock(control_);
  auto it = states_.find(bridge);
  if (it == states_.end() || !it->second.neighbours)
    return "no bridge " + bridge + " in the datapath";
  const NeighbourTable* old = it->second.neighbours->exchange(next.release());
  if (old == nullptr) return std::nullopt;
  const uint64_t token = rte_rcu_qsbr_start(qsbr_);
  while (rte_rcu_qsbr_check(qsbr_, token, false) == 0) {
    const timespec nap{0, 50'000};
    nanosleep(&nap, nullptr);
  }
  delete old;
  return std::nullopt;
}

std::vector<NeighbourEntry> Datapath::neighbours(const std::string& bridge) const {
  std::lock_guard lock(control_);
  auto it = states_.find(bridge);
  if (it == states_.end() || !it->second.neighbours) return {};
  const NeighbourTable* t = it->second.neighbours->current();
  return t ? t->entries() : std::vector<NeighbourEntry>{};
}

}  // namespace lvs::sw
