#include "denser/data/collection.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <unordered_map>

#include "qrels_internal.h"
#include "read_util.h"
#include "denser/common/error.h"
#include "denser/common/log.h"
#include "denser/common/progress.h"

namespace denser {
namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : sep) + item;
  return out;
}

// The regular files of dir whose lower-cased name satisfies pred, sorted.
template <typename Pred>
std::vector<std::string> files_matching(const std::string& dir, Pred pred) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && pred(lower(entry.path().filename().string()))) out.push_back(entry.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

// At most one file may play a role; two candidates would make the choice arbitrary.
std::string at_most_one(const std::vector<std::string>& files, const std::string& dir, const char* role) {
  DENSER_CHECK(files.size() <= 1, ErrorCode::kCorrupt, dir, ": several SMART ", role, " files (", join(files, ", "),
               "); expected one");
  return files.empty() ? std::string() : files[0];
}

// The names the classic collections ship their files under, in any case: Cranfield
// (cran.all.1400, cran.qry, cranqrel), CISI and MED (CISI.ALL, CISI.QRY, CISI.REL), CACM
// (cacm.all, query.text, qrels.text) and the Glasgow archive (doc-text, query-text, rlv-ass).
// files_matching() passes names in lower case.
bool is_smart_documents(const std::string& name) {
  return ends_with(name, ".all") || name.find(".all.") != std::string::npos || name == "doc-text";
}
bool is_smart_queries(const std::string& name) {
  return ends_with(name, ".qry") || name == "query.text" || name == "query-text";
}
bool is_smart_qrels(const std::string& name) {
  return ends_with(name, "qrel") || ends_with(name, "qrels") || ends_with(name, ".rel") || name == "qrels.text" ||
         name == "rlv-ass";
}

}  // namespace

const char* layout_name(CollectionLayout layout) {
  switch (layout) {
    case CollectionLayout::kBeir: return "beir";
    case CollectionLayout::kMsMarco: return "msmarco";
    case CollectionLayout::kSmart: return "smart";
  }
  return "unknown";
}

Collection Collection::open(const std::string& dir, ReadOptions options) {
  DENSER_CHECK(fs::is_directory(dir), ErrorCode::kNotFound, dir, ": not a directory; expected a collection directory");
  Collection c;
  c.dir_ = dir;
  c.options_ = options;
  const fs::path root(dir);
  if (fs::exists(root / "corpus.jsonl")) {
    c.layout_ = CollectionLayout::kBeir;
    c.corpus_path_ = (root / "corpus.jsonl").string();
    c.queries_path_ = (root / "queries.jsonl").string();
    return c;
  }
  if (fs::exists(root / "collection.tsv")) {
    c.layout_ = CollectionLayout::kMsMarco;
    c.corpus_path_ = (root / "collection.tsv").string();
    return c;
  }
  auto docs = files_matching(dir, is_smart_documents);
  DENSER_CHECK(!docs.empty(), ErrorCode::kNotFound, dir,
               ": cannot detect the collection layout; expected corpus.jsonl (BEIR), "
               "collection.tsv (MS MARCO) or a SMART documents file *.all.* or doc-text (with *.qry or query-text, "
               "and *qrel or rlv-ass)");
  c.layout_ = CollectionLayout::kSmart;
  c.corpus_path_ = at_most_one(docs, dir, "documents (*.all.*)");
  c.queries_path_ = at_most_one(files_matching(dir, is_smart_queries), dir, "queries (*.qry)");
  c.smart_qrels_path_ = at_most_one(files_matching(dir, is_smart_qrels), dir, "judgments (*qrel)");
  return c;
}

std::unique_ptr<DocumentReader> Collection::documents() const {
  switch (layout_) {
    case CollectionLayout::kBeir: return open_beir_corpus(corpus_path_, options_);
    case CollectionLayout::kMsMarco: return open_msmarco_collection(corpus_path_, options_);
    case CollectionLayout::kSmart: return open_smart_documents(corpus_path_, options_);
  }
  DENSER_THROW(ErrorCode::kInternal, "unknown collection layout");
}

