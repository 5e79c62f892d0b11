// denser._core: the library for Python. This file holds the torch-free half (collections,
// the Debian packages collection, BM25, trec_eval-exact evaluation, the error categories);
// dense.cpp the rest when the library has it. Heavy calls release the GIL.
#include <nanobind/nanobind.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bindings.h"
#include "denser/common/error.h"
#include "denser/common/version.h"
#include "denser/data/collection.h"
#include "denser/data/debian_packages.h"
#include "denser/data/readers.h"
#include "denser/eval/metrics.h"
#include "denser/sparse/bm25_builder.h"
#include "denser/sparse/bm25_index.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace denser::python {
namespace {

// One hit as Pyserini's LuceneSearcher returns it: .docid and .score.
struct Hit {
  std::string docid;
  float score = 0;
};

std::vector<Hit> hits_of(const Bm25Index& index, const Bm25SearchResult& result) {
  std::vector<Hit> out;
  out.reserve(result.hits.size());
  for (const Bm25Hit& h : result.hits) out.push_back({std::string(index.doc_id(h.doc)), h.score});
  return out;
}

// Python's exception classes, one per category, all under denser.Error.
std::map<ErrorCode, nb::object>& exception_classes() {
  static std::map<ErrorCode, nb::object> classes;
  return classes;
}

// The exception classes live in denser/_errors.py (so that they are plain, typed Python
// classes); each library error is raised as the class of its category. They are looked up
// at the first error, not at import: the stub generator imports _core on its own.
nb::object exception_class(ErrorCode code) {
  std::map<ErrorCode, nb::object>& classes = exception_classes();
  if (classes.empty()) {
    nb::module_ errors = nb::module_::import_("denser._errors");
    const std::pair<ErrorCode, const char*> codes[] = {{ErrorCode::kInvalidArgument, "InvalidArgument"},
                                                       {ErrorCode::kNotFound, "NotFound"},
                                                       {ErrorCode::kCorrupt, "Corrupt"},
                                                       {ErrorCode::kUnavailable, "Unavailable"},
                                                       {ErrorCode::kUnsupported, "Unsupported"},
                                                       {ErrorCode::kTooLarge, "TooLarge"},
                                                       {ErrorCode::kInternal, "Internal"}};
    for (const auto& [c, name] : codes) classes[c] = errors.attr(name);
  }
  return classes.at(code);
}

void register_errors() {
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const Error& e) {
      nb::object cls = exception_class(e.code());
      nb::object error = cls(std::string(e.what()));
      error.attr("code") = error_code_name(e.code());
      error.attr("field") = e.field().empty() ? nb::none() : nb::cast(e.field());
      PyErr_SetObject(cls.ptr(), error.ptr());
    }
  });
}

Run run_from_dict(const std::map<std::string, std::map<std::string, double>>& run) {
  Run out;
  for (const auto& [qid, docs] : run)
    for (const auto& [docid, score] : docs) out.results[qid].push_back({docid, score});
  return out;
}

// Documents, queries and collections.
void bind_collections(nb::module_& m) {
  nb::class_<Document>(m, "Document")
      .def_ro("id", &Document::id)
      .def_ro("title", &Document::title)
      .def_ro("text", &Document::text)
      .def("__repr__",
           [](const Document& d) { return std::string("Document(id=") + nb::repr(nb::cast(d.id)).c_str() + ")"; });
  nb::class_<Query>(m, "Query").def_ro("id", &Query::id).def_ro("text", &Query::text);

  nb::class_<Collection>(m, "Collection", "A BEIR, MS MARCO or SMART collection directory")
      .def_static(
          "open", [](const std::string& dir) { return Collection::open(dir); }, "dir"_a,
          "Opens a collection directory (the layout is detected); raises NotFound when it holds none")
      .def_prop_ro("layout", [](const Collection& c) { return layout_name(c.layout()); })
      .def_prop_ro("dir", &Collection::dir)
      .def("splits", &Collection::splits, "The splits that have judgments")
      .def(
          "queries", [](const Collection& c, const std::string& split) { return c.queries(split); }, "split"_a,
          "The queries judged in the split, in file order")
      .def(
          "qrels", [](const Collection& c, const std::string& split) { return c.qrels(split).judgments; }, "split"_a,
          "The split's judgments: {query id: {doc id: grade}}")
      .def(
          "documents",
          [](const Collection& c) {
            std::vector<Document> docs;
            auto reader = c.documents();
            Document d;
            while (reader->next(d)) docs.push_back(d);
            return docs;
          },
          "Every corpus document, in file order (read into memory)")
      .def_prop_ro("num_documents", &Collection::num_documents);
}

