// The network as the trainer sees it (private header, libtorch): the grad-enabled plain
// path must agree with the oneDNN inference path the encoder takes, and gradients must
// reach every parameter.
#include <gtest/gtest.h>

#include "encode/transformer_model.h"
#include "encode/transformer_test_util.h"

namespace denser::encode_internal {
namespace {

TEST(TransformerNetTest, TrainingPathMatchesInferencePathAndBackpropagates) {
  at::set_num_threads(1);
  for (const char* type : {"bert", "roberta"}) {
    ModelConfig config = test::tiny_test_config(type, "mean", true);
    TransformerNet net(config);
    initialize(net, InitOptions{4, 0.02, true});
    net->eval();
    // Two rows, the second padded after 5 tokens.
    torch::Tensor ids = torch::tensor({2, 7, 8, 9, 10, 11, 12, 3, 2, 13, 14, 15, 3, 0, 0, 0}).view({2, 8});
    torch::Tensor mask = ids.ne(0).to(torch::kLong);
    torch::Tensor types = torch::zeros_like(ids);
    torch::Tensor fast;
    {
      torch::InferenceMode inference;
      fast = net->forward(ids, types, mask).clone();
    }
    torch::Tensor plain = net->forward(ids, types, mask);
    ASSERT_TRUE(plain.requires_grad());
    EXPECT_LE((plain.detach() - fast).abs().max().item<float>(), 1e-5f) << type;
    EXPECT_EQ(plain.sizes(), (std::vector<int64_t>{2, 24}));

    net->train();  // dropout on: same inputs, different outputs
    torch::Tensor noisy = net->forward(ids, types, mask);
    EXPECT_GT((noisy.detach() - plain.detach()).abs().max().item<float>(), 1e-4f);
    noisy.pow(2).sum().backward();
    for (const auto& p : net->named_parameters()) {
      if (p.key().find("position_embeddings") != std::string::npos ||
          p.key().find("token_type") != std::string::npos || p.key().find("word_embeddings") != std::string::npos)
        continue;  // embedding rows not looked up get no gradient
      ASSERT_TRUE(p.value().grad().defined()) << p.key();
      EXPECT_GT(p.value().grad().abs().sum().item<float>(), 0.0f) << p.key();
    }
  }
}

}  // namespace
}  // namespace denser::encode_internal
