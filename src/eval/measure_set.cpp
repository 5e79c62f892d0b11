// Measure names and trec_eval's "-m name.params" syntax.
#include <algorithm>
#include <array>
#include <charconv>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "denser/common/error.h"
#include "denser/eval/metrics.h"

namespace denser {
namespace {

struct Family {
  MeasureKind kind;
  std::string_view name;
  bool has_cutoffs;
};

// trec_eval's measures.c order, restricted to what denser computes: output follows it.
constexpr std::array<Family, 9> kFamilies = {{
    {MeasureKind::kNumQ, "num_q", false},
    {MeasureKind::kNumRet, "num_ret", false},
    {MeasureKind::kNumRel, "num_rel", false},
    {MeasureKind::kNumRelRet, "num_rel_ret", false},
    {MeasureKind::kMap, "map", false},
    {MeasureKind::kRecipRank, "recip_rank", false},
    {MeasureKind::kP, "P", true},
    {MeasureKind::kRecall, "recall", true},
    {MeasureKind::kNdcgCut, "ndcg_cut", true},
}};

// trec_eval's default cutoffs for P, recall and ndcg_cut when "-m P" has no list.
const std::vector<int64_t> kTrecEvalDefaultCutoffs = {5, 10, 15, 20, 30, 100, 200, 500, 1000};

const Family& family(MeasureKind kind) {
  for (const Family& f : kFamilies)
    if (f.kind == kind) return f;
  DENSER_THROW(ErrorCode::kInternal, "unknown measure kind ", static_cast<int>(kind));
}

size_t order_of(MeasureKind kind) {
  for (size_t i = 0; i < kFamilies.size(); ++i)
    if (kFamilies[i].kind == kind) return i;
  return kFamilies.size();
}

// "5,10,100" -> {5, 10, 100}; strict where trec_eval's atol() is not, so that a typo is an
// error rather than a silently different cutoff.
std::vector<int64_t> parse_cutoffs(std::string_view arg, std::string_view list) {
  std::vector<int64_t> cutoffs;
  size_t start = 0;
  while (true) {
    size_t comma = list.find(',', start);
    std::string_view field =
        list.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
    DENSER_CHECK(!field.empty() && ec == std::errc() && ptr == field.data() + field.size() && value > 0,
                 ErrorCode::kInvalidArgument, "measure \"", arg, "\": bad cutoff \"", field,
                 "\"; expected positive integers separated by ','");
    cutoffs.push_back(value);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  std::sort(cutoffs.begin(), cutoffs.end());
  DENSER_CHECK(std::adjacent_find(cutoffs.begin(), cutoffs.end()) == cutoffs.end(), ErrorCode::kInvalidArgument,
               "measure \"", arg, "\": a cutoff is repeated; expected distinct cutoffs");
  return cutoffs;
}

}  // namespace

std::string_view measure_name(MeasureKind kind) { return family(kind).name; }

bool measure_has_cutoffs(MeasureKind kind) { return family(kind).has_cutoffs; }

std::string MeasureSet::supported_list() {
  std::string out;
  for (const Family& f : kFamilies) {
    if (!out.empty()) out += ", ";
    out += f.name;
    if (f.has_cutoffs) out += ".K[,K...]";
  }
  return out;
}

void MeasureSet::add(MeasureKind kind, const std::vector<int64_t>& cutoffs) {
  auto it = std::find_if(specs_.begin(), specs_.end(), [&](const MeasureSpec& s) { return s.kind == kind; });
  if (it == specs_.end()) {
    MeasureSpec spec{kind, cutoffs};
    auto pos = std::find_if(specs_.begin(), specs_.end(),
                            [&](const MeasureSpec& s) { return order_of(s.kind) > order_of(kind); });
    specs_.insert(pos, std::move(spec));
    return;
  }
  std::vector<int64_t> merged;
  std::set_union(it->cutoffs.begin(), it->cutoffs.end(), cutoffs.begin(), cutoffs.end(), std::back_inserter(merged));
  it->cutoffs = std::move(merged);
}

MeasureSet MeasureSet::defaults() {
  MeasureSet set;
  set.add(MeasureKind::kNumQ, {});
  set.add(MeasureKind::kNumRet, {});
  set.add(MeasureKind::kNumRel, {});
  set.add(MeasureKind::kNumRelRet, {});
  set.add(MeasureKind::kMap, {});
  set.add(MeasureKind::kRecipRank, {});
  set.add(MeasureKind::kP, {10});
  set.add(MeasureKind::kRecall, {10, 100, 1000});
  set.add(MeasureKind::kNdcgCut, {10, 100});
  return set;
}

MeasureSet MeasureSet::parse(const std::vector<std::string>& args) {
  MeasureSet set;
  // Explicit lists are merged first; a bare "-m P" contributes the defaults only when no
  // argument gave P a list (as trec_eval uses the defaults only without a list).
  std::vector<MeasureKind> bare;
  for (const std::string& arg : args) {
    std::string_view view(arg);
    size_t dot = view.find('.');
    std::string_view name = view.substr(0, dot);
    auto f = std::find_if(kFamilies.begin(), kFamilies.end(), [&](const Family& fam) { return fam.name == name; });
    DENSER_CHECK(f != kFamilies.end(), ErrorCode::kInvalidArgument, "unknown measure \"", arg,
                 "\"; supported: ", supported_list());
    if (dot == std::string_view::npos) {
      if (f->has_cutoffs)
        bare.push_back(f->kind);
      else
        set.add(f->kind, {});
      continue;
    }
    DENSER_CHECK(f->has_cutoffs, ErrorCode::kInvalidArgument, "measure \"", arg, "\": ", f->name,
                 " takes no parameters");
    set.add(f->kind, parse_cutoffs(arg, view.substr(dot + 1)));
  }
  for (MeasureKind kind : bare) {
    bool listed =
        std::any_of(set.specs_.begin(), set.specs_.end(), [&](const MeasureSpec& s) { return s.kind == kind; });
    if (!listed) set.add(kind, kTrecEvalDefaultCutoffs);
  }
  return set;
}

std::vector<std::string> MeasureSet::value_names() const {
  std::vector<std::string> names;
  for (const MeasureSpec& spec : specs_) {
    if (!measure_has_cutoffs(spec.kind)) {
      names.emplace_back(measure_name(spec.kind));
      continue;
    }
    for (int64_t k : spec.cutoffs) names.push_back(str(measure_name(spec.kind), '_', k));
  }
  return names;
}

}  // namespace denser
