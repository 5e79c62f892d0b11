// denser._core's dense half (built when the library has libtorch and FAISS): encoders,
// vector indexes, the Retriever and training. Vectors cross as numpy float32 arrays: the
// encoder's output is handed to numpy without a copy (the array owns the buffer the
// library wrote). Long calls release the GIL and take it back between chunks of work only
// to check for Ctrl-C, so KeyboardInterrupt stops them cleanly.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/bind_vector.h>
#include <nanobind/stl/function.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bindings.h"
#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/memory.h"
#include "denser/data/collection.h"
#include "denser/encode/corpus_encoding.h"
#include "denser/encode/encoder.h"
#include "denser/encode/model_store.h"
#include "denser/index/embeddings.h"
#include "denser/index/vector_index.h"
#include "denser/search/retriever.h"
#include "denser/sparse/bm25_index.h"
#include "denser/train/train.h"

// One query's hits stay a C++ vector behind a Python sequence (HitList: len, index,
// iterate), so a batch of 100 queries makes 100 Python objects, not one per hit.
NB_MAKE_OPAQUE(std::vector<denser::RetrievedHit>)

namespace nb = nanobind;
using namespace nb::literals;

namespace denser::python {
namespace {

using Matrix = nb::ndarray<nb::numpy, float, nb::ndim<2>, nb::c_contig>;
using IdMatrix = nb::ndarray<nb::numpy, int64_t, nb::ndim<2>, nb::c_contig>;
using InMatrix = nb::ndarray<const float, nb::ndim<2>, nb::c_contig, nb::device::cpu>;

// A numpy array that owns `values` (moved, not copied).
template <typename T, typename Array>
Array owning_array(std::vector<T>&& values, size_t rows, size_t cols) {
  auto* heap = new std::vector<T>(std::move(values));
  nb::capsule owner(heap, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  return Array(heap->data(), {rows, cols}, owner);
}

// Raises KeyboardInterrupt (or whatever a signal handler raised) when Ctrl-C came in
// while the GIL was released. Call without the GIL.
void check_interrupt() {
  nb::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) throw nb::python_error();
}

// The CLI's malloc settings (common/memory.h: large blocks reused, not returned to the
// system after every batch), applied at the first encoder, index of vectors or training
// run of the process: without them glibc maps and unmaps each batch's tensors, and
// encoding spends as much time in the kernel as in the model. DENSER_MALLOC=system
// leaves the allocator as it is.
void tune_allocator_once() {
  static const bool tuned = tune_allocator_for_tensors();
  (void)tuned;
}

// Texts encoded in chunks of this many batches between interrupt checks.
constexpr size_t kBatchesPerCheck = 8;

Matrix encode(Encoder& encoder, const std::vector<std::string>& texts, bool queries, size_t batch_size) {
  const auto dim = static_cast<size_t>(encoder.dim());
  std::vector<float> out(texts.size() * dim);
  {
    nb::gil_scoped_release release;
    const std::vector<std::string_view> views(texts.begin(), texts.end());
    const size_t chunk = std::max<size_t>(1, batch_size) * kBatchesPerCheck;
    for (size_t start = 0; start < views.size(); start += chunk) {
      const size_t n = std::min(chunk, views.size() - start);
      const std::span<const std::string_view> part(views.data() + start, n);
      const std::span<float> rows(out.data() + start * dim, n * dim);
      if (queries) {
        encoder.encode_queries(part, rows);
      } else {
        encoder.encode_documents(part, rows);
      }
      check_interrupt();
    }
  }
  return owning_array<float, Matrix>(std::move(out), texts.size(), dim);
}

// The Python Encoder: the library's encoder and the batch size it was opened with.
struct PyEncoder {
  std::unique_ptr<Encoder> encoder;
  EncodeOptions options;
};

// (scores, rows) as FAISS returns them: (nq, k), missing hits as score -inf and row -1.
std::pair<Matrix, IdMatrix> search_arrays(const VectorIndex& index, InMatrix q, size_t k, int ef_search, int nprobe,
                                          int threads) {
  DENSER_CHECK(q.shape(1) == index.dim(), ErrorCode::kInvalidArgument, "queries have ", q.shape(1),
               " columns; the index holds vectors of dim ", index.dim());
  const size_t nq = q.shape(0);
  std::vector<float> scores(nq * k, -std::numeric_limits<float>::infinity());
  std::vector<int64_t> rows(nq * k, -1);
  {
    nb::gil_scoped_release release;
    VectorSearchParams params;
    params.ef_search = ef_search;
    params.nprobe = nprobe;
    const VectorSearchResults results =
        index.search(nq, std::span<const float>(q.data(), nq * q.shape(1)), k, params, threads);
    for (size_t i = 0; i < nq; ++i) {
      for (size_t j = 0; j < results.hits[i].size() && j < k; ++j) {
        scores[i * k + j] = results.hits[i][j].score;
        rows[i * k + j] = static_cast<int64_t>(results.hits[i][j].row);
      }
    }
  }
  return {owning_array<float, Matrix>(std::move(scores), nq, k),
          owning_array<int64_t, IdMatrix>(std::move(rows), nq, k)};
}

// Python values (bool, int, float, str) of an options dict as JSON, for the options tables.
nlohmann::json options_json(const nb::dict& options) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : options) {
    const std::string name = nb::cast<std::string>(key);
    if (nb::isinstance<nb::bool_>(value)) {
      out[name] = nb::cast<bool>(value);
    } else if (nb::isinstance<nb::int_>(value)) {
      out[name] = nb::cast<int64_t>(value);
    } else if (nb::isinstance<nb::float_>(value)) {
      out[name] = nb::cast<double>(value);
    } else if (nb::isinstance<nb::str>(value)) {
      out[name] = nb::cast<std::string>(value);
    } else {
      DENSER_THROW(ErrorCode::kInvalidArgument, "option ", name, ": expected a bool, number or string");
    }
  }
  return out;
}

