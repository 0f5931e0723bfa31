#pragma once
// Egress stage: give a frame the 802.1Q form its output port wants.
//   tagged -> tagged      VID rewritten, PCP and DEI kept (a priority tag's PCP carries over)
//   untagged -> tagged    tag pushed with PCP 0
//   tagged -> untagged    tag popped (no priority tag is left behind)
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "switch/frame.hpp"
#include "switch/vlan_policy.hpp"

namespace lvs::sw {

// Whether `m` already has the form (EgressTag) for VLAN `vid`.
inline bool has_form(const FrameMeta& f, EgressTag form, uint16_t vid) {
  if (form == EgressTag::kUntagged) return !f.tagged;
  return f.tagged && f.tag_vid() == vid;
}

// May `m` be edited in place (no one else holds a reference to its data)?
inline bool writable(const rte_mbuf* m) {
  return RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1;
}

// Edits a writable frame in place. False when there is no headroom for a pushed tag.
bool retag_in_place(rte_mbuf* m, const FrameMeta& f, EgressTag form, uint16_t vid);

// A new frame with the wanted form that shares the original's payload: a fresh header
// followed by an indirect clone of the rest (small frames are copied whole, which is cheaper).
// The original is left untouched. nullptr when the pool is empty.
rte_mbuf* make_retagged_copy(rte_mbuf* m, const FrameMeta& f, EgressTag form, uint16_t vid,
                             rte_mempool* pool);

}  // namespace lvs::sw
