#include "distributed.h"

#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO 1
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "denser/common/error.h"
#include "denser/common/io.h"

namespace denser::train_internal {
namespace {

std::string env_string(const char* name, bool required, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    DENSER_CHECK(!required, ErrorCode::kInvalidArgument, "--distributed: environment variable ", name,
                 " is not set (launch one process per rank with MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK)");
    return fallback;
  }
  return v;
}

int env_int(const char* name, bool required, int fallback, int lo, int hi) {
  std::string text = env_string(name, required, std::to_string(fallback));
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  DENSER_CHECK(end != text.c_str() && *end == '\0' && v >= lo && v <= hi, ErrorCode::kInvalidArgument,
               "--distributed: ", name, "=\"", text, "\" is not an integer in [", lo, ", ", hi, "]");
  return static_cast<int>(v);
}

bool is_loopback(const std::string& addr) { return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1"; }

}  // namespace

DistributedEnv DistributedEnv::from_environment() {
  DistributedEnv env;
  env.world_size = env_int("WORLD_SIZE", true, 1, 1, 4096);
  env.rank = env_int("RANK", true, 0, 0, env.world_size - 1);
  env.master_addr = env_string("MASTER_ADDR", false, "127.0.0.1");
  env.rendezvous_file = env_string("DENSER_RENDEZVOUS_FILE", false);
  env.master_port = env_int("MASTER_PORT", false, env.rendezvous_file.empty() ? 29500 : 0,
                            env.rendezvous_file.empty() ? 1 : 0, 65535);
  env.timeout_s = env_int("DENSER_DIST_TIMEOUT", false, 300, 1, 86400);
  return env;
}

namespace {

// A non-zero rank's port when rank 0 chose it: wait for the rendezvous file.
int wait_for_port(const DistributedEnv& env) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(env.timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (file_exists(env.rendezvous_file)) {
      const std::string text = read_file(env.rendezvous_file);
      char* end = nullptr;
      const long port = std::strtol(text.c_str(), &end, 10);
      DENSER_CHECK(end != text.c_str() && port > 0 && port <= 65535, ErrorCode::kCorrupt, env.rendezvous_file,
                   ": expected the rendezvous port, got \"", text, "\"");
      return static_cast<int>(port);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  DENSER_THROW(ErrorCode::kUnavailable, "--distributed: rank ", env.rank, " waited ", env.timeout_s,
               " s for rank 0 to write the port to ", env.rendezvous_file);
}

}  // namespace

struct Distributed::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

Distributed::Distributed(const DistributedEnv& env) : env_(env), impl_(std::make_unique<Impl>()) {
  DENSER_CHECK(env.master_port != 0 || !env.rendezvous_file.empty(), ErrorCode::kInvalidArgument,
               "--distributed: MASTER_PORT=0 needs DENSER_RENDEZVOUS_FILE (where rank 0 writes the port it got)");
  if (env.rank != 0 && env_.master_port == 0) env_.master_port = wait_for_port(env);
  const int timeout_s = env.timeout_s;
  try {
    c10d::TCPStoreOptions opts;
    opts.port = static_cast<uint16_t>(env_.master_port);
    opts.isServer = env.rank == 0;
    opts.numWorkers = static_cast<size_t>(env.world_size);
    opts.waitWorkers = false;  // below, once the port is published
    opts.timeout = std::chrono::seconds(timeout_s);
    auto store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, opts);
    if (env.rank == 0) {
      env_.master_port = store->getPort();  // the kernel's choice when MASTER_PORT=0
      if (!env.rendezvous_file.empty()) write_file_atomic(env.rendezvous_file, std::to_string(env_.master_port) + "\n");
    }
    // Every rank checks in; rank 0 (the server) also waits until all have.
    store->waitForWorkers();
    impl_->store = store;
    auto options = c10d::ProcessGroupGloo::Options::create(std::chrono::seconds(timeout_s));
    // Where this rank's Gloo pairs listen: GLOO_SOCKET_IFNAME as in PyTorch, loopback for a
    // loopback rendezvous, else the address this machine's hostname resolves to.
    if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname != nullptr && *ifname != '\0') {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    } else if (is_loopback(env.master_addr)) {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    } else {
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    options->threads = 2;
    impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, env.rank, env.world_size, options);
  } catch (const std::exception& e) {
    DENSER_THROW(ErrorCode::kUnavailable, "--distributed: rank ", env.rank, " of ", env.world_size,
                 " could not join the group at ", env.master_addr, ":", env_.master_port, ": ", e.what());
  }
}