void bind_encoder(nb::module_& m) {
  nb::class_<PyEncoder>(
      m, "Encoder",
      "A dual encoder: a model directory (Hugging Face / sentence-transformers layout, or written by\n"
      "denser) or the name of an installed packaged model (`denser model list`).")
      .def(
          "__init__",
          [](PyEncoder* self, const std::string& model, int batch_size, int threads, const std::string& precision,
             int query_max_length, int document_max_length, const std::string& device) {
            EncodeOptions options;
            options.batch_size = batch_size;
            options.num_threads = threads;
            options.precision = precision;
            options.query_max_length = query_max_length;
            options.document_max_length = document_max_length;
            options.device = device;
            tune_allocator_once();
            std::unique_ptr<Encoder> encoder;
            {
              nb::gil_scoped_release release;
              encoder = load_encoder(model, options);
            }
            new (self) PyEncoder{std::move(encoder), options};
          },
          "model"_a, "batch_size"_a = 32, "threads"_a = 0, "precision"_a = "fp32", "query_max_length"_a = 0,
          "document_max_length"_a = 0, "device"_a = "cpu",
          "Loads a model. threads: 0 = all cores; precision: \"fp32\" or \"bf16\"; max lengths: 0 = the model's own")
      .def_prop_ro("dim", [](const PyEncoder& e) { return e.encoder->dim(); })
      .def_prop_ro("family", [](const PyEncoder& e) { return e.encoder->family(); })
      .def_prop_ro(
          "similarity", [](const PyEncoder& e) { return e.encoder->similarity(); },
          "\"cosine\" when every vector has unit length, else \"dot\"")
      .def_prop_ro("fingerprint", [](const PyEncoder& e) { return e.encoder->fingerprint(); })
      .def(
          "encode_documents",
          [](PyEncoder& e, const std::vector<std::string>& texts) {
            return encode(*e.encoder, texts, false, static_cast<size_t>(e.options.batch_size));
          },
          "texts"_a, "Document vectors: float32 array (len(texts), dim)")
      .def(
          "encode_queries",
          [](PyEncoder& e, const std::vector<std::string>& texts) {
            return encode(*e.encoder, texts, true, static_cast<size_t>(e.options.batch_size));
          },
          "texts"_a, "Query vectors (the query tower, query max length): float32 array (len(texts), dim)")
      .def(
          "set_precision", [](PyEncoder& e, const std::string& p) { e.encoder->set_precision(p); }, "precision"_a,
          "\"fp32\" or \"bf16\" for later calls")
      .def(
          "save", [](const PyEncoder& e, const std::string& dir) { e.encoder->save(dir); }, "dir"_a,
          nb::call_guard<nb::gil_scoped_release>(),
          "Writes the model directory (Hugging Face layout), atomically per file");

  m.def(
      "encode_collection",
      [](PyEncoder& e, const std::string& collection, const std::string& out, bool with_titles) {
        nb::gil_scoped_release release;
        auto reader = Collection::open(collection).documents();
        EmbeddingsWriter writer(out, static_cast<uint32_t>(e.encoder->dim()), EmbeddingDType::kF32,
                                e.encoder->fingerprint());
        CorpusEncodeOptions options;
        options.batch_size = static_cast<size_t>(e.options.batch_size);
        options.with_titles = with_titles;
        const CorpusEncodeStats stats = encode_corpus(*e.encoder, *reader, writer, options);
        writer.finish();
        return std::pair<uint64_t, double>(stats.documents, stats.seconds);
      },
      "encoder"_a, "collection"_a, "out"_a, "with_titles"_a = true,
      "Encodes a collection's corpus into an embeddings file (as `denser encode`); returns (documents, seconds)");
}

