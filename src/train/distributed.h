#pragma once
// Data-parallel training across processes on libtorch's c10d: a Gloo process group joined
// through torchrun-style rendezvous (MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK). Private
// header (libtorch).
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace denser::train_internal {

struct DistributedEnv {
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  int world_size = 1;
  int rank = 0;
  /// DENSER_RENDEZVOUS_FILE: with MASTER_PORT=0, rank 0 lets the kernel choose the port
  /// and writes it to this file (atomically); the other ranks read the port from it. No
  /// port is ever guessed, so concurrent runs on one machine cannot collide.
  std::string rendezvous_file;
  /// DENSER_DIST_TIMEOUT: seconds to wait for every rank (rendezvous and collectives).
  int timeout_s = 300;
  /// Reads MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, DENSER_RENDEZVOUS_FILE and
  /// DENSER_DIST_TIMEOUT; throws an Error naming the variable that is missing or malformed.
  static DistributedEnv from_environment();
};

/// A joined process group. Every collective must be called by every rank, in the same order.
class Distributed {
 public:
  /// Connects to the rendezvous (rank 0 hosts it) and builds the Gloo group; waits up to
  /// env.timeout_s for every rank.
  explicit Distributed(const DistributedEnv& env);
  ~Distributed();

  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  bool is_main() const { return env_.rank == 0; }

  /// Sums every tensor in place across ranks (dense, or sparse COO: the result is coalesced).
  void all_reduce_sum(std::vector<torch::Tensor>& tensors);
  /// Every rank's `local` (same shape on every rank), in rank order.
  std::vector<torch::Tensor> all_gather(const torch::Tensor& local);
  /// Replaces `t` on every rank with rank `root`'s (same shape and dtype everywhere).
  void broadcast(torch::Tensor& t, int root = 0);
  /// Bytes from rank root to everyone (any length).
  std::string broadcast_bytes(const std::string& bytes, int root = 0);
  void barrier();

 private:
  struct Impl;
  DistributedEnv env_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace denser::train_internal
