#pragma once
// The few calls of etcd's v3 API this project needs, over its JSON gateway (HTTP/1.1, keys and
// values in base64, int64 as JSON strings): range, put, delete, txn, lease grant / keepalive /
// revoke, and the watch stream (EtcdWatch). Every call has a timeout; on a connection error the
// client tries the next endpoint and stays there. Not thread-safe: one client per thread.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/error.hpp"

namespace httplib {
class Client;
}

namespace lvs::ctl::cluster {

inline constexpr const char* kErrUnreachable = "unreachable";  // no endpoint answered in time
inline constexpr const char* kErrEtcd = "etcd";                // etcd answered with an error

struct KeyValue {
  std::string key, value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t lease = 0;
};

struct RangeReply {
  std::vector<KeyValue> kvs;
  int64_t revision = 0;  // the store's revision the reply reflects
  bool more = false;     // a limit cut the reply short
};

struct TxnReply {
  bool succeeded = false;
  int64_t revision = 0;
  nlohmann::json responses;  // one per op of the branch taken, as the gateway wrote them
};

struct LeaseGrant {
  int64_t id = 0;
  int64_t ttl_s = 0;
};

struct WatchEvent {
  bool deleted = false;
  KeyValue kv;
};

struct WatchReply {
  int64_t revision = 0;
  bool created = false;
  bool canceled = false;
  int64_t compact_revision = 0;  // not 0: the start revision was compacted away
  std::string cancel_reason;
  std::vector<WatchEvent> events;
};

// One JSON object of the gateway's encoding -> our types (exposed for EtcdWatch and tests).
int64_t json_int64(const nlohmann::json& j, const char* name);
KeyValue parse_kv(const nlohmann::json& kv);
Result<WatchReply> parse_watch_reply(std::string_view line);

class EtcdClient {
 public:
  EtcdClient(std::vector<std::string> endpoints, std::chrono::milliseconds timeout);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // POST `body` to `path` ("/v3/kv/range"); the reply's JSON. `timeout` 0: the client's.
  Result<nlohmann::json> call(std::string_view path, const nlohmann::json& body,
                              std::chrono::milliseconds timeout = {});

  // Keys in [key, range_end) ("" range_end: just `key`); `limit` 0: all; `revision` 0: latest.
  Result<RangeReply> range(std::string_view key, std::string_view range_end, int64_t limit = 0,
                           int64_t revision = 0);
  // Every key under `prefix` at one revision, fetched `page` keys at a time.
  Result<RangeReply> range_prefix(std::string_view prefix, int64_t page = 1000);
  Result<int64_t> put(std::string_view key, std::string_view value, int64_t lease = 0);
  Result<int64_t> delete_key(std::string_view key);
  // `compare`, `success`, `failure`: arrays in the gateway's encoding (see txn_* helpers).
  Result<TxnReply> txn(nlohmann::json compare, nlohmann::json success,
                       nlohmann::json failure = nlohmann::json::array());
  Result<LeaseGrant> lease_grant(int64_t ttl_s);
  // The lease's remaining TTL in seconds; 0 when etcd no longer knows it (expired, revoked).
  Result<int64_t> lease_keepalive(int64_t id);
  Status lease_revoke(int64_t id);

  const std::string& endpoint() const { return endpoints_[current_]; }  // the one in use
  uint64_t bytes_received() const { return bytes_received_; }           // reply bodies, total
  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  httplib::Client& client(size_t i);

  std::vector<std::string> endpoints_;
  std::vector<std::unique_ptr<httplib::Client>> clients_;
  size_t current_ = 0;
  std::chrono::milliseconds timeout_;
  uint64_t bytes_received_ = 0;
};

// Txn building blocks in the gateway's encoding.
nlohmann::json txn_compare_create_revision(std::string_view key, int64_t rev);
nlohmann::json txn_compare_value(std::string_view key, std::string_view value);
nlohmann::json txn_compare_lease(std::string_view key, int64_t lease);
nlohmann::json txn_put(std::string_view key, std::string_view value, int64_t lease);
nlohmann::json txn_delete(std::string_view key);
nlohmann::json txn_range(std::string_view key);

// One watch stream (POST /v3/watch, a response per line), run on a thread of its own: run()
// blocks until the stream ends; cancel() (any thread) ends it.
class EtcdWatch {
 public:
  EtcdWatch(std::string endpoint, std::chrono::milliseconds connect_timeout,
            std::chrono::milliseconds idle_timeout);
  ~EtcdWatch();
  EtcdWatch(const EtcdWatch&) = delete;
  EtcdWatch& operator=(const EtcdWatch&) = delete;

  // Watches [key, range_end) from `start_revision`; each reply to `on_reply`. Returns why the
  // stream ended.
  Status run(std::string_view key, std::string_view range_end, int64_t start_revision,
             const std::function<void(WatchReply)>& on_reply);
  void cancel();
  uint64_t bytes_received() const { return bytes_received_.load(); }

 private:
  std::string endpoint_;
  std::unique_ptr<httplib::Client> client_;
  std::atomic<bool> canceled_{false};
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> bytes_received_{0};
};

}  // namespace lvs::ctl::cluster
