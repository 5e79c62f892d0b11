#pragma once
// Result snippets for the commands that answer one query on the command line.
#include <string>
#include <unordered_map>
#include <vector>

namespace denser::cli {

/// For each of `doc_ids`, the document's title and text on one line ("title | text"),
/// cut to about `width` bytes at a UTF-8 character boundary. One streaming pass over the
/// collection's corpus, stopping once every id is found; ids not in the corpus are absent.
std::unordered_map<std::string, std::string> load_snippets(const std::string& collection_dir,
                                                           const std::vector<std::string>& doc_ids, size_t width);

}  // namespace denser::cli
