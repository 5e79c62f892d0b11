#pragma once
// The CLI face of an OptionTable: one flag per declared option (booleans get --x and
// --no-x), with the help, accepted values and default the table declares. Values given
// on the line are checked as they are parsed and kept in order, to be applied over
// whatever defaults the command settles on (a preset, a config file) with apply().
#include <CLI/CLI.hpp>

#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "denser/common/options.h"

namespace denser::cli {

template <typename S>
class OptionFlags {
 public:
  /// Adds the flags of `table` (except those named in `skip`) to `cmd`; the defaults shown
  /// in --help come from `defaults`. `table` must outlive the flags.
  OptionFlags(CLI::App* cmd, const OptionTable<S>& table, const S& defaults = S{}, std::set<std::string> skip = {})
      : table_(table) {
    const nlohmann::json values = table.to_json(defaults);
    for (const OptionSpec& spec : table.specs()) {
      if (skip.count(spec.name) != 0) continue;
      std::string help = spec.help;
      if (!spec.domain().empty()) help += " [" + spec.domain() + "]";
      if (spec.type == "boolean") {
        const std::string flag = spec.cli_flag();
        cmd->add_flag_callback(
            flag, [this, spec, flag] { given_.emplace_back(spec.name, true); }, help);
        cmd->add_flag_callback(
            "--no-" + flag.substr(2), [this, spec, flag] { given_.emplace_back(spec.name, false); },
            "Turn " + flag + " off");
        continue;
      }
      const nlohmann::json& d = values.at(spec.name);
      help += " (default: " +
              (spec.default_note.empty() ? (d.is_string() ? d.get<std::string>() : d.dump()) : spec.default_note) + ")";
      const std::string name = spec.name, flag = spec.cli_flag();
      cmd->add_option_function<std::string>(
             flag,
             [this, name, flag](const std::string& text) {
               const OptionSpec& s = *table_.find(name);
               nlohmann::json value = detail::parse_option_text(s, text, flag);
               detail::check_option_value(s, value, flag);
               given_.emplace_back(name, std::move(value));
             },
             help)
          ->type_name(spec.type == "integer"  ? "INT"
                      : spec.type == "number" ? "NUMBER"
                                              : "TEXT");
    }
  }
  OptionFlags(const OptionFlags&) = delete;
  OptionFlags& operator=(const OptionFlags&) = delete;

  /// Sets every option given on the line, in the order given.
  void apply(S& target) const {
    for (const auto& [name, value] : given_) table_.set(target, name, value, table_.find(name)->cli_flag());
  }
  bool given(const std::string& name) const {
    for (const auto& entry : given_)
      if (entry.first == name) return true;
    return false;
  }

 private:
  const OptionTable<S>& table_;
  std::vector<std::pair<std::string, nlohmann::json>> given_;
};

}  // namespace denser::cli
