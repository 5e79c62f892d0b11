// Query evaluation: windowed block-max MaxScore (bm25_maxscore.cpp) and the exhaustive
// reference (term at a time, below). Both compute a document's score the same way, so they agree bit for
// bit: every query term's contribution is a float from bm25_term_score(), and the
// contributions are added in double in query-term order starting from 0.0 (a term that
// does not match adds nothing, and x + 0.0 == x), then rounded to float once.
#include <algorithm>
#include <bit>
#include <chrono>

#include "denser/common/error.h"
#include "denser/common/parallel.h"
#include "bm25_cursor.h"

namespace denser {

using bm25_detail::kEndDoc;
using bm25_detail::PostingScorer;
using bm25_detail::ScoreModel;
using bm25_detail::ScoringContext;
using bm25_detail::TermCursor;
using bm25_detail::TopK;

void Bm25SearchStats::add(const Bm25SearchStats& other) {
  num_query_terms += other.num_query_terms;
  docs_scored += other.docs_scored;
  postings_decoded += other.postings_decoded;
  blocks_decoded += other.blocks_decoded;
  blocks_skipped += other.blocks_skipped;
  seconds += other.seconds;
}

namespace {

struct QueryTerm {
  uint64_t term;  // index in the term table
  float weight;   // boost (occurrences in the query) * idf
};

// Distinct known terms in order of first occurrence, weighted like Anserini's bag of words.
std::vector<QueryTerm> prepare_query(const Bm25Index::Impl& index, const std::vector<std::string>& terms) {
  std::vector<QueryTerm> out;
  std::vector<uint32_t> counts;
  for (const std::string& term : terms) {
    const int64_t t = index.find_term(term);
    if (t < 0) continue;
    size_t i = 0;
    while (i < out.size() && out[i].term != static_cast<uint64_t>(t)) ++i;
    if (i == out.size()) {
      out.push_back({static_cast<uint64_t>(t), 0.0f});
      counts.push_back(0);
    }
    ++counts[i];
  }
  for (size_t i = 0; i < out.size(); ++i) {
    const float idf = bm25_idf(index.terms[out[i].term].df, index.header.num_docs_with_terms);
    out[i].weight = static_cast<float>(counts[i]) * idf;
  }
  return out;
}

// Per-thread buffers of the exhaustive path, reused across queries: one double per
// document and a bit per document, cleared again as the matched documents are read out
// (not by an O(documents) fill per query: on 1M documents that fill cost more than the
// scoring). `dirty` says a query threw midway and left them unclean.
struct ExhaustiveScratch {
  std::vector<double> sums;
  std::vector<uint64_t> matched;
  bool dirty = false;

