// Classic test collections as they are distributed, in two layouts, told apart by the
// first non-blank line of each file:
//
// SMART records (Cranfield, CISI, MED, CACM): a ".I <id>" line opens a record, and field
// markers on lines of their own (".T" title, ".A" authors, ".B" bibliography, ".W" text,
// ".K", ".N", ".X", ".C", others) introduce fields whose content spans the following lines.
// - Lines of a field are trimmed and joined with one space.
// - Fields come in any order and may repeat (cran.all.1400's records 240, 576 and 578
//   repeat .A/.B/.W): a repeated field appends. Only .T and .W are kept.
// - Fields may be empty (Cranfield's records 471 and 995), and a record may have no .W
//   (title-only documents): it must have at least one field marker, so that a file cut
//   right after a ".I" line is reported as truncated.
// - All-digit ids lose leading zeros (".I 001" is "1"), as the judgments write them.
//
// Glasgow records (NPL and the other collections of the Glasgow IR group's archive): a
// line holding the record's number, the text on the following lines, and a line holding
// only "/" to close the record.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "read_util.h"
#include "denser/common/io.h"
#include "denser/common/log.h"
#include "denser/data/readers.h"

namespace denser {
namespace {

using data_internal::bad_record;
using data_internal::BadRecord;

struct SmartRecord {
  std::string id;               // canonical id from the .I line; empty for stray text
  uint64_t line = 0;            // line of the .I (or of the stray text)
  std::string title;            // .T
  std::string text;             // .W
  bool opened = false;          // the record starts with a ".I" line (not stray text)
  bool has_field = false;       // any field marker (SMART) or the closing "/" (Glasgow)
  bool has_text_field = false;  // a .W field (SMART); Glasgow records are all text
  std::string error;            // first problem in the record; the record is still consumed whole
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

// The record reader of one file, whichever layout it has.
class RecordScanner {
 public:
  explicit RecordScanner(const std::string& path) : lines_(path) {}
  virtual ~RecordScanner() = default;
  /// Reads the next record; false at end.
  virtual bool next(SmartRecord& rec) = 0;
  virtual const char* layout() const = 0;
  std::string where(uint64_t line) const { return str(lines_.path(), ":", line); }
  const std::string& path() const { return lines_.path(); }
  uint64_t bytes_read() const { return lines_.bytes_read(); }

 protected:
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

  LineReader lines_;
  std::string line_;
  bool pending_ = false;  // line_ holds the line that opens the next record
};

class SmartScanner : public RecordScanner {
 public:
  using RecordScanner::RecordScanner;
  const char* layout() const override { return "SMART records (\".I <id>\" and field markers)"; }

  /// Reads the next record, up to the next ".I" line or the end of the file; false at end.
  bool next(SmartRecord& rec) override {
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
        rec.has_field = true;
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

 private:
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
};

// Glasgow: "<number>", text lines, "/".
class GlasgowScanner : public RecordScanner {
 public:
  using RecordScanner::RecordScanner;
  const char* layout() const override { return "Glasgow records (a number, the text, a \"/\" line)"; }

  bool next(SmartRecord& rec) override {
    rec = SmartRecord{};
    if (!read_nonblank()) return false;
    rec.line = lines_.line_number();
    rec.opened = true;
    check_line(rec);
    auto f = data_internal::split_whitespace(line_);
    if (f.size() != 1 || f[0] == "/") {
      fail(rec, "expected a line holding the record's number");
    } else {
      rec.id = data_internal::canonical_number(f[0]);
    }
    while (read_nonblank()) {
      check_line(rec);
      if (data_internal::trim(line_) == "/") {
        rec.has_field = rec.has_text_field = true;
        return true;
      }
      append_line(rec.text, line_);
    }
    if (rec.error.empty()) {  // named at the record's first line
      rec.error = "record " + rec.id + " ends without its closing \"/\" line (truncated?)";
      rec.error_line = rec.line;
    }
    return true;
  }
};

// The layout of a SMART-family file, from its first non-blank line: a number alone is
// Glasgow; anything else is read as SMART, whose reader reports what is wrong.
std::unique_ptr<RecordScanner> open_scanner(const std::string& path) {
  std::unique_ptr<RecordScanner> scanner;
  if (data_internal::starts_with_number_line(path)) {
    scanner = std::make_unique<GlasgowScanner>(path);
  } else {
    scanner = std::make_unique<SmartScanner>(path);
  }
  return scanner;
}

// The record's problem, if any, as a BadRecord; a record without any field is a file cut
// right after its ".I" line.
void check_record(const SmartRecord& rec) {
  if (!rec.error.empty()) bad_record(rec.error);
  if (!rec.has_field)
    bad_record("record \".I ", rec.id,
               "\" ends without any field; expected .T/.A/.B/.W fields "
               "(truncated record?)");
}

std::string record_where(const RecordScanner& scanner, const SmartRecord& rec) {
  return scanner.where(rec.error.empty() ? rec.line : rec.error_line);
}

class SmartDocumentReader : public data_internal::DocumentReaderBase {
 public:
  SmartDocumentReader(const std::string& path, ReadOptions options)
      : DocumentReaderBase(path, options), scanner_(open_scanner(path)) {}

  bool next(Document& doc) override {
    SmartRecord rec;
    while (scanner_->next(rec)) {
      try {
        check_record(rec);
        data_internal::check_id(rec.id, "document");
        doc.id = std::move(rec.id);
        accept(doc, rec.line);
      } catch (const BadRecord& e) {
        reject(record_where(*scanner_, rec), e.what);
        continue;
      }
      doc.title = std::move(rec.title);
      doc.text = std::move(rec.text);
      return true;
    }
    return end();
  }
  uint64_t bytes_read() const override { return scanner_->bytes_read(); }

 private:
  std::unique_ptr<RecordScanner> scanner_;
};

}  // namespace

std::unique_ptr<DocumentReader> open_smart_documents(const std::string& path, ReadOptions options) {
  return std::make_unique<SmartDocumentReader>(path, options);
}

std::string smart_file_layout(const std::string& path) { return open_scanner(path)->layout(); }

std::vector<Query> read_smart_queries(const std::string& path, ReadOptions options, ReadStats* stats) {
  std::unique_ptr<RecordScanner> scanner = open_scanner(path);
  const bool glasgow = dynamic_cast<GlasgowScanner*>(scanner.get()) != nullptr;
  data_internal::SkipPolicy policy(options, stats);
  std::vector<Query> queries;
  uint64_t position = 0;  // counts every record, skipped ones too, so later ids stay right
  SmartRecord rec;
  while (scanner->next(rec)) {
    if (rec.opened) ++position;
    // A query without .W is its title (query files with .T only).
    std::string& text = rec.has_text_field ? rec.text : rec.title;
    try {
      check_record(rec);
      if (text.empty()) bad_record("query \"", rec.id, "\" has no text; expected query text");
    } catch (const BadRecord& e) {
      policy.skip(record_where(*scanner, rec), e.what);
      continue;
    }
    // SMART query files number their records in order, and the judgments use that order
    // (Cranfield's .I ids skip numbers); Glasgow's judgments use the record's own number.
    queries.push_back({glasgow ? rec.id : std::to_string(position), std::move(text)});
    if (stats != nullptr) ++stats->num_records;
  }
  policy.summarize(path);
  return queries;
}

}  // namespace denser
