// Classic SMART records (Cranfield, CISI, MED): a ".I <id>" line opens a record, and
// field markers on lines of their own (".T" title, ".A" authors, ".B" bibliography,
// ".W" text, others) introduce fields whose content spans the following lines.
//
// Choices, each forced by the real cran.all.1400:
// - Lines of a field are trimmed and joined with one space.
// - A marker repeated within a record appends to that field (records 240, 576 and 578
//   repeat .A/.B/.W); .A, .B and unknown fields are read and dropped.
// - Fields may be empty (records 471 and 995 are empty), but every record must have a .W
//   marker: a record that ends without one is reported as truncated.
// - All-digit ids lose leading zeros (".I 001" is "1"), as the judgments write them.
#include <memory>
#include <string>
#include <string_view>

#include "data/read_util.h"
#include "denser/common/io.h"
#include "denser/data/readers.h"

namespace denser {
namespace {

using data_internal::bad_record;
using data_internal::BadRecord;

struct SmartRecord {
  std::string id;          // canonical id from the .I line; empty for stray text
  uint64_t line = 0;       // line of the .I (or of the stray text)
  std::string title;       // .T
  std::string text;        // .W
  bool opened = false;     // the record starts with a ".I" line (not stray text)
  bool has_text_field = false;
  std::string error;       // first problem in the record; the record is still consumed whole
  uint64_t error_line = 0;
};

// A field marker is '.', an upper-case letter, then the end of the line or a blank.
bool is_marker(std::string_view line) {
  return line.size() >= 2 && line[0] == '.' && line[1] >= 'A' && line[1] <= 'Z' &&
         (line.size() == 2 || line[2] == ' ' || line[2] == '\t');
}

void append_line(std::string& field, std::string_view content) {
  content = data_internal::trim(content);
  if (content.empty()) return;
  if (!field.empty()) field.push_back(' ');
  field.append(content);
}

class SmartScanner {
 public:
  explicit SmartScanner(const std::string& path) : lines_(path) {}

  /// Reads the next record, up to the next ".I" line or the end of the file; false at end.
  bool next(SmartRecord& rec) {
    rec = SmartRecord{};
    if (!pending_ && !read_nonblank()) return false;
    pending_ = false;
    rec.line = lines_.line_number();
    if (is_marker(line_) && line_[1] == 'I') {
      open_record(rec);
    } else {
      fail(rec, "text before the first record; expected a \".I <id>\" line");
    }
    char field = 0;
    while (read_nonblank()) {
      if (is_marker(line_) && line_[1] == 'I') {
        pending_ = true;
        break;
      }
      check_line(rec);
      if (is_marker(line_)) {
        field = line_[1];
        if (field == 'W') rec.has_text_field = true;
        add_content(rec, field, std::string_view(line_).substr(2));
      } else if (field == 0 && rec.opened) {
        fail(rec, "text right after \".I\"; expected a field marker (.T, .A, .B, .W) on a line of its own");
      } else {
        add_content(rec, field, line_);
      }
    }
    return true;
  }
  std::string where(uint64_t line) const { return str(lines_.path(), ":", line); }
  const std::string& path() const { return lines_.path(); }
  uint64_t bytes_read() const { return lines_.bytes_read(); }

 private:
  bool read_nonblank() {
    while (lines_.next(line_))
      if (!data_internal::is_blank(line_)) return true;
    return false;
  }
  void fail(SmartRecord& rec, std::string what) {
    if (!rec.error.empty()) return;
    rec.error = std::move(what);
    rec.error_line = lines_.line_number();
  }
  void check_line(SmartRecord& rec) {
    try {
      data_internal::check_utf8(line_);
    } catch (const BadRecord& e) {
      fail(rec, e.what);
    }
  }
  void open_record(SmartRecord& rec) {
    rec.opened = true;
    check_line(rec);
    auto f = data_internal::split_whitespace(std::string_view(line_).substr(2));
    if (f.size() != 1) return fail(rec, "expected \".I <id>\" with one id");
    rec.id = data_internal::canonical_number(f[0]);
  }
  static void add_content(SmartRecord& rec, char field, std::string_view content) {
    if (field == 'T') append_line(rec.title, content);
    if (field == 'W') append_line(rec.text, content);
  }

  LineReader lines_;
  std::string line_;
  bool pending_ = false;  // line_ holds a ".I" line that opens the next record
};

// The record's problem, if any, as a BadRecord; the .W requirement catches truncation.
void check_record(const SmartRecord& rec) {
  if (!rec.error.empty()) bad_record(rec.error);
  if (!rec.has_text_field)
    bad_record("record \".I ", rec.id, "\" ends without a .W field; expected .T/.A/.B/.W fields "
               "(truncated record?)");
}

std::string record_where(const SmartScanner& scanner, const SmartRecord& rec) {
  return scanner.where(rec.error.empty() ? rec.line : rec.error_line);
}

class SmartDocumentReader : public data_internal::DocumentReaderBase {
 public:
  SmartDocumentReader(const std::string& path, ReadOptions options)
      : DocumentReaderBase(path, options), scanner_(path) {}

  bool next(Document& doc) override {
    SmartRecord rec;
    while (scanner_.next(rec)) {
      try {
        check_record(rec);
        data_internal::check_id(rec.id, "document");
        doc.id = std::move(rec.id);
        accept(doc, rec.line);
      } catch (const BadRecord& e) {
        reject(record_where(scanner_, rec), e.what);
        continue;
      }
      doc.title = std::move(rec.title);
      doc.text = std::move(rec.text);
      return true;
    }
    return end();
  }
  uint64_t bytes_read() const override { return scanner_.bytes_read(); }

 private:
  SmartScanner scanner_;
};

}  // namespace

std::unique_ptr<DocumentReader> open_smart_documents(const std::string& path, ReadOptions options) {
  return std::make_unique<SmartDocumentReader>(path, options);
}

std::vector<Query> read_smart_queries(const std::string& path, ReadOptions options, ReadStats* stats) {
  SmartScanner scanner(path);
  data_internal::SkipPolicy policy(options, stats);
  std::vector<Query> queries;
  uint64_t position = 0;  // counts every record, skipped ones too, so later ids stay right
  SmartRecord rec;
  while (scanner.next(rec)) {
    if (rec.opened) ++position;
    try {
      check_record(rec);
      if (rec.text.empty()) bad_record("query \".I ", rec.id, "\" has an empty .W field; expected query text");
    } catch (const BadRecord& e) {
      policy.skip(record_where(scanner, rec), e.what);
      continue;
    }
    queries.push_back({std::to_string(position), std::move(rec.text)});
    if (stats != nullptr) ++stats->num_records;
  }
  policy.summarize(path);
  return queries;
}

}  // namespace denser
