#pragma once
// Options declared once. An OptionTable<S> lists the fields of an options struct S: each
// with its name (snake_case, as in JSON requests and config files; the CLI flag is the
// same in kebab-case unless the table says otherwise), type, default (read from a default
// S), allowed values or range, and help. The CLI builds its flags from it, the server and
// the config files read JSON through it, and `denser options --markdown` prints the tables
// in docs/options.md, which a test keeps equal to the output. One place to add an option.
#include <nlohmann/json.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "denser/common/error.h"

namespace denser {

/// What the docs and the CLI show of one option.
struct OptionSpec {
  std::string name;  // JSON / config key
  std::string flag;  // CLI flag without dashes; empty: name in kebab-case
  std::string type;  // "integer", "number", "string" or "boolean"
  std::string help;
  std::vector<std::string> choices;  // strings: the accepted values (empty: any)
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  std::string default_note;  // shown instead of the default value when set ("20% of steps")
  double type_min = -std::numeric_limits<double>::infinity();  // what the C++ type holds
  double type_max = std::numeric_limits<double>::infinity();

  /// The CLI flag with its dashes: "--rrf-k".
  std::string cli_flag() const;
  /// The accepted values as a phrase: "one of rrf, linear", "in [0, 1]", "≥ 1", or "".
  std::string domain() const;
};

namespace detail {
/// Checks `value` against spec's type, choices and range; throws Error(kInvalidArgument)
/// naming `field` (set as the error's field too).
void check_option_value(const OptionSpec& spec, const nlohmann::json& value, std::string_view field);
/// Parses a flag's text as spec's type: "true"/"false" for booleans, numbers as JSON
/// numbers, strings as they are.
nlohmann::json parse_option_text(const OptionSpec& spec, std::string_view text, std::string_view field);
/// The markdown table of `specs` with the defaults in `defaults` (a JSON object).
std::string option_markdown(const std::vector<OptionSpec>& specs, const nlohmann::json& defaults);
std::string kebab_case(std::string_view name);
}  // namespace detail

template <typename S>
class OptionTable {
 public:
  /// A field of plain type (bool, an integer type, float/double, std::string), reached by
  /// `access` (a member pointer, or a function S& -> Field&).
  template <typename Access>
  OptionSpec& add(std::string name, Access access, std::string help) {
    using Field = std::remove_cvref_t<decltype(std::invoke(access, std::declval<S&>()))>;
    Entry e;
    e.spec.name = std::move(name);
    e.spec.help = std::move(help);
    e.spec.type = type_name<Field>();
    if constexpr (std::is_arithmetic_v<Field> && !std::is_same_v<Field, bool>) {
      e.spec.type_min = static_cast<double>(std::numeric_limits<Field>::lowest());
      e.spec.type_max = static_cast<double>(std::numeric_limits<Field>::max());
    }
    e.get = [access](const S& s) { return nlohmann::json(std::invoke(access, const_cast<S&>(s))); };
    e.set = [access](S& s, const nlohmann::json& v) { std::invoke(access, s) = v.get<Field>(); };
    entries_.push_back(std::move(e));
    return entries_.back().spec;
  }

  /// An enum field shown and read as one of `choices` through parse (name -> enum) and
  /// name_of (enum -> name).
  template <typename Access, typename Parse, typename NameOf>
  OptionSpec& add_enum(std::string name, Access access, Parse parse, NameOf name_of, std::vector<std::string> choices,
                       std::string help) {
    Entry e;
    e.spec.name = std::move(name);
    e.spec.help = std::move(help);
    e.spec.type = "string";
    e.spec.choices = std::move(choices);
    e.get = [access, name_of](const S& s) { return nlohmann::json(name_of(std::invoke(access, const_cast<S&>(s)))); };
    e.set = [access, parse](S& s, const nlohmann::json& v) { std::invoke(access, s) = parse(v.get<std::string>()); };
    entries_.push_back(std::move(e));
    return entries_.back().spec;
  }

  std::vector<OptionSpec> specs() const {
    std::vector<OptionSpec> out;
    for (const Entry& e : entries_) out.push_back(e.spec);
    return out;
  }
  /// The declaration of `name`, to refine right after add() (ranges, notes); nullptr if none.
  OptionSpec* find_mut(std::string_view name) {
    for (Entry& e : entries_)
      if (e.spec.name == name) return &e.spec;
    return nullptr;
  }
  const OptionSpec* find(std::string_view name) const {
    for (const Entry& e : entries_)
      if (e.spec.name == name) return &e.spec;
    return nullptr;
  }

  /// Sets option `name` from a JSON value after checking it; `field` names it in errors
  /// ("k", "prf.depth", "--alpha", "config.json: steps"). Unknown names are rejected.
  void set(S& s, std::string_view name, const nlohmann::json& value, std::string_view field) const {
    const Entry& e = entry(name, field);
    detail::check_option_value(e.spec, value, field);
    with_field(field, [&] { e.set(s, value); });
  }
  /// Sets option `name` from a flag's text.
  void set_text(S& s, std::string_view name, std::string_view text, std::string_view field) const {
    const Entry& e = entry(name, field);
    set(s, name, detail::parse_option_text(e.spec, text, field), field);
  }
  /// Every key of a JSON object; `where` prefixes error messages ("run.json: ").
  void apply_json(S& s, const nlohmann::json& object, std::string_view where) const {
    if (!object.is_object()) DENSER_THROW(ErrorCode::kInvalidArgument, where, "expected a JSON object of options");
    for (const auto& item : object.items()) {
      try {
        set(s, item.key(), item.value(), item.key());
      } catch (const Error& e) {
        Error located(e.code(), str(where, e.what()), e.source_file(), e.source_line());
        located.set_field(e.field());
        throw located;
      }
    }
  }
  nlohmann::json to_json(const S& s) const {
    nlohmann::json out = nlohmann::json::object();
    for (const Entry& e : entries_) out[e.spec.name] = e.get(s);
    return out;
  }
  nlohmann::json get(const S& s, std::string_view name) const { return entry(name, name).get(s); }
  /// The markdown table of the options with defaults from `defaults`.
  std::string markdown(const S& defaults = S{}) const { return detail::option_markdown(specs(), to_json(defaults)); }

 private:
  struct Entry {
    OptionSpec spec;
    std::function<nlohmann::json(const S&)> get;
    std::function<void(S&, const nlohmann::json&)> set;
  };
  template <typename Field>
  static const char* type_name() {
    if constexpr (std::is_same_v<Field, bool>)
      return "boolean";
    else if constexpr (std::is_same_v<Field, std::string>)
      return "string";
    else if constexpr (std::is_floating_point_v<Field>)
      return "number";
    else {
      static_assert(std::is_integral_v<Field>, "options are bool, integers, numbers or strings");
      return "integer";
    }
  }
  const Entry& entry(std::string_view name, std::string_view field) const {
    for (const Entry& e : entries_)
      if (e.spec.name == name) return e;
    Error error(ErrorCode::kInvalidArgument, str("unknown option \"", field, "\""), __FILE__, __LINE__);
    error.set_field(std::string(field));
    throw error;
  }
  std::vector<Entry> entries_;
};

}  // namespace denser