  void prepare(uint64_t n) {
    if (dirty || sums.size() < n) {
      sums.assign(std::max<uint64_t>(n, sums.size()), 0.0);
      matched.assign(sums.size() / 64 + 1, 0);
    }
    dirty = true;
  }
};

// Term at a time over every posting; each document's sum starts at 0.0 and receives the
// contributions in query-term order, as in the pruned path.
template <bool kExact>
void run_exhaustive(std::vector<TermCursor>& cursors, const ScoringContext& ctx, TopK& top, Bm25SearchStats& stats) {
  const uint64_t n = ctx.index->header.num_docs;
  const PostingScorer<kExact> scorer(ctx);
  thread_local ExhaustiveScratch scratch;
  scratch.prepare(n);
  double* sums = scratch.sums.data();
  uint64_t* matched = scratch.matched.data();
  for (TermCursor& c : cursors) {  // query-term order: the summation order
    const float weight = c.weight;
    c.for_each_until(kEndDoc, [&](uint32_t doc, uint32_t tf) {
      sums[doc] += scorer(weight, doc, tf);
      matched[doc >> 6] |= uint64_t{1} << (doc & 63);
    });
  }
  const size_t words = static_cast<size_t>(n / 64 + 1);
  for (size_t w = 0; w < words; ++w) {
    for (uint64_t bits = matched[w]; bits != 0; bits &= bits - 1) {
      const auto d = static_cast<uint32_t>(w * 64 + static_cast<size_t>(std::countr_zero(bits)));
      ++stats.docs_scored;
      top.offer(static_cast<float>(sums[d]), d);
      sums[d] = 0.0;
    }
    matched[w] = 0;
  }
  scratch.dirty = false;
}

}  // namespace

void bm25_detail::radix_sort(std::vector<uint64_t>& keys) {
  if (keys.size() < 64) {
    std::sort(keys.begin(), keys.end());
    return;
  }
  size_t counts[8][256] = {};
  for (uint64_t key : keys)
    for (int d = 0; d < 8; ++d) ++counts[d][(key >> (8 * d)) & 0xff];
  std::vector<uint64_t> other(keys.size());
  for (int d = 0; d < 8; ++d) {
    if (counts[d][(keys[0] >> (8 * d)) & 0xff] == keys.size()) continue;  // one digit value
    size_t offset = 0;
    for (size_t& c : counts[d]) {
      const size_t n = c;
      c = offset;
      offset += n;
    }
    for (uint64_t key : keys) other[counts[d][(key >> (8 * d)) & 0xff]++] = key;
    keys.swap(other);
  }
}

namespace {

Bm25SearchResult evaluate(const Bm25Index::Impl& index, const std::vector<QueryTerm>& query,
                          const Bm25SearchOptions& options, const ScoringContext& ctx) {
  Bm25SearchResult result;
  Bm25SearchStats& stats = result.stats;
  stats.num_query_terms = query.size();
  if (options.k == 0 || query.empty()) return result;
  TopK top(std::min<uint64_t>(options.k, index.header.num_docs));
  const bool exact = ctx.model->params().exact_lengths;
  uint64_t total_blocks = 0, total_postings = 0;
  for (const QueryTerm& q : query) {
    total_blocks += bm25_format::num_blocks_for(index.terms[q.term].df);
    total_postings += index.terms[q.term].df;
  }
  std::vector<TermCursor> cursors(query.size());
  for (size_t i = 0; i < query.size(); ++i) {
    cursors[i].init(&index, query[i].term, query[i].weight, static_cast<uint32_t>(i), &stats);
    cursors[i].max_score = ctx.bound(query[i].weight, index.terms[query[i].term]);
  }
  const Bm25Algorithm algorithm =
      options.algorithm == Bm25Algorithm::kAuto ? choose_bm25_algorithm(options.k, total_postings) : options.algorithm;
  if (algorithm == Bm25Algorithm::kExhaustive) {
    exact ? run_exhaustive<true>(cursors, ctx, top, stats) : run_exhaustive<false>(cursors, ctx, top, stats);
  } else {
    bm25_detail::run_maxscore(cursors, ctx, top, stats);
  }
  stats.blocks_skipped = total_blocks - stats.blocks_decoded;
  result.hits = top.take_sorted();
  return result;
}

}  // namespace

Bm25SearchResult Bm25Index::search_terms(const std::vector<std::string>& terms,
                                         const Bm25SearchOptions& options) const {
  const auto start = std::chrono::steady_clock::now();
  const Impl& index = *impl_;
  ScoreModel custom;
  ScoringContext ctx;
  ctx.index = &index;
  ctx.model = &index.default_model;
  ctx.tight_bounds = true;
  if (options.params && !(*options.params == index.params)) {
    validate_bm25_params(*options.params);
    custom = ScoreModel(*options.params, index.default_model.avgdl());
    ctx.model = &custom;
    ctx.tight_bounds = false;
  }
  Bm25SearchResult result = evaluate(index, prepare_query(index, terms), options, ctx);
  result.stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

Bm25SearchResult Bm25Index::search(std::string_view query, const Bm25SearchOptions& options) const {
  const auto start = std::chrono::steady_clock::now();
  Bm25SearchResult result = search_terms(impl_->analyzer.analyze(query), options);
  result.stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

std::vector<Bm25SearchResult> Bm25Index::search_batch(const std::vector<std::string>& queries,
                                                      const Bm25SearchOptions& options, int num_threads) const {
  std::vector<Bm25SearchResult> results(queries.size());
  parallel_for(queries.size(), num_threads, 4, [&](size_t begin, size_t end, int) {
    for (size_t i = begin; i < end; ++i) results[i] = search(queries[i], options);
  });
  return results;
}

Run Bm25Index::to_run(const std::vector<Query>& queries, const std::vector<Bm25SearchResult>& results,
                      const std::string& tag) const {
  DENSER_CHECK(queries.size() == results.size(), ErrorCode::kInvalidArgument, "to_run: ", queries.size(),
               " queries but ", results.size(), " results");
  Run run;
  run.tag = tag;
  for (size_t i = 0; i < queries.size(); ++i) {
    auto& entries = run.results[queries[i].id];
    entries.clear();
    entries.reserve(results[i].hits.size());
    for (const Bm25Hit& hit : results[i].hits) entries.push_back({std::string(doc_id(hit.doc)), hit.score});
  }
  return run;
}

}  // namespace denser
