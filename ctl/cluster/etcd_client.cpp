#include "ctl/cluster/etcd_client.hpp"

#include <httplib.h>

#include <charconv>
#include <thread>

#include "ctl/cluster/base64.hpp"
#include "ctl/cluster/key_schema.hpp"
#include "ctl/cluster/store_url.hpp"

namespace lvs::ctl::cluster {
namespace {

using nlohmann::json;

std::unique_ptr<httplib::Client> make_client(const std::string& endpoint,
                                             std::chrono::milliseconds connect,
                                             std::chrono::milliseconds read) {
  const HostPort hp = split_host_port(endpoint);
  auto c = std::make_unique<httplib::Client>(hp.host, hp.port);
  c->set_connection_timeout(connect);
  c->set_read_timeout(read);
  c->set_write_timeout(connect);
  c->set_keep_alive(true);
  c->set_tcp_nodelay(true);
  return c;
}

std::string b64(std::string_view s) { return base64_encode(s); }

// The gateway's error body: {"error": "...", "message": "...", "code": N} (or under "error").
std::string error_text(const std::string& body) {
  const auto j = json::parse(body, nullptr, false);
  if (j.is_object()) {
    if (j.contains("message") && j["message"].is_string()) return j["message"];
    if (j.contains("error") && j["error"].is_string()) return j["error"];
    if (j.contains("error") && j["error"].is_object() && j["error"].contains("message"))
      return j["error"]["message"].get<std::string>();
  }
  return body.substr(0, 200);
}

}  // namespace

int64_t json_int64(const json& j, const char* name) {
  const auto it = j.find(name);
  if (it == j.end()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
  }
  return 0;
}

KeyValue parse_kv(const json& kv) {
  KeyValue out;
  if (const auto it = kv.find("key"); it != kv.end() && it->is_string())
    out.key = base64_decode(it->get<std::string>()).value_or("");
  if (const auto it = kv.find("value"); it != kv.end() && it->is_string())
    out.value = base64_decode(it->get<std::string>()).value_or("");
  out.create_revision = json_int64(kv, "create_revision");
  out.mod_revision = json_int64(kv, "mod_revision");
  out.lease = json_int64(kv, "lease");
  return out;
}

Result<WatchReply> parse_watch_reply(std::string_view line) {
  const auto j = json::parse(line, nullptr, false);
  if (!j.is_object()) return make_error(kErrEtcd, "watch: a reply that is not JSON");
  if (j.contains("error")) return make_error(kErrEtcd, "watch: " + error_text(std::string(line)));
  const auto it = j.find("result");
  if (it == j.end() || !it->is_object())
    return make_error(kErrEtcd, "watch: a reply without result");
  const json& r = *it;
  WatchReply w;
  if (r.contains("header")) w.revision = json_int64(r["header"], "revision");
  w.created = r.value("created", false);
  w.canceled = r.value("canceled", false);
  w.compact_revision = json_int64(r, "compact_revision");
  w.cancel_reason = r.value("cancel_reason", "");
  if (const auto ev = r.find("events"); ev != r.end() && ev->is_array()) {
    w.events.reserve(ev->size());
    for (const auto& e : *ev) {
      WatchEvent out;
      out.deleted = e.value("type", "PUT") == "DELETE";  // PUT is the default: not written
      if (e.contains("kv")) out.kv = parse_kv(e["kv"]);
      w.events.push_back(std::move(out));
    }
  }
  return w;
}

EtcdClient::EtcdClient(std::vector<std::string> endpoints, std::chrono::milliseconds timeout)
    : endpoints_(std::move(endpoints)), clients_(endpoints_.size()), timeout_(timeout) {
  if (endpoints_.empty()) endpoints_.push_back("127.0.0.1:2379"), clients_.resize(1);
}

EtcdClient::~EtcdClient() = default;

httplib::Client& EtcdClient::client(size_t i) {
  if (!clients_[i]) clients_[i] = make_client(endpoints_[i], timeout_, timeout_);
  return *clients_[i];
}

Result<json> EtcdClient::call(std::string_view path, const json& body,
                              std::chrono::milliseconds timeout) {
  const std::string payload = body.dump();
  const std::string p(path);
  std::string failures;
  for (size_t attempt = 0; attempt < endpoints_.size(); ++attempt) {
    const size_t i = (current_ + attempt) % endpoints_.size();
    httplib::Client& c = client(i);
    c.set_read_timeout(timeout.count() > 0 ? timeout : timeout_);
    auto res = c.Post(p, payload, "application/json");
    if (!res) {  // connection refused, timed out, reset: the next endpoint
      if (!failures.empty()) failures += "; ";
      failures += endpoints_[i] + ": " + httplib::to_string(res.error());
      clients_[i].reset();  // a fresh connection next time
      continue;
    }
    current_ = i;
    bytes_received_ += res->body.size();
    if (res->status != 200)
      return make_error(kErrEtcd, p + " on " + endpoints_[i] + ": HTTP " +
                                      std::to_string(res->status) + ": " + error_text(res->body));
    auto j = json::parse(res->body, nullptr, false);
    if (j.is_discarded())
      return make_error(kErrEtcd, p + " on " + endpoints_[i] + ": reply is not JSON");
    return j;
  }
  return make_error(kErrUnreachable, "etcd unreachable (" + failures + ")");
}

Result<RangeReply> EtcdClient::range(std::string_view key, std::string_view range_end,
                                     int64_t limit, int64_t revision) {
  json body{{"key", b64(key)}};
  if (!range_end.empty()) body["range_end"] = b64(range_end);
  if (limit > 0) body["limit"] = std::to_string(limit);
  if (revision > 0) body["revision"] = std::to_string(revision);
  // A full sync moves many keys: more time than a keepalive needs.
  auto r = call("/v3/kv/range", body, timeout_ * 5);
  if (!r) return r.error();
  RangeReply out;
  const json& j = *r;
  if (j.contains("header")) out.revision = json_int64(j["header"], "revision");
  out.more = j.value("more", false);
  if (const auto it = j.find("kvs"); it != j.end() && it->is_array()) {
    out.kvs.reserve(it->size());
    for (const auto& kv : *it) out.kvs.push_back(parse_kv(kv));
  }
  return out;
}

Result<RangeReply> EtcdClient::range_prefix(std::string_view prefix, int64_t page) {
  const std::string end = prefix_end(prefix);
  RangeReply all;
  std::string from(prefix);
  while (true) {
    auto r = range(from, end, page, all.revision);
    if (!r) return r.error();
    if (all.revision == 0) all.revision = r->revision;
    for (auto& kv : r->kvs) all.kvs.push_back(std::move(kv));
    if (!r->more || all.kvs.empty()) break;
    from = all.kvs.back().key + '\0';  // the next key after the last one read
  }
  return all;
}

Result<int64_t> EtcdClient::put(std::string_view key, std::string_view value, int64_t lease) {
  json body{{"key", b64(key)}, {"value", b64(value)}};
  if (lease != 0) body["lease"] = std::to_string(lease);
  auto r = call("/v3/kv/put", body);
  if (!r) return r.error();
  return r->contains("header") ? json_int64((*r)["header"], "revision") : int64_t{0};
}

Result<int64_t> EtcdClient::delete_key(std::string_view key) {
  auto r = call("/v3/kv/deleterange", json{{"key", b64(key)}});
  if (!r) return r.error();
  return json_int64(*r, "deleted");
}

Result<TxnReply> EtcdClient::txn(json compare, json success, json failure) {
  auto r = call("/v3/kv/txn", json{{"compare", std::move(compare)},
                                   {"success", std::move(success)},
                                   {"failure", std::move(failure)}});
  if (!r) return r.error();
  TxnReply out;
  out.succeeded = r->value("succeeded", false);
  if (r->contains("header")) out.revision = json_int64((*r)["header"], "revision");
  out.responses = r->value("responses", json::array());
  return out;
}

Result<LeaseGrant> EtcdClient::lease_grant(int64_t ttl_s) {
  auto r = call("/v3/lease/grant", json{{"TTL", std::to_string(ttl_s)}});
  if (!r) return r.error();
  if (r->contains("error") && (*r)["error"].is_string() && !(*r)["error"].empty())
    return make_error(kErrEtcd, "lease grant: " + (*r)["error"].get<std::string>());
  LeaseGrant g{json_int64(*r, "ID"), json_int64(*r, "TTL")};
  if (g.id == 0) return make_error(kErrEtcd, "lease grant: no lease ID in the reply");
  return g;
}

Result<int64_t> EtcdClient::lease_keepalive(int64_t id) {
  // A stream in gRPC; through the gateway one request body gives one reply line.
  auto r = call("/v3/lease/keepalive", json{{"ID", std::to_string(id)}});
  if (!r) {
    if (r.error().code == kErrEtcd && r.error().message.find("not found") != std::string::npos)
      return int64_t{0};
    return r.error();
  }
  if (r->contains("error")) return int64_t{0};  // "requested lease not found"
  return r->contains("result") ? json_int64((*r)["result"], "TTL") : int64_t{0};
}

Status EtcdClient::lease_revoke(int64_t id) {
  auto r = call("/v3/lease/revoke", json{{"ID", std::to_string(id)}});
  if (!r &&
      !(r.error().code == kErrEtcd && r.error().message.find("not found") != std::string::npos))
    return r.error();
  return std::nullopt;
}

json txn_compare_create_revision(std::string_view key, int64_t rev) {
  return {{"target", "CREATE"},
          {"result", "EQUAL"},
          {"key", b64(key)},
          {"create_revision", std::to_string(rev)}};
}
json txn_compare_value(std::string_view key, std::string_view value) {
  return {{"target", "VALUE"}, {"result", "EQUAL"}, {"key", b64(key)}, {"value", b64(value)}};
}
json txn_compare_lease(std::string_view key, int64_t lease) {
  return {{"target", "LEASE"},
          {"result", "EQUAL"},
          {"key", b64(key)},
          {"lease", std::to_string(lease)}};
}
json txn_put(std::string_view key, std::string_view value, int64_t lease) {
  json put{{"key", b64(key)}, {"value", b64(value)}};
  if (lease != 0) put["lease"] = std::to_string(lease);
  return {{"request_put", std::move(put)}};
}
json txn_delete(std::string_view key) { return {{"request_delete_range", {{"key", b64(key)}}}}; }
json txn_range(std::string_view key) { return {{"request_range", {{"key", b64(key)}}}}; }

EtcdWatch::EtcdWatch(std::string endpoint, std::chrono::milliseconds connect_timeout,
                     std::chrono::milliseconds idle_timeout)
    : endpoint_(std::move(endpoint)),
      client_(make_client(endpoint_, connect_timeout, idle_timeout)) {}

EtcdWatch::~EtcdWatch() { cancel(); }

Status EtcdWatch::run(std::string_view key, std::string_view range_end, int64_t start_revision,
                      const std::function<void(WatchReply)>& on_reply) {
  running_ = true;
  struct Done {
    std::atomic<bool>& r;
    ~Done() { r = false; }
  } done{running_};
  if (canceled_) return make_error(kErrEtcd, "watch canceled");
  json create{{"key", b64(key)}, {"range_end", b64(range_end)}, {"progress_notify", true}};
  if (start_revision > 0) create["start_revision"] = std::to_string(start_revision);
  httplib::Request req;
  req.method = "POST";
  req.path = "/v3/watch";
  req.body = json{{"create_request", create}}.dump();
  req.set_header("Content-Type", "application/json");
  std::string buf;
  Status reply_error;
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    bytes_received_ += n;
    buf.append(data, n);
    size_t start = 0;
    for (size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1) {
      const std::string_view line(buf.data() + start, nl - start);
      if (line.empty()) continue;
      auto w = parse_watch_reply(line);
      if (!w) {
        reply_error = w.error();
        return false;
      }
      on_reply(std::move(*w));
    }
    buf.erase(0, start);
    return !canceled_;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const bool ok = client_->send(req, res, err);
  if (reply_error) return reply_error;
  if (canceled_) return make_error(kErrEtcd, "watch canceled");
  if (!ok)
    return make_error(kErrUnreachable, "watch on " + endpoint_ + ": " + httplib::to_string(err));
  if (res.status != 200)
    return make_error(kErrEtcd, "watch on " + endpoint_ + ": HTTP " + std::to_string(res.status));
  return make_error(kErrUnreachable, "watch on " + endpoint_ + ": the stream ended");
}

void EtcdWatch::cancel() {
  canceled_ = true;
  // stop() only interrupts a request in flight: repeat until run() is out.
  while (running_) {
    client_->stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace lvs::ctl::cluster
