#pragma once
// The Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): families of samples, each
// family once with its HELP and TYPE lines and all its samples together, label values escaped.
// Names are checked when a family is declared (they are constants of this program: a bad one is
// a bug, reported with std::logic_error), counters must end in _total.
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lvs::ctl {

inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { kCounter, kGauge, kHistogram };

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// A label value as the format writes it between quotes: \ " and newline escaped; bytes that are
// not UTF-8 become U+FFFD (Prometheus refuses a scrape with invalid UTF-8).
std::string escape_label_value(std::string_view value);
// HELP text: \ and newline escaped.
std::string escape_help(std::string_view text);
// A sample value: integers exactly, others shortest round-trip, +Inf, -Inf, NaN.
std::string format_sample_value(double value);
std::string format_sample_value(uint64_t value);

bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);

class Exposition {
 public:
  class Family {
   public:
    Family& add(const MetricLabels& labels, uint64_t value);
    Family& add(const MetricLabels& labels, double value);
    // A histogram's series: `cumulative[i]` events of at most bounds[i], then +Inf = count.
    Family& add_histogram(const MetricLabels& labels, std::span<const double> bounds,
                          std::span<const uint64_t> cumulative, double sum, uint64_t count);

   private:
    friend class Exposition;
    void line(std::string_view suffix, const MetricLabels& labels, const std::string& value,
              const std::pair<std::string, std::string>* extra = nullptr);
    std::string name_;
    MetricType type_ = MetricType::kGauge;
    std::string text_;  // HELP and TYPE lines, then the samples
  };

  // Declares a family (or returns the one already declared under that name; the type must
  // match). Throws std::logic_error for an invalid name, or a counter not ending in _total.
  Family& family(std::string_view name, MetricType type, std::string_view help);
  std::string render() const;

 private:
  std::deque<Family> families_;  // references to them stay valid
};

}  // namespace lvs::ctl