Distributed::~Distributed() = default;

void Distributed::all_reduce_sum(std::vector<torch::Tensor>& tensors) {
  if (env_.world_size == 1) return;
  for (torch::Tensor& t : tensors) {
    if (t.is_sparse()) {
      // Gather every rank's (indices, values) and sum them: exact, and O(touched rows).
      torch::Tensor local = t.coalesce();
      torch::Tensor idx = local.indices().contiguous(), val = local.values().contiguous();
      torch::Tensor n = torch::tensor({idx.size(1)}, torch::kLong);
      std::vector<torch::Tensor> counts = all_gather(n);
      int64_t most = 0;
      for (const auto& c : counts) most = std::max(most, c.item<int64_t>());
      auto pad = [&](const torch::Tensor& x, int64_t dim) {
        auto sizes = x.sizes().vec();
        sizes[static_cast<size_t>(dim)] = most - x.size(dim);
        return torch::cat({x, torch::zeros(sizes, x.options())}, dim);
      };
      std::vector<torch::Tensor> all_idx = all_gather(pad(idx, 1)), all_val = all_gather(pad(val, 0));
      std::vector<torch::Tensor> parts_idx, parts_val;
      for (size_t r = 0; r < counts.size(); ++r) {
        const int64_t c = counts[r].item<int64_t>();
        parts_idx.push_back(all_idx[r].narrow(1, 0, c));
        parts_val.push_back(all_val[r].narrow(0, 0, c));
      }
      t = torch::sparse_coo_tensor(torch::cat(parts_idx, 1), torch::cat(parts_val, 0), t.sizes(), t.options())
              .coalesce();
    } else {
      std::vector<torch::Tensor> one = {t};
      impl_->group->allreduce(one)->wait();
    }
  }
}

std::vector<torch::Tensor> Distributed::all_gather(const torch::Tensor& local) {
  torch::Tensor input = local.contiguous();
  if (env_.world_size == 1) return {input};
  std::vector<std::vector<torch::Tensor>> out(1);
  for (int r = 0; r < env_.world_size; ++r) out[0].push_back(torch::empty_like(input));
  std::vector<torch::Tensor> in = {input};
  impl_->group->allgather(out, in)->wait();
  return out[0];
}

void Distributed::broadcast(torch::Tensor& t, int root) {
  if (env_.world_size == 1) return;
  std::vector<torch::Tensor> one = {t};
  c10d::BroadcastOptions opts;
  opts.rootRank = root;
  impl_->group->broadcast(one, opts)->wait();
}

std::string Distributed::broadcast_bytes(const std::string& bytes, int root) {
  if (env_.world_size == 1) return bytes;
  torch::Tensor n = torch::tensor({static_cast<int64_t>(bytes.size())}, torch::kLong);
  broadcast(n, root);
  if (n.item<int64_t>() == 0) return std::string();
  torch::Tensor data = torch::empty({n.item<int64_t>()}, torch::kUInt8);
  if (env_.rank == root && !bytes.empty()) std::memcpy(data.data_ptr(), bytes.data(), bytes.size());
  broadcast(data, root);
  return std::string(static_cast<const char*>(data.data_ptr()), static_cast<size_t>(data.numel()));
}

void Distributed::barrier() {
  if (env_.world_size == 1) return;
  impl_->group->barrier()->wait();
}

}  // namespace denser::train_internal
