#pragma once
// A retrieval collection made from the apt index's English package descriptions
// (Translation-en files): each query is a package's one-line synopsis, and its relevant
// document is the package's long description. Written in the BEIR layout, so every
// command that reads a collection reads it. Decisions (see docs/formats/debian-packages.md):
// - A package listed several times (bookworm, -updates, -security, several architectures)
//   keeps one entry: the one with a long description whose (synopsis, description) is
//   byte-wise smallest, so the result depends on the set of entries, not on file order.
// - Packages with identical normalized long descriptions share one document, whose id is
//   the first of their names in byte order; the title is empty (the synopsis is the query).
// - Packages whose synopses are equal after normalization (ASCII lower case, whitespace
//   collapsed, trailing periods dropped) form one query whose relevant documents are all
//   of theirs, so a test synopsis never appears in train.
// - Packages without a long description are skipped and counted.
// - The split is a Fisher-Yates shuffle driven by std::mt19937_64(seed) with rejection
//   sampling, written here (std::shuffle's algorithm is implementation-defined).
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "denser/data/types.h"

namespace denser {

/// Where apt keeps its lists on Debian; the only directory `apt-get update` fills.
inline constexpr const char* kAptListsDir = "/var/lib/apt/lists";

/// One stanza of a Translation-en file.
struct PackageDescription {
  std::string package;
  std::string synopsis;     // the text after "Description-en:", whitespace collapsed
  std::string description;  // continuation lines joined with one space, each paragraph
                            // (" ." separates them) on its own line; empty when none
};

/// The Translation-en lists (English only, any compression apt uses) in lists_dir, sorted.
std::vector<std::string> find_translation_files(const std::string& lists_dir);

/// Parses a Translation-en file in file order. Uncompressed files are read directly;
/// compressed ones (.lz4 .gz .xz .bz2 .zst .lzma) are piped through
/// `/usr/lib/apt/apt-helper cat-file`. A malformed stanza (no Package or Description-en
/// field, a repeated one, a line that is neither "Field: value" nor a continuation, bad
/// UTF-8) is an Error "path:line: ..." (line numbers count decompressed lines), or a
/// counted skip when lenient. O(file) time, O(entries) memory.
std::vector<PackageDescription> read_translation_file(const std::string& path, ReadOptions options = {},
                                                      ReadStats* stats = nullptr);

/// The key packages are grouped by into queries: ASCII lower case, runs of whitespace as
/// one space, no leading/trailing blanks or trailing periods.
std::string normalize_synopsis(const std::string& synopsis);

/// A uniform random integer in [0, bound) from rng, by rejection (no modulo bias, and the
/// same values on every standard library). bound > 0.
uint64_t uniform_below(std::mt19937_64& rng, uint64_t bound);
/// A permutation of 0..n-1 by Fisher-Yates with std::mt19937_64(seed): i from n-1 down to
/// 1 swaps p[i] with p[uniform_below(rng, i + 1)]. Identical on every platform.
std::vector<size_t> seeded_permutation(size_t n, uint64_t seed);

struct DebianSplitOptions {
  uint64_t seed = 42;
  size_t num_dev = 1000;
  size_t num_test = 1000;
  /// A sample of the collection (0: all of it): every document judged by a dev or test
  /// query, then documents drawn at random (seeded) up to this many; training queries keep
  /// their judgments on the documents kept, and those left with none are dropped.
  size_t max_documents = 0;
};

/// The counters `denser data debian-packages` prints.
struct DebianCollectionCounts {
  uint64_t num_entries = 0;              // stanzas read from the lists
  uint64_t num_packages = 0;             // distinct package names
  uint64_t num_duplicate_entries = 0;    // entries dropped because the package was already listed
  uint64_t num_without_description = 0;  // packages skipped: no long description
  uint64_t num_documents = 0;
  uint64_t num_documents_before_sampling = 0;     // == num_documents when not sampled
  std::map<std::string, uint64_t> num_queries;    // split -> queries
  std::map<std::string, uint64_t> num_judgments;  // split -> (query, document) pairs
};

/// A built collection, in memory.
struct DebianCollection {
  std::vector<Document> documents;                          // sorted by id; title empty
  std::vector<std::vector<std::string>> document_packages;  // per document, its packages, sorted
  std::vector<Query> queries;                               // all splits, sorted by id ("q-" + package)
  std::vector<std::vector<std::string>> query_packages;     // per query, its packages, sorted
  std::vector<std::string> query_splits;                    // per query: "train", "dev" or "test"
  std::map<std::string, Qrels> qrels;                       // split -> judgments (grade 1)
  DebianCollectionCounts counts;
};

/// Deduplicates, groups and splits entries (see the file comment). Deterministic for a
/// set of entries and a seed, whatever their order. Throws when fewer distinct synopses
/// exist than num_dev + num_test. O(n log n).
DebianCollection build_debian_collection(std::vector<PackageDescription> entries, const DebianSplitOptions& options);

/// Writes corpus.jsonl, queries.jsonl, qrels/{train,dev,test}.tsv and, last, collection.json
/// (counts, seed, sources, and each file's size and CRC-32C) into out_dir, which is created
/// when missing. Each file is written atomically. sources: list file -> entries read.
void write_debian_collection(const DebianCollection& collection, const std::string& out_dir,
                             const DebianSplitOptions& options,
                             const std::vector<std::pair<std::string, uint64_t>>& sources);

struct DebianPackagesOptions {
  std::string out_dir;
  std::string lists_dir = kAptListsDir;
  DebianSplitOptions split;
  ReadOptions read;
};

struct DebianPackagesSummary {
  std::vector<std::pair<std::string, uint64_t>> sources;  // list file -> entries read
  uint64_t num_skipped_malformed = 0;                     // lenient mode only
  DebianCollectionCounts counts;
};

/// The whole `denser data debian-packages` job: finds the lists (when the system lists
/// directory has none, runs `apt-get update -o Acquire::Languages=en`, which needs root,
/// and fails with the command to run when it cannot), parses, builds and writes.
DebianPackagesSummary make_debian_packages_collection(const DebianPackagesOptions& options);

}  // namespace denser
