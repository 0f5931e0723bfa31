#pragma once
// Control-plane errors are values: a short machine code and a message naming the bad word.
// Nothing here throws across the control socket.
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace lvs::ctl {

// Codes carried in socket replies (stable: scripts may match on them).
inline constexpr const char* kErrSyntax = "syntax";          // vsctl words that do not parse
inline constexpr const char* kErrInvalid = "invalid";        // a value fails validation
inline constexpr const char* kErrNotFound = "not_found";     // no such bridge / port / entry
inline constexpr const char* kErrExists = "exists";          // already there (no --may-exist)
inline constexpr const char* kErrBadRequest = "bad_request"; // malformed JSON / request shape
inline constexpr const char* kErrTooLarge = "too_large";     // request over the size limit
inline constexpr const char* kErrUnknownMethod = "unknown_method";
inline constexpr const char* kErrPermission = "permission"; // peer not allowed on the socket
inline constexpr const char* kErrIo = "io";                  // database file could not be written
inline constexpr const char* kErrDatapath = "datapath";      // the datapath refused the snapshot
inline constexpr const char* kErrNat = "nat";                // the host's netfilter refused the rules
inline constexpr const char* kErrBusy = "busy";              // every control-socket slot is taken
inline constexpr const char* kErrTimeout = "timeout";        // a connection idle or stalled too long

struct Error {
  std::string code;
  std::string message;
};

inline Error make_error(std::string code, std::string message) {
  return Error{std::move(code), std::move(message)};
}

// A value or an Error (std::expected is C++23). E: another error type (the CNI plugin's).
template <typename T, typename E = Error>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(E error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const E& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

// Success or an Error.
using Status = std::optional<Error>;

}  // namespace lvs::ctl
