#pragma once
// JSON from someone we do not trust (control socket, database file, the Docker and CNI plugins'
// requests): parsed with a limit on nesting depth, so that no later step that walks the value
// recursively (copy, compare, dump, destroy) can run out of stack. nlohmann's parser itself is
// iterative; the limit is enforced by a SAX handler that counts depth and stops the parse as
// soon as it is exceeded, before anything deeper is built.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "ctl/error.hpp"

namespace lvs::ctl {

// The deepest our own documents go is 6 (database: bridges / ports / options); 64 leaves room.
inline constexpr size_t kMaxJsonDepth = 64;

// Parses `text` as one JSON document nested at most `max_depth` arrays/objects deep. Errors
// (code bad_request) name the byte where parsing stopped: "nested deeper than 64 levels at byte
// 65", or nlohmann's description of the syntax error.
Result<nlohmann::json> parse_bounded_json(std::string_view text, size_t max_depth = kMaxJsonDepth);

}  // namespace lvs::ctl
