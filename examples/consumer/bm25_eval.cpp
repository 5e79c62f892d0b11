// An out-of-tree program on denser's installed package: a BM25 index of four documents
// built in memory, two queries, and trec_eval's nDCG@10 and MRR over their judgments.
#include <cstdio>

#include "denser/common/error.h"
#include "denser/common/version.h"
#include "denser/eval/metrics.h"
#include "denser/sparse/bm25_builder.h"

int main() {
  try {
    denser::Bm25IndexBuilder builder;
    builder.add({{"d1", "Sleep", "Memory improves after a night of sleep"},
                 {"d2", "Coffee", "Caffeine keeps students awake before exams"},
                 {"d3", "Exercise", "Running improves mood and memory in older adults"},
                 {"d4", "Diet", "Fish oil and the heart"}});
    const denser::Bm25Index index = builder.build();

    const std::pair<const char*, const char*> queries[] = {{"q1", "does sleep help memory"},
                                                           {"q2", "caffeine before exams"}};
    denser::Run run;
    for (const auto& [qid, text] : queries) {
      denser::Bm25SearchOptions options;
      options.k = 10;
      for (const denser::Bm25Hit& hit : index.search(text, options).hits)
        run.results[qid].push_back({std::string(index.doc_id(hit.doc)), hit.score});
    }
    denser::Qrels qrels;
    qrels.judgments["q1"] = {{"d1", 2}, {"d3", 1}};
    qrels.judgments["q2"] = {{"d2", 1}};

    const denser::EvalResult result =
        denser::evaluate(qrels, run, denser::MeasureSet::parse({"ndcg_cut.10", "recip_rank"}));
    std::printf("denser %s: %llu documents\n%s", denser::kVersion, static_cast<unsigned long long>(index.num_docs()),
                denser::format_trec_eval(result, false).c_str());
    return 0;
  } catch (const denser::Error& e) {
    std::fprintf(stderr, "error (%s): %s\n", denser::error_code_name(e.code()), e.what());
    return denser::exit_code(e.code());
  }
}
