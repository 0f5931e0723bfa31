// The Prometheus text format writer (ctl/metrics_exposition.hpp): escaping, one HELP/TYPE per
// family, labels, histograms, names refused.
#include "ctl/metrics_exposition.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace lvs::ctl {
namespace {

TEST(MetricsExposition, EscapesBackslashQuoteAndNewlineInLabelValues) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)"
                               "\n"
                               "d"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(escape_label_value("plain-1.2_x"), "plain-1.2_x");
}

TEST(MetricsExposition, KeepsUtf8AndReplacesBytesThatAreNot) {
  EXPECT_EQ(escape_label_value("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(escape_label_value("a\xff"
                               "b"),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(escape_label_value("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");  // overlong '/'
  EXPECT_EQ(escape_label_value("\xed\xa0\x80"),
            "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");                        // surrogate
  EXPECT_EQ(escape_label_value("x\xe2\x82"), "x\xef\xbf\xbd\xef\xbf\xbd");  // cut short
}

TEST(MetricsExposition, EscapesHelpText) {
  EXPECT_EQ(escape_help("a\\b\nc \"q\""), "a\\\\b\\nc \"q\"");
}

TEST(MetricsExposition, FormatsValues) {
  EXPECT_EQ(format_sample_value(uint64_t{18446744073709551615ull}), "18446744073709551615");
  EXPECT_EQ(format_sample_value(0.0005), "0.0005");
  EXPECT_EQ(format_sample_value(2.5), "2.5");
  EXPECT_EQ(format_sample_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_sample_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_sample_value(std::nan("")), "NaN");
}

TEST(MetricsExposition, WritesEachFamilyOnceWithItsSamplesTogether) {
  Exposition x;
  x.family("lvs_a_total", MetricType::kCounter, "First.").add({{"port", "p1"}}, uint64_t{1});
  x.family("lvs_b", MetricType::kGauge, "Second.").add({}, 2.5);
  // Declaring a family again returns it: the sample joins the first one.
  x.family("lvs_a_total", MetricType::kCounter, "First.").add({{"port", "p\"2"}}, uint64_t{3});
  EXPECT_EQ(x.render(),
            "# HELP lvs_a_total First.\n"
            "# TYPE lvs_a_total counter\n"
            "lvs_a_total{port=\"p1\"} 1\n"
            "lvs_a_total{port=\"p\\\"2\"} 3\n"
            "# HELP lvs_b Second.\n"
            "# TYPE lvs_b gauge\n"
            "lvs_b 2.5\n");
}

TEST(MetricsExposition, WritesHistogramBucketsSumAndCount) {
  Exposition x;
  const double bounds[] = {0.1, 1};
  const uint64_t cumulative[] = {2, 3};
  x.family("lvs_lat_seconds", MetricType::kHistogram, "Latency.")
      .add_histogram({{"op", "commit"}}, bounds, cumulative, 1.75, 4);
  EXPECT_EQ(x.render(),
            "# HELP lvs_lat_seconds Latency.\n"
            "# TYPE lvs_lat_seconds histogram\n"
            "lvs_lat_seconds_bucket{op=\"commit\",le=\"0.1\"} 2\n"
            "lvs_lat_seconds_bucket{op=\"commit\",le=\"1\"} 3\n"
            "lvs_lat_seconds_bucket{op=\"commit\",le=\"+Inf\"} 4\n"
            "lvs_lat_seconds_sum{op=\"commit\"} 1.75\n"
            "lvs_lat_seconds_count{op=\"commit\"} 4\n");
}

TEST(MetricsExposition, RefusesBadNamesAndCountersWithoutTotal) {
  Exposition x;
  EXPECT_THROW(x.family("lvs_packets", MetricType::kCounter, "h"), std::logic_error);
  EXPECT_THROW(x.family("lvs_up_total", MetricType::kGauge, "h"), std::logic_error);
  EXPECT_THROW(x.family("9lvs", MetricType::kGauge, "h"), std::logic_error);
  EXPECT_THROW(x.family("lvs-x", MetricType::kGauge, "h"), std::logic_error);
  auto& f = x.family("lvs_x", MetricType::kGauge, "h");
  EXPECT_THROW(f.add({{"__name", "v"}}, uint64_t{1}), std::logic_error);
  EXPECT_THROW(f.add({{"a-b", "v"}}, uint64_t{1}), std::logic_error);
  EXPECT_THROW(x.family("lvs_x", MetricType::kCounter, "h"), std::logic_error);
  auto& h = x.family("lvs_h_seconds", MetricType::kHistogram, "h");
  const double b[] = {1};
  const uint64_t c[] = {1};
  EXPECT_THROW(h.add_histogram({{"le", "1"}}, b, c, 1, 1), std::logic_error);
  EXPECT_TRUE(valid_metric_name("lvs:rule_x"));
  EXPECT_FALSE(valid_label_name("lvs:x"));
}

}  // namespace
}  // namespace lvs::ctl
