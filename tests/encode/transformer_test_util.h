#pragma once
// Shared by the transformer encoder tests: a small WordPiece vocabulary that covers any
// lowercase ASCII text (letters as word starts and "##" continuations), sample texts of
// varied lengths, and scratch directories.
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "data/data_test_util.h"
#include "denser/common/error.h"
#include "denser/encode/encoder.h"
#include "denser/encode/model_config.h"

namespace denser::test {

inline std::vector<std::string> small_vocab() {
  std::vector<std::string> vocab = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
  for (const char* word : {"the", "of", "and", "cell", "cells", "protein", "gene", "in", "is", "to", "with", "cancer",
                           "mouse", "human", "study", "we", "found", "that", "expression"})
    vocab.push_back(word);
  for (char c = 'a'; c <= 'z'; ++c) vocab.push_back(std::string(1, c));
  for (char c = 'a'; c <= 'z'; ++c) vocab.push_back("##" + std::string(1, c));
  for (char c = '0'; c <= '9'; ++c) vocab.push_back(std::string(1, c));
  for (const char* p : {".", ",", "-", "(", ")", "##ed", "##ing"}) vocab.push_back(p);
  return vocab;
}

/// ~20 texts from 1 to ~60 words, so that batches need padding and some get truncated.
inline std::vector<std::string> sample_texts() {
  std::vector<std::string> texts = {"cell", "the protein", "we found that the gene is expressed in mouse cells."};
  std::mt19937 rng(7);
  const char* words[] = {"the",        "of",    "cell", "protein", "gene",  "cancer",     "mouse", "human", "zebrafish",
                         "signalling", "(p53)", "in",   "with",    "study", "expression", "42",    "x-ray", "t-cells"};
  for (int i = 0; i < 17; ++i) {
    std::string text;
    int n = 1 + static_cast<int>(rng() % 60);
    for (int w = 0; w < n; ++w) text += std::string(w ? " " : "") + words[rng() % std::size(words)];
    texts.push_back(text);
  }
  return texts;
}

/// A tiny config over small_vocab(): 2 layers, hidden 32, 4 heads, fast enough for tests.
inline ModelConfig tiny_test_config(const std::string& model_type, const std::string& pooling, bool ance_head) {
  ModelConfig c = ModelConfig::preset("tiny", model_type, static_cast<int64_t>(small_vocab().size()));
  c.hidden_size = 32;
  c.num_attention_heads = 4;
  c.intermediate_size = 64;
  c.max_position_embeddings = 128;
  c.pad_token_id = 0;  // the vocabulary's [PAD]; RoBERTa positions depend on it
  c.pooling = pooling;
  c.ance_head = ance_head;
  c.output_dim = ance_head ? 24 : 0;
  return c;
}

/// One intra-op thread: the test machines are small and shared.
inline EncodeOptions one_thread() {
  EncodeOptions o;
  o.num_threads = 1;
  return o;
}

/// Scratch directories: the data tests' TempDir.
using ScratchDir = denser_test::TempDir;

/// The message of the denser::Error that fn throws, or "(no error)".
inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace denser::test
