#include "ctl/service.hpp"

#include <chrono>

#include "ctl/commands.hpp"
#include "ctl/database.hpp"
#include "ctl/log.hpp"

namespace lvs::ctl {

using nlohmann::json;

json Service::error_reply(const json& id, const Error& e) {
  return json{{"id", id}, {"error", {{"code", e.code}, {"message", e.message}}}};
}

json Service::handle(const json& request) {
  if (!request.is_object())
    return error_reply(nullptr, make_error(kErrBadRequest, "request: expected a JSON object"));
  // JSON-RPC's id: a number, a string or null, echoed back. Nothing else is copied from the
  // request (a structured id would be copied, and dumped, recursively).
  const auto at = request.find("id");
  if (at != request.end() && !at->is_primitive())
    return error_reply(nullptr, make_error(kErrBadRequest, std::string("request: \"id\" must be a "
                                                                       "number, string or null, not "
                                                                       "an ") +
                                                               at->type_name()));
  const json id = at != request.end() ? *at : json(nullptr);
  if (!request.contains("method") || !request["method"].is_string())
    return error_reply(id, make_error(kErrBadRequest, "request: missing string \"method\""));
  const std::string method = request["method"].get<std::string>();
  if (method == "transact") {
    static const json kNoParams = json::object();
    const auto params = request.find("params");
    return transact(id, params != request.end() ? *params : kNoParams);
  }
  if (method == "version") return json{{"id", id}, {"result", {{"version", kVersion}}}};
  if (method == "ping") return json{{"id", id}, {"result", "pong"}};
  return error_reply(id, make_error(kErrUnknownMethod, "unknown method \"" + method + "\""));
}

json Service::transact(const json& id, const json& params) {
  if (!params.is_object() || !params.contains("commands") || !params["commands"].is_array())
    return error_reply(id, make_error(kErrBadRequest, "params.commands: expected an array of commands"));
  std::vector<Words> chain;
  size_t i = 0;
  for (const auto& cmd : params["commands"]) {
    if (!cmd.is_array() || cmd.empty())
      return error_reply(id, make_error(kErrBadRequest, "params.commands[" + std::to_string(i) +
                                                            "]: expected a non-empty array of strings"));
    Words words;
    for (const auto& w : cmd) {
      if (!w.is_string())
        return error_reply(id, make_error(kErrBadRequest, "params.commands[" + std::to_string(i) +
                                                              "]: expected strings, got " +
                                                              (w.is_primitive() ? w.dump()
                                                                                : std::string("an ") +
                                                                                      w.type_name())));
      words.push_back(w.get<std::string>());
    }
    chain.push_back(std::move(words));
    ++i;
  }
  // Debug: one line per request, the command names only (values may be long).
  std::string names;
  for (const auto& words : chain)
    for (const auto& w : words)
      if (!w.starts_with("--")) {
        names += (names.empty() ? "" : ", ") + w;
        break;
      }
  Config next = config_;
  Engine engine(next, runtime_);
  if (auto e = engine.run(chain)) {
    log_debug("transaction refused (" + names + "): " + e->message);
    return error_reply(id, *e);
  }
  if (next != config_) {
    if (auto e = validate(next)) return error_reply(id, *e);
    if (!db_path_.empty()) {
      const auto started = std::chrono::steady_clock::now();
      auto e = save_database(db_path_, next);
      commit_latency_.record(std::chrono::steady_clock::now() - started);
      if (e) return error_reply(id, *e);
    }
    if (commit_) {
      if (auto e = commit_(next)) {
        // The datapath refused: put the previous document back so file and switch agree.
        if (!db_path_.empty()) save_database(db_path_, config_);
        return error_reply(id, *e);
      }
    }
    ++transactions_;
  }
  engine.finish();
  log_debug("transaction done (" + names + ")");
  json outputs = engine.outputs();
  config_ = std::move(next);
  return json{{"id", id}, {"result", {{"outputs", outputs}}}};
}

}  // namespace lvs::ctl
