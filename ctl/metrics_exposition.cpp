#include "ctl/metrics_exposition.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace lvs::ctl {
namespace {

const char* type_name(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// Length of the UTF-8 sequence starting at s[i], 0 when it is not one (overlong forms,
// surrogates and code points past U+10FFFF included).
size_t utf8_length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if ((c & 0xe0) == 0xc0)
    n = 2, cp = c & 0x1f;
  else if ((c & 0xf0) == 0xe0)
    n = 3, cp = c & 0x0f;
  else if ((c & 0xf8) == 0xf0)
    n = 4, cp = c & 0x07;
  else
    return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

bool name_char(char c, bool first, bool colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

bool valid_name(std::string_view name, bool colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0, colon)) return false;
  return true;
}

}  // namespace

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size();) {
    const size_t n = utf8_length(v, i);
    if (n == 0) {
      out += "\xef\xbf\xbd";  // U+FFFD
      ++i;
      continue;
    }
    if (n == 1 && v[i] == '\\')
      out += "\\\\";
    else if (n == 1 && v[i] == '"')
      out += "\\\"";
    else if (n == 1 && v[i] == '\n')
      out += "\\n";
    else
      out.append(v.substr(i, n));
    i += n;
  }
  return out;
}

std::string escape_help(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_sample_value(uint64_t value) { return std::to_string(value); }

std::string format_sample_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::general);
  (void)ec;  // 64 bytes hold any double's shortest form
  return std::string(buf, end);
}

bool valid_metric_name(std::string_view name) { return valid_name(name, true); }

bool valid_label_name(std::string_view name) {
  return valid_name(name, false) && !name.starts_with("__");
}

Exposition::Family& Exposition::family(std::string_view name, MetricType type,
                                       std::string_view help) {
  for (auto& f : families_) {
    if (f.name_ != name) continue;
    if (f.type_ != type) throw std::logic_error("metric family " + f.name_ + " declared twice");
    return f;
  }
  if (!valid_metric_name(name))
    throw std::logic_error("\"" + std::string(name) + "\" is not a metric name");
  if ((type == MetricType::kCounter) != name.ends_with("_total"))
    throw std::logic_error("metric " + std::string(name) +
                           ": counters, and only counters, end in _total");
  Family& f = families_.emplace_back();
  f.name_ = name;
  f.type_ = type;
  f.text_ = "# HELP " + f.name_ + " " + escape_help(help) + "\n# TYPE " + f.name_ + " " +
            type_name(type) + "\n";
  return f;
}

void Exposition::Family::line(std::string_view suffix, const MetricLabels& labels,
                              const std::string& value,
                              const std::pair<std::string, std::string>* extra) {
  text_ += name_;
  text_ += suffix;
  if (!labels.empty() || extra) {
    text_ += '{';
    bool first = true;
    const auto put = [&](const std::pair<std::string, std::string>& l) {
      if (!valid_label_name(l.first) ||
          (type_ == MetricType::kHistogram && &l != extra && l.first == "le"))
        throw std::logic_error("metric " + name_ + ": \"" + l.first + "\" is not a label name");
      if (!first) text_ += ',';
      first = false;
      text_ += l.first;
      text_ += "=\"";
      text_ += escape_label_value(l.second);
      text_ += '"';
    };
    for (const auto& l : labels) put(l);
    if (extra) put(*extra);
    text_ += '}';
  }
  text_ += ' ';
  text_ += value;
  text_ += '\n';
}

Exposition::Family& Exposition::Family::add(const MetricLabels& labels, uint64_t value) {
  line("", labels, format_sample_value(value));
  return *this;
}

Exposition::Family& Exposition::Family::add(const MetricLabels& labels, double value) {
  line("", labels, format_sample_value(value));
  return *this;
}

Exposition::Family& Exposition::Family::add_histogram(const MetricLabels& labels,
                                                      std::span<const double> bounds,
                                                      std::span<const uint64_t> cumulative,
                                                      double sum, uint64_t count) {
  if (type_ != MetricType::kHistogram || bounds.size() != cumulative.size())
    throw std::logic_error("metric " + name_ + ": not a histogram of " +
                           std::to_string(bounds.size()) + " buckets");
  for (size_t i = 0; i < bounds.size(); ++i) {
    const std::pair<std::string, std::string> le{"le", format_sample_value(bounds[i])};
    line("_bucket", labels, format_sample_value(cumulative[i]), &le);
  }
  const std::pair<std::string, std::string> inf{"le", "+Inf"};
  line("_bucket", labels, format_sample_value(count), &inf);
  line("_sum", labels, format_sample_value(sum));
  line("_count", labels, format_sample_value(count));
  return *this;
}

std::string Exposition::render() const {
  std::string out;
  for (const auto& f : families_) out += f.text_;
  return out;
}

}  // namespace lvs::ctl