// BM25: hits, building, opening, searching.
void bind_bm25(nb::module_& m) {
  nb::class_<Hit>(m, "Hit").def_ro("docid", &Hit::docid).def_ro("score", &Hit::score).def("__repr__", [](const Hit& h) {
    return "Hit(docid=" + h.docid + ", score=" + std::to_string(h.score) + ")";
  });

  nb::class_<Bm25Index>(m, "Bm25Index", "A BM25 index (Lucene's scoring, exact top-k with block-max pruning)")
      .def_static(
          "open", [](const std::string& path) { return Bm25Index::open(path); }, "path"_a,
          nb::call_guard<nb::gil_scoped_release>(), "Opens an index written by build(..., path) or the CLI")
      .def_static(
          "build",
          [](const std::string& collection_dir, const std::string& path, int threads) {
            Bm25BuildOptions options;
            options.num_threads = threads;
            Bm25IndexBuilder builder(options);
            auto reader = Collection::open(collection_dir).documents();
            builder.add(*reader);
            if (path.empty()) return builder.build();
            builder.write(path);
            return Bm25Index::open(path);
          },
          "collection"_a, "path"_a = "", "threads"_a = 0, nb::call_guard<nb::gil_scoped_release>(),
          "Indexes a collection directory's corpus; writes it to path (atomically) when given")
      .def_static(
          "from_documents",
          [](const std::vector<std::tuple<std::string, std::string, std::string>>& docs, int threads) {
            Bm25BuildOptions options;
            options.num_threads = threads;
            Bm25IndexBuilder builder(options);
            std::vector<Document> batch;
            batch.reserve(docs.size());
            for (const auto& [id, title, text] : docs) batch.push_back({id, title, text});
            nb::gil_scoped_release release;
            builder.add(batch);
            return builder.build();
          },
          "docs"_a, "threads"_a = 0, "An in-memory index of (id, title, text) tuples")
      .def_prop_ro("num_docs", &Bm25Index::num_docs)
      .def(
          "search",
          [](const Bm25Index& index, const std::string& query, size_t k) {
            Bm25SearchOptions options;
            options.k = k;
            Bm25SearchResult result;
            {
              nb::gil_scoped_release release;
              result = index.search(query, options);
            }
            return hits_of(index, result);
          },
          "q"_a, "k"_a = 10, "The top k hits of one query, best first")
      .def(
          "batch_search",
          [](const Bm25Index& index, const std::vector<std::string>& queries, size_t k, int threads) {
            Bm25SearchOptions options;
            options.k = k;
            std::vector<Bm25SearchResult> results;
            {
              nb::gil_scoped_release release;
              results = index.search_batch(queries, options, threads);
            }
            std::vector<std::vector<Hit>> out;
            out.reserve(results.size());
            for (const Bm25SearchResult& r : results) out.push_back(hits_of(index, r));
            return out;
          },
          "queries"_a, "k"_a = 10, "threads"_a = 0, "The top k hits of each query, over threads (0: all cores)");
}

