#pragma once
// Learns a WordPiece vocabulary from a collection, for collections that come without a
// pretrained vocab.txt. Same algorithm as Hugging Face tokenizers' WordPieceTrainer (a
// BPE trainer with "##" continuation symbols): count the basic tokenizer's words, start
// from their characters, then repeatedly merge the most frequent adjacent pair of symbols
// until the vocabulary is large enough. Deterministic: ties are broken by a fixed rule.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "denser/text/bert_tokenizer.h"

namespace denser {

struct WordPieceTrainerOptions {
  /// Target vocabulary size, special tokens included. Training stops there or when no
  /// pair occurs min_frequency times. Must be at least the initial vocabulary (specials,
  /// alphabet and its "##" forms), else train() throws.
  size_t vocab_size = 30000;
  /// A pair is merged only if it occurs at least this often (weighted by word counts).
  uint64_t min_frequency = 2;
  /// Keep only the this many most frequent characters (0: all). Dropped characters are
  /// removed from the words they occur in, as Hugging Face does; WordPiece later maps
  /// words containing them to [UNK].
  size_t limit_alphabet = 1000;
  /// Put first, in this order (ids 0, 1, ...).
  std::vector<std::string> special_tokens = bert_special_tokens();
  std::string continuation_prefix = "##";
  /// Words longer than this (in code points) are not counted: WordPiece maps them to [UNK]
  /// whatever the vocabulary, so they would only waste merges.
  size_t max_word_chars = 100;
  /// How texts are split into words (the same as the WordPiece that will use the vocab).
  BasicTokenizerOptions basic;
};

struct WordPieceTrainStats {
  uint64_t num_texts = 0;
  uint64_t num_words = 0;  // word occurrences counted
  uint64_t num_distinct_words = 0;
  uint64_t num_long_words = 0;  // occurrences skipped for being over max_word_chars
  uint64_t alphabet_size = 0;   // characters kept
  uint64_t num_merges = 0;      // merges done (some may re-create an existing token)
  double seconds = 0;           // time spent in train()
};

struct TrainedVocab {
  std::vector<std::string> tokens;  // in id order; save with save_vocab_txt()
  WordPieceTrainStats stats;
};

/// Usage: add texts (any number of calls, e.g. while streaming a corpus), then train().
/// Not thread-safe. Memory: O(distinct words + their characters).
///
/// Vocabulary order: special tokens; then the kept characters by code point; then the
/// "##" forms of the characters that occur inside words, by code point; then one token
/// per merge in merge order. Merge rule: the pair (a, b) of adjacent symbols with the
/// highest count (summed over word occurrences) is merged into a + b-without-"##"; ties
/// go to the smallest (id of a, id of b), i.e. the pair whose symbols entered the
/// vocabulary first. Characters cut by limit_alphabet: lowest count first, ties to the
/// larger code point. Counting uses an incremental pair index, so each merge costs time
/// proportional to the words that contain the merged pair, not to the corpus.
class WordPieceTrainer {
 public:
  explicit WordPieceTrainer(WordPieceTrainerOptions options = {});
  ~WordPieceTrainer();
  WordPieceTrainer(WordPieceTrainer&&) noexcept;
  WordPieceTrainer& operator=(WordPieceTrainer&&) noexcept;

  /// Basic-tokenizes `text` (UTF-8) and counts its words; special tokens are skipped.
  void add_text(std::string_view text);
  /// Calls next(text) until it returns false, adding each text: the way to stream a
  /// corpus through without holding it in memory.
  void add_texts(const std::function<bool(std::string& text)>& next);
  /// Counts an already-split word `count` times (bypasses the basic tokenizer).
  void add_word(std::string_view word, uint64_t count = 1);

  /// Learns the vocabulary from the words counted so far. The counts stay: more texts can
  /// be added and train() called again. Throws denser::Error when vocab_size is smaller
  /// than the initial vocabulary.
  TrainedVocab train() const;

  const WordPieceTrainerOptions& options() const { return options_; }

 private:
  struct Counts;
  WordPieceTrainerOptions options_;
  BasicTokenizer basic_;
  std::unique_ptr<Counts> counts_;
};

}  // namespace denser
