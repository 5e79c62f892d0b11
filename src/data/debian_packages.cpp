// Building the Debian packages collection from parsed Translation-en entries; the
// decisions are listed in denser/data/debian_packages.h and docs/formats/debian-packages.md.
#include "denser/data/debian_packages.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <unordered_map>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/log.h"
#include "denser/common/progress.h"

extern char** environ;

namespace denser {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

const char* const kSplits[] = {"train", "dev", "test"};

// Sorts entries by package, the preferred entry of each package first: one with a long
// description, then the byte-wise smallest (synopsis, description).
void sort_by_preference(std::vector<PackageDescription>& entries) {
  std::sort(entries.begin(), entries.end(), [](const PackageDescription& a, const PackageDescription& b) {
    const bool a_empty = a.description.empty();
    const bool b_empty = b.description.empty();
    return std::tie(a.package, a_empty, a.synopsis, a.description) <
           std::tie(b.package, b_empty, b.synopsis, b.description);
  });
}

// Runs apt-get update for English descriptions, its output discarded; the exit status.
int run_apt_get_update() {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::string args[] = {"apt-get", "update", "-o", "Acquire::Languages=en"};
  char* argv[] = {args[0].data(), args[1].data(), args[2].data(), args[3].data(), nullptr};
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, "apt-get", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> find_or_fetch_lists(const std::string& lists_dir) {
  auto lists = find_translation_files(lists_dir);
  if (!lists.empty()) return lists;
  DENSER_CHECK(fs::equivalent(fs::path(lists_dir), fs::path(kAptListsDir)), ErrorCode::kNotFound, lists_dir,
               ": no *_i18n_Translation-en* lists; expected apt's English package descriptions there");
  DENSER_LOG_INFO(lists_dir, ": no English package lists; running apt-get update -o Acquire::Languages=en");
  int status = run_apt_get_update();
  DENSER_CHECK(status == 0, ErrorCode::kUnavailable, lists_dir,
               ": no *_i18n_Translation-en* lists, and `apt-get update -o "
               "Acquire::Languages=en` failed (status ",
               status,
               "; it needs root). Run: sudo apt-get update "
               "-o Acquire::Languages=en");
  lists = find_translation_files(lists_dir);
  DENSER_CHECK(!lists.empty(), ErrorCode::kNotFound, lists_dir,
               ": apt-get update fetched no Translation-en lists; expected "
               "English descriptions (check Acquire::Languages in /etc/apt/apt.conf.d)");
  return lists;
}

uint32_t write_text_file(const std::string& path, const std::string& contents, Json& files) {
  AtomicFileWriter out(path);
  out.write(contents);
  out.commit();
  files[fs::path(path).filename().string()] = {{"bytes", out.bytes_written()}, {"crc32c", out.crc()}};
  return out.crc();
}

}  // namespace

std::string normalize_synopsis(const std::string& synopsis) {
  std::string out;
  for (char c : synopsis) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
      continue;
    }
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '.')) out.pop_back();
  return out;
}

uint64_t uniform_below(std::mt19937_64& rng, uint64_t bound) {
  DENSER_CHECK(bound > 0, ErrorCode::kInternal, "uniform_below: bound must be positive");
  // Values below 2^64 mod bound would make small results more likely: reject them.
  const uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    uint64_t r = rng();
    if (r >= threshold) return r % bound;
  }
}

std::vector<size_t> seeded_permutation(size_t n, uint64_t seed) {
  std::vector<size_t> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = i;
  std::mt19937_64 rng(seed);
  for (size_t i = n; i-- > 1;) std::swap(p[i], p[uniform_below(rng, i + 1)]);
  return p;
}

