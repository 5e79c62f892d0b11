#include "denser/data/types.h"

namespace denser {

size_t Qrels::num_judgments() const {
  size_t n = 0;
  for (const auto& [qid, docs] : judgments) n += docs.size();
  return n;
}

int Qrels::grade(const std::string& query_id, const std::string& doc_id) const {
  auto q = judgments.find(query_id);
  if (q == judgments.end()) return 0;
  auto d = q->second.find(doc_id);
  return d == q->second.end() ? 0 : d->second;
}

}  // namespace denser
