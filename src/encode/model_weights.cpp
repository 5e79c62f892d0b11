// Moving the network's parameters to and from model.safetensors under Hugging Face names.
#include <algorithm>
#include <set>
#include <vector>

#include "denser/common/error.h"
#include "denser/common/io.h"
#include "denser/common/log.h"
#include "denser/encode/safetensors.h"
#include "transformer_model.h"

namespace denser::encode_internal {
namespace {

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

// Hugging Face tensors that a BertModel/RobertaModel checkpoint may carry and a dual
// encoder does not use: the pooler, masked-LM heads, and the position_ids buffer.
bool is_ignorable(const std::string& name) {
  for (std::string_view prefix : {"bert.", "roberta.", "query_tower.bert.", "query_tower.roberta.", "query_tower."})
    if (starts_with(name, prefix)) return is_ignorable(name.substr(prefix.size()));
  return starts_with(name, "pooler.") || starts_with(name, "cls.") || starts_with(name, "lm_head.") ||
         name.find("position_ids") != std::string::npos;
}

// The names a parameter may have in a file: its full name, and the name without the
// backbone prefix (a bare BertModel checkpoint).
std::vector<std::string> candidate_names(const std::string& name, const std::string& backbone) {
  std::vector<std::string> names = {name};
  std::string prefix = backbone + ".";
  size_t at = name.find(prefix);
  if (at != std::string::npos && (at == 0 || name[at - 1] == '.')) {
    names.push_back(name.substr(0, at) + name.substr(at + prefix.size()));
  }
  return names;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

void load_parameters(TransformerNet& net, const SafeTensorsFile& file) {
  torch::NoGradGuard no_grad;
  std::set<std::string> used;
  std::vector<std::string> missing, wrong_shape;
  for (auto& item : net->named_parameters()) {
    torch::Tensor& param = item.value();
    const TensorView* view = nullptr;
    for (const std::string& name : candidate_names(item.key(), net->config().model_type)) {
      if ((view = file.find(name))) break;
    }
    if (!view) {
      missing.push_back(item.key());
      continue;
    }
    used.insert(view->name);
    std::vector<int64_t> expected(param.sizes().begin(), param.sizes().end());
    if (view->shape != expected) {
      wrong_shape.push_back(
          str(view->name, " has shape ", shape_string(view->shape), ", expected ", shape_string(expected)));
      continue;
    }
    std::vector<float> values = view->to_float();
    torch::Tensor source = torch::from_blob(values.data(), param.sizes(), torch::kFloat32);
    param.copy_(source);
  }
  std::vector<std::string> unexpected;
  for (const auto& [name, view] : file.tensors()) {
    if (used.count(name)) continue;
    if (is_ignorable(name)) {
      DENSER_LOG_INFO(file.path(), ": skipping unused tensor ", name);
    } else {
      unexpected.push_back(name);
    }
  }
  if (missing.empty() && wrong_shape.empty() && unexpected.empty()) return;
  std::string message = str(file.path(), ": the weights do not match config.json:");
  auto list = [&](const char* what, const std::vector<std::string>& names) {
    if (names.empty()) return;
    message += str(" ", what, " (", names.size(), "):");
    size_t shown = std::min<size_t>(names.size(), 20);
    for (size_t i = 0; i < shown; ++i) message += (i ? ", " : " ") + names[i];
    if (shown < names.size()) message += str(", ... and ", names.size() - shown, " more");
    message += ";";
  };
  list("missing tensors", missing);
  list("wrong shapes", wrong_shape);
  list("unexpected tensors", unexpected);
  DENSER_THROW(ErrorCode::kCorrupt, message);
}

void save_parameters(const torch::nn::Module& module, const std::string& path) {
  std::vector<torch::Tensor> keep;  // owns the contiguous CPU copies while writing
  std::vector<TensorToWrite> tensors;
  for (const auto& item : module.named_parameters()) {
    torch::Tensor t = item.value().detach().to(torch::kCPU, torch::kFloat32).contiguous();
    keep.push_back(t);
    tensors.push_back(TensorToWrite{item.key(), DType::kF32, t.sizes().vec(), t.data_ptr()});
  }
  write_safetensors(path, tensors, {{"format", "pt"}});
}

uint32_t parameters_crc(const torch::nn::Module& module) {
  uint32_t crc = 0;
  for (const auto& item : module.named_parameters()) {  // registration order is fixed per config
    torch::Tensor t = item.value().detach().to(torch::kCPU, torch::kFloat32).contiguous();
    crc = crc32c(item.key().data(), item.key().size(), crc);
    for (int64_t d : t.sizes()) crc = crc32c(&d, sizeof d, crc);
    crc = crc32c(t.data_ptr(), static_cast<size_t>(t.numel()) * sizeof(float), crc);
  }
  return crc;
}

}  // namespace denser::encode_internal