// The sample of DebianSplitOptions::max_documents, in place; ids stay sorted.
void sample_documents(DebianCollection& c, size_t max_documents, uint64_t seed) {
  std::unordered_map<std::string, size_t> index_of;
  for (size_t i = 0; i < c.documents.size(); ++i) index_of.emplace(c.documents[i].id, i);
  std::vector<char> keep(c.documents.size(), 0);
  size_t kept = 0;
  for (const char* split : {"dev", "test"})
    for (const auto& [qid, docs] : c.qrels[split].judgments)
      for (const auto& [doc_id, grade] : docs)
        if (!keep[index_of.at(doc_id)]) keep[index_of.at(doc_id)] = 1, ++kept;
  for (size_t i : seeded_permutation(c.documents.size(), seed ^ 0x5a3d1e5ULL)) {
    if (kept >= max_documents) break;
    if (!keep[i]) keep[i] = 1, ++kept;
  }
  DebianCollection out;
  out.counts = c.counts;
  std::set<std::string> kept_ids;
  for (size_t i = 0; i < c.documents.size(); ++i) {
    if (!keep[i]) continue;
    kept_ids.insert(c.documents[i].id);
    out.documents.push_back(std::move(c.documents[i]));
    out.document_packages.push_back(std::move(c.document_packages[i]));
  }
  for (const char* split : kSplits) out.qrels[split];
  for (size_t q = 0; q < c.queries.size(); ++q) {
    const std::string& split = c.query_splits[q];
    std::map<std::string, int> judged;
    for (const auto& [doc_id, grade] : c.qrels[split].judgments.at(c.queries[q].id))
      if (kept_ids.count(doc_id)) judged.emplace(doc_id, grade);
    if (judged.empty()) continue;
    out.qrels[split].judgments[c.queries[q].id] = std::move(judged);
    out.queries.push_back(std::move(c.queries[q]));
    out.query_packages.push_back(std::move(c.query_packages[q]));
    out.query_splits.push_back(split);
  }
  out.counts.num_documents = out.documents.size();
  c = std::move(out);
}

DebianCollection build_debian_collection(std::vector<PackageDescription> entries, const DebianSplitOptions& options) {
  DebianCollection c;
  c.counts.num_entries = entries.size();
  sort_by_preference(entries);
  // Entries are in package order, so the first package met for a description or a synopsis
  // is the smallest name: ids come out sorted without another sort.
  std::unordered_map<std::string, size_t> doc_of_text;
  std::unordered_map<std::string, size_t> query_of_synopsis;
  std::vector<std::set<std::string>> relevant;  // per query, document ids
  for (size_t i = 0; i < entries.size(); ++i) {
    PackageDescription& e = entries[i];
    if (i > 0 && entries[i - 1].package == e.package) {
      ++c.counts.num_duplicate_entries;
      continue;
    }
    ++c.counts.num_packages;
    if (e.description.empty()) {
      ++c.counts.num_without_description;
      continue;
    }
    auto [doc, new_doc] = doc_of_text.emplace(e.description, c.documents.size());
    if (new_doc) {
      c.documents.push_back({e.package, "", e.description});
      c.document_packages.emplace_back();
    }
    c.document_packages[doc->second].push_back(e.package);
    auto [query, new_query] = query_of_synopsis.emplace(normalize_synopsis(e.synopsis), c.queries.size());
    if (new_query) {
      c.queries.push_back({"q-" + e.package, e.synopsis});
      c.query_packages.emplace_back();
      relevant.emplace_back();
    }
    c.query_packages[query->second].push_back(e.package);
    relevant[query->second].insert(c.documents[doc->second].id);
  }
  c.counts.num_documents = c.documents.size();

  const size_t n = c.queries.size();
  DENSER_CHECK(options.num_dev + options.num_test <= n, ErrorCode::kInvalidArgument, "only ", n,
               " distinct synopses; expected at least "
               "--dev + --test = ",
               options.num_dev + options.num_test);
  c.query_splits.resize(n);
  for (const char* split : kSplits) c.qrels[split];  // every split exists, even when empty
  std::vector<size_t> order = seeded_permutation(n, options.seed);
  for (size_t k = 0; k < n; ++k) {
    const size_t q = order[k];
    const char* split = k < options.num_test ? "test" : (k < options.num_test + options.num_dev ? "dev" : "train");
    c.query_splits[q] = split;
    auto& judged = c.qrels[split].judgments[c.queries[q].id];
    for (const auto& doc_id : relevant[q]) judged[doc_id] = 1;
  }
  c.counts.num_documents_before_sampling = c.counts.num_documents;
  if (options.max_documents > 0 && options.max_documents < c.documents.size())
    sample_documents(c, options.max_documents, options.seed);
  for (const char* split : kSplits) {
    c.counts.num_queries[split] = c.qrels[split].num_queries();
    c.counts.num_judgments[split] = c.qrels[split].num_judgments();
  }
  return c;
}