void bind_vector_index(nb::module_& m) {
  nb::class_<VectorIndex>(
      m, "VectorIndex", "Nearest-neighbour search over vectors: any FAISS index_factory string, saved with its doc ids")
      .def_static(
          "create",
          [](uint32_t dim, const std::string& factory, const std::string& metric, const std::string& fingerprint) {
            VectorIndexOptions options;
            options.dim = dim;
            options.factory = factory;
            options.metric = parse_vector_metric(metric);
            options.model_fingerprint = fingerprint;
            return VectorIndex::create(options);
          },
          "dim"_a, "factory"_a = "Flat", "metric"_a = "ip", "fingerprint"_a = "",
          "A new empty index; metric \"ip\" or \"cosine\"")
      .def_static(
          "open", [](const std::string& path) { return VectorIndex::open(path); }, "path"_a,
          nb::call_guard<nb::gil_scoped_release>(), "Loads an index written by save() or `denser index dense`")
      .def_static(
          "from_embeddings",
          [](const std::string& path, const std::string& factory, const std::string& metric, int threads) {
            nb::gil_scoped_release release;
            const Embeddings e = Embeddings::open(path);
            VectorIndexOptions options;
            options.dim = e.dim();
            options.factory = factory;
            options.metric = parse_vector_metric(metric);
            options.model_fingerprint = e.header().model_fingerprint;
            auto index = VectorIndex::create(options);
            std::vector<float> x(e.num_rows() * e.dim());
            e.rows(0, e.num_rows(), x.data());
            index->train(e.num_rows(), x, threads);
            index->add(e.ids(), x, threads);
            return index;
          },
          "path"_a, "factory"_a = "Flat", "metric"_a = "ip", "threads"_a = 0,
          "An index of an embeddings file's vectors (as `denser index dense`), trained first when the factory needs it")
      .def_prop_ro("needs_training", &VectorIndex::needs_training)
      .def(
          "train",
          [](VectorIndex& index, InMatrix x, int threads) {
            nb::gil_scoped_release release;
            index.train(x.shape(0), std::span<const float>(x.data(), x.size()), threads);
          },
          "x"_a, "threads"_a = 0, "Trains the quantizers (IVF, PQ) on float32 vectors (n, dim)")
      .def(
          "add",
          [](VectorIndex& index, const std::vector<std::string>& ids, InMatrix x, int threads) {
            DENSER_CHECK(ids.size() == x.shape(0) && x.shape(1) == index.dim(), ErrorCode::kInvalidArgument,
                         "add: ", ids.size(), " ids for ", x.shape(0), " vectors of dim ", x.shape(1), " (index dim ",
                         index.dim(), ")");
            nb::gil_scoped_release release;
            index.add(ids, std::span<const float>(x.data(), x.size()), threads);
          },
          "ids"_a, "x"_a, "threads"_a = 0, "Appends vectors (n, dim) labelled by doc ids")
      .def(
          "search",
          [](const VectorIndex& index, InMatrix q, size_t k, int ef_search, int nprobe, int threads) {
            return search_arrays(index, q, k, ef_search, nprobe, threads);
          },
          "q"_a, "k"_a = 10, "ef_search"_a = 0, "nprobe"_a = 0, "threads"_a = 0,
          "(scores, rows): float32 and int64 arrays (nq, k), best first; rows index doc_ids, -1 where none")
      .def("save", &VectorIndex::save, "path"_a, nb::call_guard<nb::gil_scoped_release>(),
           "Writes the index atomically")
      .def_prop_ro("doc_ids", &VectorIndex::doc_ids, "The doc id of each row")
      .def_prop_ro("num_vectors", &VectorIndex::num_vectors)
      .def_prop_ro("dim", &VectorIndex::dim)
      .def_prop_ro("metric", [](const VectorIndex& i) { return std::string(vector_metric_name(i.metric())); })
      .def_prop_ro("factory", &VectorIndex::factory)
      .def_prop_ro("fingerprint", &VectorIndex::fingerprint)
      .def("describe", &VectorIndex::describe);
}

