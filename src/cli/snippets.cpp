#include "snippets.h"

#include "denser/common/utf8.h"
#include "denser/data/collection.h"

namespace denser::cli {
namespace {

std::string one_line(const Document& doc, size_t width) {
  std::string text = doc.title.empty() ? doc.text : doc.title + " | " + doc.text;
  for (char& c : text)
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  if (text.size() <= width) return text;
  return text.substr(0, utf8::character_boundary_before(text, width)) + "...";
}

}  // namespace

std::unordered_map<std::string, std::string> load_snippets(const std::string& collection_dir,
                                                           const std::vector<std::string>& doc_ids, size_t width) {
  std::unordered_map<std::string, std::string> wanted;
  for (const std::string& id : doc_ids) wanted.emplace(id, std::string());
  std::unordered_map<std::string, std::string> snippets;
  auto reader = Collection::open(collection_dir).documents();
  Document doc;
  while (snippets.size() < wanted.size() && reader->next(doc)) {
    if (wanted.count(doc.id) != 0) snippets.emplace(doc.id, one_line(doc, width));
  }
  return snippets;
}

}  // namespace denser::cli