// The Debian collection, qrels and run files, trec_eval measures.
void bind_files_and_eval(nb::module_& m) {
  m.def(
      "debian_packages",
      [](const std::string& out, const std::string& lists_dir, uint64_t seed, size_t num_dev, size_t num_test,
         size_t max_documents) {
        DebianPackagesOptions options;
        options.out_dir = out;
        options.lists_dir = lists_dir;
        options.split.seed = seed;
        options.split.num_dev = num_dev;
        options.split.num_test = num_test;
        options.split.max_documents = max_documents;
        DebianPackagesSummary summary;
        {
          nb::gil_scoped_release release;
          summary = make_debian_packages_collection(options);
        }
        std::map<std::string, uint64_t> counts = {{"documents", summary.counts.num_documents},
                                                  {"packages", summary.counts.num_packages},
                                                  {"entries", summary.counts.num_entries}};
        for (const auto& [split, n] : summary.counts.num_queries) counts["queries_" + split] = n;
        return counts;
      },
      "out"_a, "lists_dir"_a = kAptListsDir, "seed"_a = 42, "num_dev"_a = 1000, "num_test"_a = 1000,
      "max_documents"_a = 0,
      "Writes the Debian packages collection (BEIR layout) from apt's English descriptions into out, as\n"
      "`denser data debian-packages`; returns its counts");
  m.def(
      "read_qrels",
      [](const std::string& path) {
        nb::gil_scoped_release release;
        return read_qrels(path).judgments;
      },
      "path"_a, "A judgments file (TREC qrels or BEIR .tsv): {query id: {doc id: grade}}");
  m.def(
      "read_run",
      [](const std::string& path) {
        Run run;
        {
          nb::gil_scoped_release release;
          run = read_trec_run(path);
        }
        std::map<std::string, std::map<std::string, double>> out;
        for (const auto& [qid, entries] : run.results)
          for (const RunEntry& e : entries) out[qid][e.doc_id] = e.score;
        return out;
      },
      "path"_a, "A TREC run file: {query id: {doc id: score}}");
  m.def(
      "write_run",
      [](const std::string& path, const std::map<std::string, std::map<std::string, double>>& run,
         const std::string& tag) {
        Run r = run_from_dict(run);
        r.tag = tag;
        for (auto& [qid, entries] : r.results)
          std::sort(entries.begin(), entries.end(), [](const RunEntry& a, const RunEntry& b) {
            return a.score != b.score ? a.score > b.score : a.doc_id < b.doc_id;
          });
        nb::gil_scoped_release release;
        write_trec_run(path, r);
      },
      "path"_a, "run"_a, "tag"_a = "denser", "Writes {query id: {doc id: score}} as a TREC run (atomically)");
  m.def(
      "evaluate",
      [](const std::map<std::string, std::map<std::string, int>>& qrels,
         const std::map<std::string, std::map<std::string, double>>& run, const std::vector<std::string>& measures,
         bool per_query) {
        Qrels q;
        q.judgments = qrels;
        const Run r = run_from_dict(run);
        const MeasureSet set = measures.empty() ? MeasureSet::defaults() : MeasureSet::parse(measures);
        EvalResult result;
        {
          nb::gil_scoped_release release;
          result = evaluate(q, r, set);
        }
        std::map<std::string, std::map<std::string, double>> out;
        for (size_t i = 0; i < result.names.size(); ++i) out["all"][result.names[i]] = result.all[i];
        if (per_query)
          for (const QueryEval& qe : result.per_query)
            for (size_t i = 0; i < result.names.size(); ++i) out[qe.query_id][result.names[i]] = qe.values[i];
        return out;
      },
      "qrels"_a, "run"_a, "measures"_a = std::vector<std::string>{}, "per_query"_a = false,
      "trec_eval's measures (-m names: \"ndcg_cut.10\", \"map\", \"recip_rank\", ...) of a run\n"
      "{query id: {doc id: score}} against qrels {query id: {doc id: grade}}: {\"all\": {name: value}}, and\n"
      "each query's values with per_query=True. The same numbers as `denser eval`.");
}

}  // namespace
}  // namespace denser::python

NB_MODULE(_core, m) {
  using namespace denser;
  using namespace denser::python;
  m.doc() = "denser: dense and sparse text retrieval (the C++ library)";
  m.attr("__version__") = kVersion;
  register_errors();
#ifdef DENSER_PY_DENSE
  bind_dense(m);
#else
  m.attr("HAS_DENSE") = false;
#endif

  bind_collections(m);
  bind_bm25(m);
  bind_files_and_eval(m);
}