void bind_retriever(nb::module_& m) {
  nb::bind_vector<std::vector<RetrievedHit>>(m, "HitList", "One query's hits, best first (a sequence)");
  nb::class_<RetrievedHit>(m, "RetrievedHit")
      .def_prop_ro("docid", [](const RetrievedHit& h) { return h.doc_id; })
      .def_ro("score", &RetrievedHit::score)
      .def_ro("dense_rank", &RetrievedHit::dense_rank, "1-based rank among the dense candidates, 0 when absent")
      .def_ro("bm25_rank", &RetrievedHit::bm25_rank, "1-based rank among the BM25 candidates, 0 when absent")
      .def("__repr__", [](const RetrievedHit& h) {
        return "RetrievedHit(docid=" + h.doc_id + ", score=" + std::to_string(h.score) + ")";
      });
  nb::class_<Retriever>(m, "Retriever", "Dense, BM25 or hybrid retrieval, with dense pseudo relevance feedback")
      .def(
          "__init__",
          [](Retriever* self, const std::string& model, const std::string& index, const std::string& bm25,
             const std::string& embeddings, int threads, const std::string& precision, int query_max_length) {
            tune_allocator_once();
            nb::gil_scoped_release release;
            RetrieverParts parts;
            if (!model.empty() || !index.empty()) {
              DENSER_CHECK(!model.empty() && !index.empty(), ErrorCode::kInvalidArgument,
                           "the dense side needs both model and index");
              EncodeOptions options;
              options.num_threads = threads;
              options.precision = precision;
              options.query_max_length = query_max_length;
              parts.encoder = load_encoder(model, options);
              parts.index = VectorIndex::open(index);
              std::filesystem::path dir = std::filesystem::path(resolve_model_dir(model)).lexically_normal();
              if (dir.filename().empty()) dir = dir.parent_path();
              parts.model_name = dir.filename().string();
            }
            if (!bm25.empty()) parts.bm25 = std::make_shared<const Bm25Index>(Bm25Index::open(bm25));
            if (!embeddings.empty())
              parts.embeddings = std::make_shared<const Embeddings>(Embeddings::open(embeddings));
            parts.threads = threads;
            new (self) Retriever(std::move(parts));
          },
          "model"_a = "", "index"_a = "", "bm25"_a = "", "embeddings"_a = "", "threads"_a = 1, "precision"_a = "fp32",
          "query_max_length"_a = 0,
          "model + index: the dense side; bm25: a BM25 index; embeddings: document vectors for PRF")
      .def_prop_ro("modes",
                   [](const Retriever& r) {
                     std::vector<std::string> out;
                     for (RetrievalMode mode : r.modes()) out.emplace_back(retrieval_mode_name(mode));
                     return out;
                   })
      .def_prop_ro("num_docs", &Retriever::num_docs)
      .def_prop_ro("model_name", &Retriever::model_name)
      .def(
          "_search",
          [](Retriever& r, const std::vector<std::string>& queries, const RetrievalOptions& options) {
            std::vector<RetrievalResult> results;
            {
              nb::gil_scoped_release release;
              results = r.search(queries, options);
            }
            std::vector<std::vector<RetrievedHit>> out;
            out.reserve(results.size());
            for (RetrievalResult& result : results) out.push_back(std::move(result.hits));
            return out;
          },
          "queries"_a, "options"_a);
  // Options checked and converted once (the Python Retriever keeps them per set of
  // keywords), not on every search.
  nb::class_<RetrievalOptions>(m, "_RetrievalOptions")
      .def(
          "__init__",
          [](RetrievalOptions* self, const nb::dict& options) {
            RetrievalOptions o;
            retrieval_option_table().apply_json(o, options_json(options), "");
            new (self) RetrievalOptions(std::move(o));
          },
          "options"_a);
  m.def(
      "retrieval_defaults", [] { return retrieval_option_table().to_json(RetrievalOptions{}).dump(); },
      "The retrieval options and their defaults, as JSON");
}