std::vector<std::string> Collection::splits() const {
  std::vector<std::string> out;
  if (layout_ == CollectionLayout::kSmart) {
    if (!smart_qrels_path_.empty()) out.push_back("test");
    return out;
  }
  const bool beir = layout_ == CollectionLayout::kBeir;
  const std::string dir = beir ? (fs::path(dir_) / "qrels").string() : dir_;
  if (!fs::is_directory(dir)) return out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::string name = entry.path().filename().string();
    if (!ends_with(name, ".tsv")) continue;
    name.resize(name.size() - 4);
    if (beir) {
      if (!name.empty()) out.push_back(name);
    } else if (name.rfind("qrels.", 0) == 0 && name.size() > 6) {
      out.push_back(name.substr(6));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Collection::qrels_path(const std::string& split) const {
  std::string path;
  switch (layout_) {
    case CollectionLayout::kBeir: path = (fs::path(dir_) / "qrels" / (split + ".tsv")).string(); break;
    case CollectionLayout::kMsMarco: path = (fs::path(dir_) / ("qrels." + split + ".tsv")).string(); break;
    case CollectionLayout::kSmart: path = split == "test" ? smart_qrels_path_ : std::string(); break;
  }
  if (path.empty() || !fs::is_regular_file(path)) {
    const char* expected =
        layout_ == CollectionLayout::kSmart ? "a *qrel file; SMART has split \"test\" only" : path.c_str();
    DENSER_THROW(ErrorCode::kNotFound, dir_, ": no judgments for split \"", split, "\" (expected ", expected,
                 "); splits with judgments: ", splits().empty() ? "none" : join(splits(), ", "));
  }
  return path;
}

std::string Collection::queries_path(const std::string& split) const {
  std::string path =
      layout_ == CollectionLayout::kMsMarco ? (fs::path(dir_) / ("queries." + split + ".tsv")).string() : queries_path_;
  DENSER_CHECK(!path.empty() && fs::is_regular_file(path), ErrorCode::kNotFound, dir_, ": no queries file for split \"",
               split, "\" (expected ", path.empty() ? std::string("a *.qry file") : path, ")");
  return path;
}

const std::unordered_set<std::string>& Collection::doc_ids() const {
  if (doc_ids_) return *doc_ids_;
  auto ids = std::make_shared<std::unordered_set<std::string>>();
  auto reader = documents();
  auto progress = make_progress("reading document ids", reader->total_bytes(), "bytes");
  Document doc;
  uint64_t reported = 0;
  while (reader->next(doc)) {
    ids->insert(std::move(doc.id));
    progress->advance(reader->bytes_read() - reported);
    reported = reader->bytes_read();
  }
  progress->finish();
  doc_ids_ = std::move(ids);
  return *doc_ids_;
}

uint64_t Collection::num_documents() const { return doc_ids().size(); }

Qrels Collection::read_judgments(const std::string& split, ReadStats* stats, bool check_docs) const {
  const std::string path = qrels_path(split);
  const data_internal::DocIdSet* known = check_docs ? &doc_ids() : nullptr;
  switch (layout_) {
    case CollectionLayout::kBeir: return data_internal::read_beir_qrels_checked(path, options_, stats, known);
    case CollectionLayout::kMsMarco: return data_internal::read_qrels_checked(path, options_, stats, known);
    case CollectionLayout::kSmart: return data_internal::read_smart_qrels_checked(path, options_, stats, known);
  }
  DENSER_THROW(ErrorCode::kInternal, "unknown collection layout");
}

Qrels Collection::qrels(const std::string& split, ReadStats* stats) const { return read_judgments(split, stats, true); }

std::vector<Query> Collection::queries(const std::string& split, ReadStats* stats) const {
  ReadStats qrels_stats;  // the judgments' own counters are not the caller's query counters
  const Qrels judged = read_judgments(split, &qrels_stats, false);
  const std::string path = queries_path(split);
  std::vector<Query> all;
  switch (layout_) {
    case CollectionLayout::kBeir: all = read_beir_queries(path, options_, stats); break;
    case CollectionLayout::kMsMarco: all = read_msmarco_queries(path, options_, stats); break;
    case CollectionLayout::kSmart: all = read_smart_queries(path, options_, stats); break;
  }
  std::vector<Query> out;
  std::unordered_map<std::string, bool> found;
  for (const auto& [qid, docs] : judged.judgments) found.emplace(qid, false);
  for (auto& q : all) {
    auto it = found.find(q.id);
    if (it == found.end()) continue;
    it->second = true;
    out.push_back(std::move(q));
  }
  data_internal::SkipPolicy policy(options_, stats);
  for (const auto& [qid, docs] : judged.judgments) {
    if (found[qid]) continue;
    policy.skip(qrels_path(split), str("query \"", qid, "\" is judged but has no text in ", path,
                                       "; expected every judged query in the queries file"));
  }
  policy.summarize(qrels_path(split));
  return out;
}

}  // namespace denser
