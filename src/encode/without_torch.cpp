// The encoders' factories in a build without libtorch (-DDENSER_WITH_TORCH=OFF): every
// one refuses, saying which build option brings the encoders in. The model store, the
// configuration and safetensors readers and corpus encoding over an Encoder stay.
#include "denser/common/error.h"
#include "denser/encode/ngram.h"
#include "denser/encode/transformer.h"

namespace denser {
namespace {

[[noreturn]] void no_torch(const char* what) {
  DENSER_THROW(ErrorCode::kUnsupported, what,
               ": this denser was built without libtorch; configure it with -DDENSER_WITH_TORCH=ON");
}

}  // namespace

std::unique_ptr<Encoder> create_ngram_encoder(const NgramConfig&, const EncodeOptions&, uint64_t) {
  no_torch("creating an n-gram encoder");
}

std::unique_ptr<Encoder> load_ngram_encoder(const std::string& dir, const EncodeOptions&) {
  no_torch(("loading the n-gram model " + dir).c_str());
}

std::unique_ptr<Encoder> create_transformer_encoder(const ModelConfig&, std::vector<std::string>, const EncodeOptions&,
                                                    uint64_t, bool) {
  no_torch("creating a transformer encoder");
}

std::unique_ptr<Encoder> load_transformer_encoder(const std::string& dir, const EncodeOptions&) {
  no_torch(("loading the transformer model " + dir).c_str());
}

}  // namespace denser