std::string summary_json(const TrainSummary& s) {
  nlohmann::json refreshes = nlohmann::json::array();
  for (const RefreshEvent& e : s.refreshes) {
    refreshes.push_back({{"snapshot_step", e.snapshot_step},
                         {"swapped_step", e.swapped_step},
                         {"encode_seconds", e.encode_seconds},
                         {"index_seconds", e.index_seconds},
                         {"mine_seconds", e.mine_seconds},
                         {"dev_mrr10", e.dev_mrr10},
                         {"dev_ndcg10", e.dev_ndcg10}});
  }
  return nlohmann::json{{"steps", s.steps},           {"resumed_from", s.resumed_from},
                        {"seconds", s.seconds},       {"refresh_wait_seconds", s.refresh_wait_seconds},
                        {"refreshes", refreshes},     {"final_loss", s.final_loss},
                        {"best_step", s.best_step},   {"best_dev_mrr10", s.best_dev_mrr10},
                        {"dev_mrr10", s.dev_mrr10},   {"dev_ndcg10", s.dev_ndcg10},
                        {"test_mrr10", s.test_mrr10}, {"test_ndcg10", s.test_ndcg10},
                        {"model_dir", s.model_dir}}
      .dump();
}

void bind_train(nb::module_& m) {
  m.def(
      "_train",
      [](const nb::dict& options, const std::string& out, bool resume, const nb::object& progress,
         const nb::object& log) {
        tune_allocator_once();
        const nlohmann::json given = options_json(options);
        const std::string encoder = given.value("encoder", std::string("ngram"));
        const std::string preset = given.value("preset", std::string("small"));
        TrainOptions o = TrainOptions::preset_defaults(encoder, preset);
        const std::string saved = out + "/training/train_config.json";
        if (resume && std::filesystem::exists(saved)) o.apply_json(read_file(saved), saved);
        o.apply_json(given.dump(), "train options: ");
        TrainHooks hooks;
        // Ctrl-C, or an exception of the progress callback: training stops after the step
        // (the checkpoints written so far stay; `resume=True` continues), then it is raised.
        std::optional<nb::python_error> stopped;
        hooks.on_step = [&](int64_t step) {
          nb::gil_scoped_acquire gil;
          if (PyErr_CheckSignals() != 0) {
            stopped.emplace();
            return false;
          }
          if (!progress.is_none()) {
            try {
              progress(step, o.steps);
            } catch (nb::python_error& e) {
              stopped.emplace(e);
              return false;
            }
          }
          return true;
        };
        if (!log.is_none()) {
          hooks.on_log = [&](std::string_view line) {
            nb::gil_scoped_acquire gil;
            try {
              log(std::string(line));
            } catch (nb::python_error& e) {
              e.discard_as_unraisable("denser.train log callback");
            }
          };
        }
        TrainSummary summary;
        {
          nb::gil_scoped_release release;
          summary = train_dual_encoder(o, out, resume, hooks);
        }
        if (stopped) throw *stopped;
        return summary_json(summary);
      },
      "options"_a, "out"_a, "resume"_a = false, "progress"_a = nb::none(), "log"_a = nb::none());
}

}  // namespace

void bind_dense(nb::module_& m) {
  m.attr("HAS_DENSE") = true;
  bind_encoder(m);
  bind_vector_index(m);
  bind_retriever(m);
  bind_train(m);
}

}  // namespace denser::python
