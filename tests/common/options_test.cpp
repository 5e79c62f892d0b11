// OptionTable: one declaration read from JSON, flag text and defaults, with every way a
// value can be wrong refused as an invalid argument naming the field.
#include <gtest/gtest.h>

#include <string>

#include "denser/common/options.h"

namespace denser {
namespace {

enum class Color { kRed, kBlue };
Color parse_color(std::string_view s) { return s == "red" ? Color::kRed : Color::kBlue; }
const char* color_name(Color c) { return c == Color::kRed ? "red" : "blue"; }

struct Knobs {
  int depth = 3;
  uint32_t count = 10;
  double weight = 0.5;
  bool fast = false;
  std::string name = "x";
  Color color = Color::kRed;
  struct {
    float beta = 0.25f;
  } nested;
};

const OptionTable<Knobs>& table() {
  static const OptionTable<Knobs> t = [] {
    OptionTable<Knobs> t;
    t.add("depth", &Knobs::depth, "How deep").min = 1;
    t.add("count", &Knobs::count, "How many");
    OptionSpec& w = t.add("weight", &Knobs::weight, "How heavy");
    w.min = 0, w.max = 1;
    t.add("fast", &Knobs::fast, "Go fast").flag = "quick";
    t.add("name", &Knobs::name, "A name");
    t.add_enum("color", &Knobs::color, parse_color, color_name, {"red", "blue"}, "A color");
    t.add(
        "beta", [](Knobs& k) -> float& { return k.nested.beta; }, "Nested");
    return t;
  }();
  return t;
}

Error error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error";
  return Error(ErrorCode::kInternal, "", "", 0);
}

TEST(OptionTable, ReadsAndWritesEveryKindOfField) {
  Knobs k;
  table().apply_json(k, nlohmann::json::parse(R"({"depth": 7, "count": 2, "weight": 1, "fast": true,
      "name": "y", "color": "blue", "beta": -1.5})"),
                     "cfg: ");
  EXPECT_EQ(k.depth, 7);
  EXPECT_EQ(k.count, 2u);
  EXPECT_DOUBLE_EQ(k.weight, 1.0);
  EXPECT_TRUE(k.fast);
  EXPECT_EQ(k.name, "y");
  EXPECT_EQ(k.color, Color::kBlue);
  EXPECT_FLOAT_EQ(k.nested.beta, -1.5f);
  Knobs back;
  table().apply_json(back, table().to_json(k), "");
  EXPECT_EQ(table().to_json(back), table().to_json(k));
  table().set_text(k, "weight", "0.25", "--weight");
  EXPECT_DOUBLE_EQ(k.weight, 0.25);
  table().set_text(k, "fast", "false", "--quick");
  EXPECT_FALSE(k.fast);
}

TEST(OptionTable, RefusesWrongValuesNamingTheField) {
  Knobs k;
  struct Case {
    const char* name;
    const char* json;
    const char* says;
  };
  const Case cases[] = {
      {"depth", "0", "must be ≥ 1, got 0"},     {"depth", "1.5", "must be an integer"},
      {"depth", "\"3\"", "must be an integer"}, {"depth", "99999999999", "out of range"},  // beyond int
      {"count", "-1", "out of range"},                                                     // unsigned
      {"weight", "1.01", "must be in [0, 1]"},  {"fast", "1", "must be true or false"},
      {"name", "3", "must be a string"},        {"color", "\"green\"", "must be one of red, blue"},
  };
  for (const Case& c : cases) {
    Error e = error_of([&] { table().set(k, c.name, nlohmann::json::parse(c.json), c.name); });
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << c.name << " " << c.json;
    EXPECT_EQ(e.field(), c.name);
    EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << e.what();
  }
  Error unknown = error_of([&] { table().apply_json(k, nlohmann::json::parse(R"({"dpeth": 1})"), "cfg.json: "); });
  EXPECT_EQ(unknown.field(), "dpeth");
  EXPECT_NE(std::string(unknown.what()).find("cfg.json: unknown option \"dpeth\""), std::string::npos)
      << unknown.what();
  EXPECT_EQ(error_of([&] { table().set_text(k, "weight", "heavy", "--weight"); }).field(), "--weight");
  Knobs untouched;
  EXPECT_EQ(table().to_json(k), table().to_json(untouched));  // nothing wrong was written
}

TEST(OptionTable, MarkdownShowsFlagTypeDefaultAndDomain) {
  const std::string md = table().markdown();
  EXPECT_NE(md.find("| `depth` | `--depth` | integer | `3` | ≥ 1 | How deep |"), std::string::npos) << md;
  EXPECT_NE(md.find("| `fast` | `--quick` | boolean | `false` |  | Go fast |"), std::string::npos) << md;
  EXPECT_NE(md.find("| `color` | `--color` | string | `red` | one of red, blue | A color |"), std::string::npos) << md;
  EXPECT_NE(md.find("| `weight` | `--weight` | number | `0.5` | in [0, 1] |"), std::string::npos) << md;
}

}  // namespace
}  // namespace denser
