#include "ctl/bounded_json.hpp"

#include <string>

namespace lvs::ctl {
namespace {

using nlohmann::json;

// nlohmann's own DOM builder, with a depth count in front of it.
class DepthLimitedSax {
 public:
  DepthLimitedSax(json& root, size_t max_depth) : dom_(root, false), max_depth_(max_depth) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) {
    return dom_.number_float(v, s);
  }
  bool string(json::string_t& v) { return dom_.string(v); }
  bool binary(json::binary_t& v) { return dom_.binary(v); }
  bool key(json::string_t& v) { return dom_.key(v); }
  bool start_object(size_t n) { return enter() && dom_.start_object(n); }
  bool start_array(size_t n) { return enter() && dom_.start_array(n); }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  template <class Exception>
  bool parse_error(size_t position, const std::string& token, const Exception& ex) {
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." without the tag.
    error_ = ex.what();
    if (const size_t tag_end = error_.find("] "); error_.starts_with("[json.exception"))
      error_.erase(0, tag_end + 2);
    return dom_.parse_error(position, token, ex);
  }

  const std::string& error() const { return error_; }
  bool too_deep() const { return too_deep_; }

 private:
  bool enter() {
    if (++depth_ <= max_depth_) return true;
    too_deep_ = true;
    return false;
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  size_t max_depth_;
  size_t depth_ = 0;
  bool too_deep_ = false;
  std::string error_;
};

}  // namespace

Result<nlohmann::json> parse_bounded_json(std::string_view text, size_t max_depth) {
  json root;
  DepthLimitedSax sax(root, max_depth);
  const bool ok = json::sax_parse(text.begin(), text.end(), &sax);
  if (ok) return root;
  if (sax.too_deep()) {
    // The parse stopped at the first bracket past the limit: find it for the message.
    size_t depth = 0, at = 0;
    bool in_string = false, escaped = false;
    for (; at < text.size(); ++at) {
      const char c = text[at];
      if (in_string) {
        if (escaped)
          escaped = false;
        else if (c == '\\')
          escaped = true;
        else if (c == '"')
          in_string = false;
      } else if (c == '"') {
        in_string = true;
      } else if (c == '[' || c == '{') {
        if (++depth > max_depth) break;
      } else if (c == ']' || c == '}') {
        --depth;
      }
    }
    return make_error(kErrBadRequest, "JSON nested deeper than " + std::to_string(max_depth) +
                                          " levels (at byte " + std::to_string(at) + ")");
  }
  return make_error(kErrBadRequest,
                    sax.error().empty() ? std::string("not valid JSON") : sax.error());
}

}  // namespace lvs::ctl