void write_debian_collection(const DebianCollection& c, const std::string& out_dir, const DebianSplitOptions& options,
                             const std::vector<std::pair<std::string, uint64_t>>& sources) {
  std::error_code ec;
  fs::create_directories(fs::path(out_dir) / "qrels", ec);
  DENSER_CHECK(!ec, ErrorCode::kUnavailable, out_dir, ": cannot create the output directory: ", ec.message());
  Json files = Json::object();
  std::string text;
  for (size_t i = 0; i < c.documents.size(); ++i) {
    const Document& d = c.documents[i];
    Json line = {
        {"_id", d.id}, {"title", d.title}, {"text", d.text}, {"metadata", {{"packages", c.document_packages[i]}}}};
    text += line.dump() + "\n";
  }
  write_text_file((fs::path(out_dir) / "corpus.jsonl").string(), text, files);
  text.clear();
  for (size_t i = 0; i < c.queries.size(); ++i) {
    Json line = {{"_id", c.queries[i].id},
                 {"text", c.queries[i].text},
                 {"metadata", {{"packages", c.query_packages[i]}, {"split", c.query_splits[i]}}}};
    text += line.dump() + "\n";
  }
  write_text_file((fs::path(out_dir) / "queries.jsonl").string(), text, files);
  for (const auto& [split, qrels] : c.qrels) {
    text = "query-id\tcorpus-id\tscore\n";
    for (const auto& [qid, docs] : qrels.judgments)
      for (const auto& [doc_id, grade] : docs) text += str(qid, "\t", doc_id, "\t", grade, "\n");
    write_text_file((fs::path(out_dir) / "qrels" / (split + ".tsv")).string(), text, files["qrels"]);
  }
  Json meta = {{"format", "denser-debian-packages"},
               {"version", 1},
               {"layout", "beir"},
               {"seed", options.seed},
               {"num_dev", options.num_dev},
               {"num_test", options.num_test}};
  if (options.max_documents > 0) meta["max_documents"] = options.max_documents;
  Json source_list = Json::array();
  for (const auto& [path, num] : sources) source_list.push_back({{"path", path}, {"entries", num}});
  meta["sources"] = source_list;
  meta["counts"] = {{"entries", c.counts.num_entries},
                    {"packages", c.counts.num_packages},
                    {"duplicate_entries", c.counts.num_duplicate_entries},
                    {"without_description", c.counts.num_without_description},
                    {"documents", c.counts.num_documents},
                    {"documents_before_sampling", c.counts.num_documents_before_sampling},
                    {"queries", c.counts.num_queries},
                    {"judgments", c.counts.num_judgments}};
  meta["files"] = files;
  write_file_atomic((fs::path(out_dir) / "collection.json").string(), meta.dump(2) + "\n");
}

DebianPackagesSummary make_debian_packages_collection(const DebianPackagesOptions& options) {
  DENSER_CHECK(!options.out_dir.empty(), ErrorCode::kInvalidArgument, "no output directory; expected --out DIR");
  DebianPackagesSummary summary;
  std::vector<std::string> lists = find_or_fetch_lists(options.lists_dir);
  std::vector<PackageDescription> entries;
  ReadStats stats;
  auto progress = make_progress("reading package lists", lists.size(), "lists");
  for (const auto& path : lists) {
    auto part = read_translation_file(path, options.read, &stats);
    summary.sources.emplace_back(path, part.size());
    std::move(part.begin(), part.end(), std::back_inserter(entries));
    progress->advance(1);
  }
  progress->finish();
  summary.num_skipped_malformed = stats.num_skipped;
  DebianCollection collection = build_debian_collection(std::move(entries), options.split);
  write_debian_collection(collection, options.out_dir, options.split, summary.sources);
  summary.counts = collection.counts;
  return summary;
}

}  // namespace denser
