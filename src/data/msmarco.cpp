// MS MARCO tab-separated files. Passages: "docid<TAB>text"; with a title column:
// "docid<TAB>title<TAB>text"; the document-ranking collection's four columns
// "docid<TAB>url<TAB>title<TAB>body" are read with the URL dropped. Queries:
// "qid<TAB>text". Text never contains a tab in these files, so columns are split on
// every tab and a wrong count is a malformed record.
#include <string>
#include <string_view>

#include "read_util.h"
#include "denser/data/readers.h"

namespace denser {
namespace {

using data_internal::bad_record;

void parse_collection_line(std::string_view line, Document& doc) {
  auto f = data_internal::split_tabs(line);
  if (f.size() < 2 || f.size() > 4)
    bad_record("found ", f.size(),
               " tab-separated columns; expected 2 (docid, text), 3 (docid, title, text) "
               "or 4 (docid, url, title, body)");
  data_internal::check_id(f[0], "document");
  doc.id.assign(f[0]);
  doc.title.assign(f.size() >= 3 ? f[f.size() - 2] : std::string_view());
  doc.text.assign(f.back());
}

void parse_query_line(std::string_view line, Query& query) {
  auto f = data_internal::split_tabs(line);
  if (f.size() != 2) bad_record("found ", f.size(), " tab-separated columns; expected 2 (qid, text)");
  data_internal::check_id(f[0], "query");
  query.id.assign(f[0]);
  query.text.assign(f[1]);
}

}  // namespace

std::unique_ptr<DocumentReader> open_msmarco_collection(const std::string& path, ReadOptions options) {
  return data_internal::open_line_documents(path, options, parse_collection_line);
}

std::vector<Query> read_msmarco_queries(const std::string& path, ReadOptions options, ReadStats* stats) {
  return data_internal::read_query_lines(path, options, stats, parse_query_line);
}

}  // namespace denser
