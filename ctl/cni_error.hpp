#pragma once
// The CNI plugin's errors: the spec's numeric codes (SPEC.md "Error"), a short message and the
// details, printed as {"cniVersion","code","msg","details"} on stdout with a non-zero exit.
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "ctl/error.hpp"

namespace lvs::ctl::cni {

// Well-known codes (0-99 reserved by the spec).
inline constexpr int kIncompatibleVersion = 1;
inline constexpr int kUnsupportedField = 2;
inline constexpr int kUnknownContainer = 3;
inline constexpr int kInvalidEnvironment = 4;
inline constexpr int kIoFailure = 5;
inline constexpr int kDecodingFailure = 6;
inline constexpr int kInvalidConfig = 7;
inline constexpr int kTryAgainLater = 11;
inline constexpr int kNotAvailable = 50;  // STATUS: cannot serve ADD
// Plugin-specific (100+): the switch refused or could not carry out a request.
inline constexpr int kSwitchRefused = 100;

struct CniError {
  int code = 0;
  std::string msg;
  std::string details;
};

inline CniError cni_error(int code, std::string msg, std::string details = {}) {
  return CniError{code, std::move(msg), std::move(details)};
}
// A control-plane error (switch, netlink) as a CNI error: `msg` says what was being done.
inline CniError cni_error(int code, std::string msg, const Error& cause) {
  return CniError{code, std::move(msg), cause.message};
}

// A value or a CniError.
template <typename T>
using CniResult = Result<T, CniError>;

using CniStatus = std::optional<CniError>;

}  // namespace lvs::ctl::cni
