// The error categories and their two mappings, pinned: scripts read the exit codes and
// clients the HTTP statuses, so a change here is a change of interface.
#include <gtest/gtest.h>

#include <string>

#include "denser/common/error.h"

namespace denser {
namespace {

TEST(ErrorCodes, ExitCodesAndHttpStatusesArePinned) {
  struct Row {
    ErrorCode code;
    const char* name;
    int exit;
    int http;
  };
  const Row rows[] = {
      {ErrorCode::kInvalidArgument, "invalid_argument", 2, 400},
      {ErrorCode::kNotFound, "not_found", 3, 404},
      {ErrorCode::kCorrupt, "corrupt", 4, 500},
      {ErrorCode::kUnavailable, "unavailable", 5, 503},
      {ErrorCode::kUnsupported, "unsupported", 6, 422},
      {ErrorCode::kTooLarge, "too_large", 7, 413},
      {ErrorCode::kInternal, "internal", 1, 500},
  };
  for (const Row& row : rows) {
    EXPECT_STREQ(error_code_name(row.code), row.name);
    EXPECT_EQ(exit_code(row.code), row.exit) << row.name;
    EXPECT_EQ(http_status(row.code), row.http) << row.name;
  }
}

TEST(ErrorCodes, CheckCarriesCategoryMessageAndCallSite) {
  try {
    const int line = __LINE__ + 1;
    DENSER_CHECK(1 + 1 == 3, ErrorCode::kCorrupt, "file.bin: byte ", 12, ": bad magic");
    FAIL() << "no throw (line " << line << ")";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorrupt);
    EXPECT_STREQ(e.what(), "file.bin: byte 12: bad magic");
    EXPECT_NE(std::string(e.source_file()).find("error_test.cpp"), std::string::npos);
    EXPECT_TRUE(e.field().empty());
  }
}

TEST(ErrorCodes, WithFieldNamesTheFieldOnce) {
  try {
    with_field("outer", [] { with_field("inner", [] { DENSER_THROW(ErrorCode::kInvalidArgument, "bad"); }); });
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "inner");  // the innermost name wins
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  }
  EXPECT_EQ(with_field("x", [] { return 7; }), 7);
}

}  // namespace
}  // namespace denser
