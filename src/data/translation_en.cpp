// Reading apt's Translation-en lists: deb822 stanzas "Package:", "Description-md5:",
// "Description-en: <synopsis>" followed by indented continuation lines (the long
// description; a " ." line separates paragraphs), stanzas separated by blank lines.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "read_util.h"
#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/data/debian_packages.h"

extern char** environ;

namespace denser {
namespace {

using data_internal::bad_record;
using data_internal::BadRecord;

constexpr const char* kAptHelper = "/usr/lib/apt/apt-helper";
constexpr const char* kCompressions[] = {".lz4", ".gz", ".xz", ".bz2", ".zst", ".lzma"};

bool has_suffix(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_compressed(std::string_view name) {
  return std::any_of(std::begin(kCompressions), std::end(kCompressions),
                     [&](const char* ext) { return has_suffix(name, ext); });
}

// Appends s to out with runs of blanks as one space and no blanks at either end.
void append_collapsed(std::string& out, std::string_view s) {
  bool pending_space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r') {
      pending_space = true;
      continue;
    }
    if (pending_space && !out.empty() && out.back() != '\n') out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
}

// Stanza state machine: fed one line at a time, it appends good stanzas to out and
// routes malformed ones through the SkipPolicy.
class StanzaParser {
 public:
  StanzaParser(const std::string& path, ReadOptions options, ReadStats* stats, std::vector<PackageDescription>& out)
      : path_(path), stats_(stats), policy_(options, stats), out_(out) {}

  void line(std::string_view text, uint64_t number) {
    if (data_internal::is_blank(text)) return end_stanza();
    if (start_line_ == 0) start_line_ = number;
    try {
      data_internal::check_utf8(text);
      if (text[0] == ' ' || text[0] == '\t') {
        continuation(text.substr(1));
      } else {
        field(text);
      }
    } catch (const BadRecord& e) {
      if (error_.empty()) {
        error_ = e.what;
        error_line_ = number;
      }
    }
  }

  void finish() {
    end_stanza();
    policy_.summarize(path_);
  }

 private:
  void field(std::string_view text) {
    size_t colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0)
      bad_record("expected \"Field: value\" or an indented continuation line");
    std::string_view name = text.substr(0, colon);
    std::string_view value = data_internal::trim(text.substr(colon + 1));
    in_description_ = false;
    if (name == "Package") {
      if (!entry_.package.empty()) bad_record("a second Package field; expected a blank line between stanzas");
      entry_.package.assign(value);
    } else if (name == "Description-en") {
      if (has_description_) bad_record("a second Description-en field; expected one per stanza");
      has_description_ = true;
      in_description_ = true;
      append_collapsed(entry_.synopsis, value);
    }
    in_field_ = true;
  }

  void continuation(std::string_view rest) {
    if (!in_field_) bad_record("continuation line before any field; expected \"Field: value\"");
    if (!in_description_) return;
    std::string_view content = data_internal::trim(rest);
    if (content == ".") {  // paragraph break
      if (!entry_.description.empty() && entry_.description.back() != '\n') entry_.description.push_back('\n');
      return;
    }
    if (!entry_.description.empty() && entry_.description.back() != '\n') entry_.description.push_back(' ');
    append_collapsed(entry_.description, content);
  }

  void end_stanza() {
    if (start_line_ != 0) {
      try {
        if (!error_.empty()) throw BadRecord{error_};
        if (entry_.package.empty()) bad_record("stanza without a Package field; expected \"Package: <name>\"");
        if (!has_description_ || entry_.synopsis.empty())
          bad_record("package \"", entry_.package,
                     "\" has no Description-en synopsis; expected "
                     "\"Description-en: <synopsis>\"");
        while (!entry_.description.empty() && entry_.description.back() == '\n') entry_.description.pop_back();
        out_.push_back(std::move(entry_));
        if (stats_ != nullptr) ++stats_->num_records;
      } catch (const BadRecord& e) {
        policy_.skip(str(path_, ":", error_.empty() ? start_line_ : error_line_), e.what);
      }
    }
    entry_ = PackageDescription{};
    start_line_ = 0;
    error_.clear();
    has_description_ = in_description_ = in_field_ = false;
  }

  std::string path_;
  ReadStats* stats_;
  data_internal::SkipPolicy policy_;
  std::vector<PackageDescription>& out_;
  PackageDescription entry_;
  uint64_t start_line_ = 0;  // 0: between stanzas
  std::string error_;        // first problem of the current stanza
  uint64_t error_line_ = 0;
  bool has_description_ = false;
  bool in_description_ = false;  // continuation lines belong to Description-en
  bool in_field_ = false;
};

// Calls fn(line, number) for each line apt-helper prints for the (compressed) file.
void for_each_decompressed_line(const std::string& path, const std::function<void(std::string_view, uint64_t)>& fn) {
  DENSER_CHECK(::access(kAptHelper, X_OK) == 0, ErrorCode::kUnsupported, path, ": cannot decompress: ", kAptHelper,
               " not found; expected apt (Debian) to be installed");
  int fds[2];
  DENSER_CHECK(::pipe2(fds, O_CLOEXEC) == 0, ErrorCode::kUnavailable, "pipe failed: ", std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  std::string helper = kAptHelper;
  std::string verb = "cat-file";
  std::string file = path;
  char* argv[] = {helper.data(), verb.data(), file.data(), nullptr};
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, kAptHelper, &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    DENSER_THROW(ErrorCode::kUnavailable, path, ": cannot run ", kAptHelper, ": ", std::strerror(rc));
  }
  std::FILE* in = ::fdopen(fds[0], "r");
  char* buf = nullptr;
  size_t cap = 0;
  uint64_t number = 0;
  auto cleanup = [&] {  // closing the pipe first lets a child we stop reading exit
    std::free(buf);
    if (in != nullptr)
      std::fclose(in);
    else
      ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
  };
  try {
    DENSER_CHECK(in != nullptr, ErrorCode::kUnavailable, path, ": fdopen failed: ", std::strerror(errno));
    ssize_t n;
    while ((n = ::getline(&buf, &cap, in)) >= 0) {
      std::string_view line(buf, static_cast<size_t>(n));
      if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      fn(line, ++number);
    }
  } catch (...) {
    cleanup();
    throw;
  }
  int status = cleanup();
  DENSER_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, ErrorCode::kCorrupt, path, ": `", kAptHelper,
               " cat-file` failed (status ", status, "); expected a readable apt list");
}

}  // namespace

std::vector<std::string> find_translation_files(const std::string& lists_dir) {
  namespace fs = std::filesystem;
  DENSER_CHECK(fs::is_directory(lists_dir), ErrorCode::kNotFound, lists_dir,
               ": not a directory; expected apt's lists directory");
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(lists_dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    size_t at = name.find("_i18n_Translation-en");
    if (at == std::string::npos) continue;
    std::string_view rest = std::string_view(name).substr(at + std::strlen("_i18n_Translation-en"));
    // "Translation-en_GB" is another language; only plain English, any compression.
    if (rest.empty() || (is_compressed(rest) && rest.find('.', 1) == std::string_view::npos))
      out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<PackageDescription> read_translation_file(const std::string& path, ReadOptions options, ReadStats* stats) {
  std::vector<PackageDescription> out;
  StanzaParser parser(path, options, stats, out);
  if (is_compressed(path)) {
    for_each_decompressed_line(path, [&](std::string_view line, uint64_t n) { parser.line(line, n); });
  } else {
    LineReader lines(path);
    std::string line;
    while (lines.next(line)) parser.line(line, lines.line_number());
  }
  parser.finish();
  return out;
}

}  // namespace denser
