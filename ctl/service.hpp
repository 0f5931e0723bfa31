#pragma once
// The daemon's request handler: one JSON request = one transaction.
//   {"id": 7, "method": "transact", "params": {"commands": [["add-br","br1"], ["add-port",...]]}}
//   -> {"id": 7, "result": {"outputs": [null, ...]}}
//   -> {"id": 7, "error": {"code": "not_found", "message": "no bridge named br9"}}
// The chain runs on a copy of the configuration, the copy is validated in full, written to the
// database file, and only then handed to the datapath. Any error leaves everything unchanged.
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "ctl/config.hpp"
#include "ctl/latency_histogram.hpp"
#include "ctl/runtime.hpp"

namespace lvs::ctl {

// The project's version (project(VERSION) in CMakeLists.txt): --version, help2man, the package.
inline constexpr const char* kVersion = LVS_VERSION;

class Service {
 public:
  using Committer = std::function<Status(const Config&)>;

  // `db_path` empty: no database file (tests). `commit` may be empty; `runtime` may be null.
  Service(Config initial, std::string db_path, Committer commit, Runtime* runtime)
      : config_(std::move(initial)), db_path_(std::move(db_path)), commit_(std::move(commit)),
        runtime_(runtime) {}

  nlohmann::json handle(const nlohmann::json& request);
  // Builds an error reply (used by the server for requests that never reach handle()).
  static nlohmann::json error_reply(const nlohmann::json& id, const Error& error);

  const Config& config() const { return config_; }
  uint64_t transactions() const { return transactions_; }
  // How long writing the database file took, per transaction that wrote it (/metrics).
  const LatencyHistogram& commit_latency() const { return commit_latency_; }

 private:
  nlohmann::json transact(const nlohmann::json& id, const nlohmann::json& params);

  Config config_;
  std::string db_path_;
  Committer commit_;
  Runtime* runtime_;
  uint64_t transactions_ = 0;
  LatencyHistogram commit_latency_;
};

}  // namespace lvs::ctl
