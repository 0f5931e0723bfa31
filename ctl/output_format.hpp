#pragma once
// How vsctl prints a command's result: `table` (ovs-vsctl / ovs-appctl look) or `json`.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ctl/commands.hpp"

namespace lvs::ctl {

enum class Format { kTable, kJson };

// Text for one command's output (empty when it prints nothing). Ends with a newline when not
// empty.
std::string format_output(const Command& command, const nlohmann::json& output, Format format);

// OVS datum syntax: 10, "a b", [1, 2], {k=v, k2="x y"}. Strings holding anything but
// printable text are quoted with their control characters escaped (escape_control_chars).
std::string format_datum(const nlohmann::json& value);

// Text that is safe to print on a terminal: C0 controls, DEL and C1 controls (U+0080..U+009F)
// become JSON escapes (\n, \t, \u001b, \u009b), bytes that are not UTF-8 become \xHH;
// printable text, UTF-8 included, is kept. Stored strings (external_ids values, errors) may
// hold anything a client sent: an ESC sequence must never reach the terminal of whoever runs
// `vsctl show`.
std::string escape_control_chars(std::string_view text);

}  // namespace lvs::ctl
