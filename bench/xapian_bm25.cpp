#include "xapian_bm25.h"

#include <xapian.h>

#include <chrono>
#include <exception>
#include <iterator>
#include <mutex>
#include <thread>

#include "denser/common/error.h"
#include "denser/common/timer.h"

namespace denser::bench {
namespace {

// BM25Weight(k1, k2, k3, b, min_normlen): k2 = 0 drops the query-length correction and
// k3 = 1 makes repeated query terms count linearly, closest to Lucene's BM25.
Xapian::BM25Weight bm25_weight() { return Xapian::BM25Weight(0.9, 0.0, 1.0, 0.4, 0.5); }

// The same 33 English stopwords Lucene's EnglishAnalyzer drops, so both engines see the
// same query terms.
const char* const kStopwords[] = {"a",    "an",   "and",  "are",  "as",   "at",    "be",   "but",   "by",
                                  "for",  "if",   "in",   "into", "is",   "it",    "no",   "not",   "of",
                                  "on",   "or",   "such", "that", "the",  "their", "then", "there", "these",
                                  "they", "this", "to",   "was",  "will", "with"};

// Xapian::Error is not a std::exception: turn it into denser::Error so that callers (and
// the program's main) handle one error type.
[[noreturn]] void rethrow_xapian(const Xapian::Error& e, const std::string& what) {
  DENSER_THROW(ErrorCode::kUnavailable, "Xapian: ", what, ": ", e.get_description());
}

}  // namespace

std::string XapianBm25::version() { return Xapian::version_string(); }

double XapianBm25::build(const std::vector<Document>& docs, const std::string& path) try {
  auto start = std::chrono::steady_clock::now();
  // DB_NO_TERMLIST: no per-document term lists (needed only to delete or replace
  // documents, which denser's immutable index cannot do either). Search and BM25 need only
  // the postlist table, which also holds document lengths. Without the termlist the
  // Debian collection's database is half the size (10 MB, not 21) and builds a fifth
  // faster, with identical results: the peer is not handicapped by data it never reads.
  Xapian::WritableDatabase db(path, Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_NO_TERMLIST);
  Xapian::TermGenerator generator;
  generator.set_stemmer(Xapian::Stem("english"));
  // STEM_ALL indexes stems only (no unstemmed twins): one term per word, as in Lucene.
  generator.set_stemming_strategy(Xapian::TermGenerator::STEM_ALL);
  Xapian::SimpleStopper stopper(std::begin(kStopwords), std::end(kStopwords));
  generator.set_stopper(&stopper);
  generator.set_stopper_strategy(Xapian::TermGenerator::STOP_ALL);
  db.begin_transaction(false);
  for (const Document& d : docs) {
    Xapian::Document doc;
    generator.set_document(doc);
    // No positions: denser's BM25 index stores none either.
    generator.index_text_without_positions(d.title);
    generator.index_text_without_positions(d.text);
    doc.set_data(d.id);
    db.add_document(doc);
  }
  db.commit_transaction();
  db.close();
  return seconds_since(start);
} catch (const Xapian::Error& e) {
  rethrow_xapian(e, "building " + path);
}

double XapianBm25::search(const std::vector<Query>& queries, int k, int threads,
                          std::vector<std::vector<XapianHit>>& results) const {
  results.assign(queries.size(), {});
  auto start = std::chrono::steady_clock::now();
  std::mutex error_mutex;
  std::exception_ptr first_error;
  // A worker must not let an exception escape its std::thread (that would terminate the
  // program): the first one is kept and rethrown after every thread has joined.
  auto worker = [&](size_t first, size_t step) {
    try {
      search_strided(queries, k, first, step, results);
    } catch (const Xapian::Error& e) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!first_error) {
        try {
          rethrow_xapian(e, "searching " + path_);
        } catch (...) {
          first_error = std::current_exception();
        }
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!first_error) first_error = std::current_exception();
    }
  };
  if (threads <= 1) {
    worker(0, 1);
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(worker, static_cast<size_t>(t), static_cast<size_t>(threads));
    for (auto& th : pool) th.join();
  }
  if (first_error) std::rethrow_exception(first_error);
  return seconds_since(start);
}

void XapianBm25::search_strided(const std::vector<Query>& queries, int k, size_t first, size_t step,
                                std::vector<std::vector<XapianHit>>& results) const {
  Xapian::Database db(path_);
  Xapian::QueryParser parser;
  parser.set_stemmer(Xapian::Stem("english"));
  parser.set_stemming_strategy(Xapian::QueryParser::STEM_ALL);
  Xapian::SimpleStopper stopper(std::begin(kStopwords), std::end(kStopwords));
  parser.set_stopper(&stopper);
  parser.set_database(db);
  parser.set_default_op(Xapian::Query::OP_OR);
  Xapian::Enquire enquire(db);
  enquire.set_weighting_scheme(bm25_weight());
  for (size_t i = first; i < queries.size(); i += step) {
    // No boolean operators or wildcards: the query is plain text, as in an IR run.
    Xapian::Query q = parser.parse_query(queries[i].text, 0);
    enquire.set_query(q);
    Xapian::MSet mset = enquire.get_mset(0, static_cast<Xapian::doccount>(k));
    auto& out = results[i];
    out.reserve(mset.size());
    for (auto it = mset.begin(); it != mset.end(); ++it) out.push_back({it.get_document().get_data(), it.get_weight()});
  }
}

}  // namespace denser::bench
