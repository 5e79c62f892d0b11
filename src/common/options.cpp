#include "denser/common/options.h"

#include <cstdlib>
#include <sstream>

namespace denser {
namespace {

std::string number_text(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  std::ostringstream out;
  out << v;
  return out.str();
}

[[noreturn]] void bad_value(std::string_view field, const std::string& why) {
  Error error(ErrorCode::kInvalidArgument, str("\"", field, "\" ", why), __FILE__, __LINE__);
  error.set_field(std::string(field));
  throw error;
}

}  // namespace

std::string OptionSpec::cli_flag() const { return "--" + (flag.empty() ? detail::kebab_case(name) : flag); }

std::string OptionSpec::domain() const {
  if (!choices.empty()) {
    std::string out = "one of ";
    for (size_t i = 0; i < choices.size(); ++i) out += (i ? ", " : "") + choices[i];
    return out;
  }
  const bool has_min = std::isfinite(min), has_max = std::isfinite(max);
  if (has_min && has_max) return "in [" + number_text(min) + ", " + number_text(max) + "]";
  if (has_min) return "≥ " + number_text(min);
  if (has_max) return "≤ " + number_text(max);
  return "";
}

namespace detail {

std::string kebab_case(std::string_view name) {
  std::string out(name);
  for (char& c : out)
    if (c == '_') c = '-';
  return out;
}

void check_option_value(const OptionSpec& spec, const nlohmann::json& value, std::string_view field) {
  if (spec.type == "boolean") {
    if (!value.is_boolean()) bad_value(field, "must be true or false, got " + value.dump());
    return;
  }
  if (spec.type == "string") {
    if (!value.is_string()) bad_value(field, "must be a string, got " + value.dump());
    if (spec.choices.empty()) return;
    for (const std::string& c : spec.choices)
      if (value.get<std::string>() == c) return;
    bad_value(field, "must be " + spec.domain() + ", got " + value.dump());
  }
  if (spec.type == "integer" ? !value.is_number_integer() : !value.is_number())
    bad_value(field,
              std::string("must be ") + (spec.type == "integer" ? "an integer" : "a number") + ", got " + value.dump());
  const double v = value.get<double>();
  if (!(v >= spec.min && v <= spec.max)) bad_value(field, "must be " + spec.domain() + ", got " + value.dump());
  if (!(v >= spec.type_min && v <= spec.type_max)) bad_value(field, "is out of range: " + value.dump());
}

nlohmann::json parse_option_text(const OptionSpec& spec, std::string_view text, std::string_view field) {
  if (spec.type == "string") return std::string(text);
  if (spec.type == "boolean") {
    if (text == "true" || text == "1" || text == "on") return true;
    if (text == "false" || text == "0" || text == "off") return false;
    bad_value(field, "must be true or false, got \"" + std::string(text) + "\"");
  }
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_number())
    bad_value(field, std::string("must be ") + (spec.type == "integer" ? "an integer" : "a number") + ", got \"" +
                         std::string(text) + "\"");
  return parsed;
}

std::string option_markdown(const std::vector<OptionSpec>& specs, const nlohmann::json& defaults) {
  std::string out = "| option | flag | type | default | accepted | meaning |\n|---|---|---|---|---|---|\n";
  for (const OptionSpec& spec : specs) {
    std::string def = spec.default_note;
    if (def.empty()) {
      const nlohmann::json& d = defaults.at(spec.name);
      def = d.is_string() ? (d.get<std::string>().empty() ? "(none)" : d.get<std::string>())
                          : (d.is_number_float() ? number_text(d.get<double>()) : d.dump());
      def = "`" + def + "`";
    }
    std::string help = spec.help;
    for (char& c : help)
      if (c == '|') c = '/';
    out += "| `" + spec.name + "` | `" + spec.cli_flag() + "` | " + spec.type + " | " + def + " | " + spec.domain() +
           " | " + help + " |\n";
  }
  return out;
}

}  // namespace detail
}  // namespace denser
