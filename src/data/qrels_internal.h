#pragma once
// Qrels readers with an optional check against the corpus ids, for Collection::qrels.
// The public readers in denser/data/readers.h call these without the check.
#include <string>
#include <unordered_set>

#include "denser/data/types.h"

namespace denser::data_internal {

using DocIdSet = std::unordered_set<std::string>;

/// As the public readers of the same names; when known_docs is non-null, a judgment naming
/// a document outside it is a malformed record (an error naming file and line, or a
/// counted skip when lenient). known_docs is borrowed for the call.
Qrels read_trec_qrels_checked(const std::string& path, ReadOptions options, ReadStats* stats,
                              const DocIdSet* known_docs);
Qrels read_beir_qrels_checked(const std::string& path, ReadOptions options, ReadStats* stats,
                              const DocIdSet* known_docs);
Qrels read_smart_qrels_checked(const std::string& path, ReadOptions options, ReadStats* stats,
                               const DocIdSet* known_docs);
Qrels read_qrels_checked(const std::string& path, ReadOptions options, ReadStats* stats, const DocIdSet* known_docs);

}  // namespace denser::data_internal
