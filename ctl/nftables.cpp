#include "ctl/nftables.hpp"

#include <nftables/libnftables.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace lvs::ctl {

Status run_nft(const std::string& script) {
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (!ctx) return make_error(kErrNat, "nftables: cannot create a context");
  nft_ctx_buffer_output(ctx);
  nft_ctx_buffer_error(ctx);
  const int rc = nft_run_cmd_from_buffer(ctx, script.c_str());
  // Read once: libnftables hands the buffer over and empties it.
  const char* buffered = nft_ctx_get_error_buffer(ctx);
  std::string err = buffered ? buffered : "";
  nft_ctx_free(ctx);
  if (rc == 0) return std::nullopt;
  // The first line says what; the rest quotes our own script back.
  err = err.substr(0, err.find('\n'));
  return make_error(kErrNat, "nftables refused the switch's rules: " + (err.empty() ? "unknown error" : err));
}

Status enable_ip_forward() {
  std::ofstream f("/proc/sys/net/ipv4/ip_forward");
  f << "1\n";
  f.flush();
  if (!f) return make_error(kErrNat, std::string("cannot set net.ipv4.ip_forward=1: ") + std::strerror(errno));
  return std::nullopt;
}

}  // namespace lvs::ctl
