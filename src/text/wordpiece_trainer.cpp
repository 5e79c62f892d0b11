#include "denser/text/wordpiece_trainer.h"

#include <algorithm>
#include <chrono>
#include <queue>
#include <unordered_map>
#include <utility>

#include "denser/common/error.h"
#include "denser/common/log.h"
#include "denser/common/progress.h"
#include "denser/common/utf8.h"
#include "string_map.h"

namespace denser {

using text_internal::StringMap;

namespace {

// A pair of adjacent symbols, (left id << 32) | right id: comparing the packed values
// compares (left, right) lexicographically, which is the documented tie-break.
using Pair = uint64_t;
Pair make_pair_key(uint32_t a, uint32_t b) { return (static_cast<uint64_t>(a) << 32) | b; }
uint32_t left_of(Pair p) { return static_cast<uint32_t>(p >> 32); }
uint32_t right_of(Pair p) { return static_cast<uint32_t>(p); }

// The vocabulary being built: tokens in id order plus the reverse map.
struct Vocab {
  std::vector<std::string> tokens;
  StringMap ids;

  // Id of token, added at the end when new.
  uint32_t add(std::string_view token) {
    auto [index, inserted] = ids.insert(token, static_cast<uint32_t>(tokens.size()));
    if (inserted) tokens.emplace_back(token);
    return ids.value_at(index);
  }
  const uint32_t* find(std::string_view token) const { return ids.find(token); }
};

// Every distinct word as a sequence of symbol ids, stored back to back. Merging only
// shortens a word, so each keeps its slot and a current length.
struct Corpus {
  std::vector<uint32_t> symbols;
  std::vector<size_t> begin;
  std::vector<uint32_t> length;
  std::vector<uint64_t> count;
};

struct PairStats {
  int64_t count = 0;            // occurrences weighted by word counts, always exact
  std::vector<uint32_t> words;  // words that may contain the pair (duplicates allowed)
};

struct HeapEntry {
  uint64_t count;
  Pair pair;
};
// Highest count on top; among equal counts the smallest pair.
struct HeapBelow {
  bool operator()(const HeapEntry& x, const HeapEntry& y) const {
    return x.count != y.count ? x.count < y.count : x.pair > y.pair;
  }
};

// The incremental pair index: exact counts per pair, the words holding each pair, and a
// max-heap whose entries may be stale (checked against `stats` when popped). Counts only
// grow for pairs that contain a just-created symbol, and those are pushed afresh, so a
// stale entry can only overstate its pair and the popped current entry is the true max.
struct PairIndex {
  std::unordered_map<Pair, PairStats> stats;
  std::priority_queue<HeapEntry, std::vector<HeapEntry>, HeapBelow> heap;
  std::vector<Pair> grown;  // pairs whose count went up during the current merge

  void change(Pair p, int delta, uint32_t word, uint64_t word_count) {
    PairStats& s = stats[p];
    s.count += delta * static_cast<int64_t>(word_count);
    if (delta > 0) {
      s.words.push_back(word);
      grown.push_back(p);
    }
  }
};

// Counts each character over all word occurrences.
std::unordered_map<char32_t, uint64_t> count_characters(const StringMap& words, const std::vector<uint64_t>& counts) {
  std::unordered_map<char32_t, uint64_t> chars;
  for (size_t w = 0; w < words.size(); ++w) {
    std::string_view word = words.key_at(w);
    for (size_t pos = 0; pos < word.size();) chars[utf8::decode(word, pos)] += counts[w];
  }
  return chars;
}

// The alphabet: the limit most frequent characters (ties to the smaller code point),
// returned in code point order.
std::vector<char32_t> choose_alphabet(const std::unordered_map<char32_t, uint64_t>& chars, size_t limit) {
  std::vector<std::pair<char32_t, uint64_t>> ranked(chars.begin(), chars.end());
  if (limit > 0 && ranked.size() > limit) {
    std::sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) {
      return x.second != y.second ? x.second > y.second : x.first < y.first;
    });
    ranked.resize(limit);
  }
  std::vector<char32_t> alphabet;
  for (const auto& entry : ranked) alphabet.push_back(entry.first);
  std::sort(alphabet.begin(), alphabet.end());
  return alphabet;
}

// Adds the alphabet and the "##" forms of the characters found inside words, then
// spells every word with those symbols (dropping characters outside the alphabet).
Corpus spell_words(const StringMap& words, const std::vector<uint64_t>& counts, const std::vector<char32_t>& alphabet,
                   const std::string& prefix, Vocab& vocab) {
  std::unordered_map<char32_t, uint32_t> first_id;
  std::string text;
  for (char32_t c : alphabet) {
    text.clear();
    utf8::append(text, c);
    first_id[c] = vocab.add(text);
  }
  std::vector<char32_t> inner;  // alphabet characters that occur after a word's first one
  for (size_t w = 0; w < words.size(); ++w) {
    std::string_view word = words.key_at(w);
    size_t pos = 0;
    utf8::decode(word, pos);
    while (pos < word.size()) {
      char32_t c = utf8::decode(word, pos);
      if (first_id.count(c) != 0) inner.push_back(c);
    }
  }
  std::sort(inner.begin(), inner.end());
  inner.erase(std::unique(inner.begin(), inner.end()), inner.end());
  std::unordered_map<char32_t, uint32_t> inner_id;
  for (char32_t c : inner) {
    text = prefix;
    utf8::append(text, c);
    inner_id[c] = vocab.add(text);
  }
  Corpus corpus;
  for (size_t w = 0; w < words.size(); ++w) {
    std::string_view word = words.key_at(w);
    corpus.begin.push_back(corpus.symbols.size());
    for (size_t pos = 0; pos < word.size();) {
      const bool first = pos == 0;
      char32_t c = utf8::decode(word, pos);
      if (first_id.count(c) == 0) continue;
      corpus.symbols.push_back(first ? first_id[c] : inner_id[c]);
    }
    corpus.length.push_back(static_cast<uint32_t>(corpus.symbols.size() - corpus.begin.back()));
    corpus.count.push_back(counts[w]);
  }
  return corpus;
}

void index_pairs(const Corpus& corpus, PairIndex& index) {
  for (size_t w = 0; w < corpus.begin.size(); ++w) {
    const uint32_t* s = corpus.symbols.data() + corpus.begin[w];
    for (uint32_t i = 0; i + 1 < corpus.length[w]; ++i)
      index.change(make_pair_key(s[i], s[i + 1]), +1, static_cast<uint32_t>(w), corpus.count[w]);
  }
  for (const auto& [pair, s] : index.stats)
    if (s.count > 0) index.heap.push({static_cast<uint64_t>(s.count), pair});
  index.grown.clear();
}

// Replaces every non-overlapping occurrence of (a, b) in word w, left to right, by
// `merged`, and tells the index how the neighbouring pairs changed.
void merge_in_word(Corpus& corpus, uint32_t w, uint32_t a, uint32_t b, uint32_t merged, PairIndex& index) {
  uint32_t* s = corpus.symbols.data() + corpus.begin[w];
  const uint32_t n = corpus.length[w];
  const uint64_t count = corpus.count[w];
  uint32_t out = 0;
  for (uint32_t r = 0; r < n;) {
    if (r + 1 < n && s[r] == a && s[r + 1] == b) {
      index.change(make_pair_key(a, b), -1, w, count);
      if (out > 0) {  // the symbol before, already in its final form for this pass
        index.change(make_pair_key(s[out - 1], a), -1, w, count);
        index.change(make_pair_key(s[out - 1], merged), +1, w, count);
      }
      if (r + 2 < n) {
        index.change(make_pair_key(b, s[r + 2]), -1, w, count);
        index.change(make_pair_key(merged, s[r + 2]), +1, w, count);
      }
      s[out++] = merged;
      r += 2;
    } else {
      s[out++] = s[r++];
    }
  }
  corpus.length[w] = out;
}

void apply_merge(Corpus& corpus, Pair pair, uint32_t merged, PairIndex& index) {
  std::vector<uint32_t> words = std::move(index.stats[pair].words);
  index.stats[pair].words.clear();
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  for (uint32_t w : words) merge_in_word(corpus, w, left_of(pair), right_of(pair), merged, index);
  std::sort(index.grown.begin(), index.grown.end());
  index.grown.erase(std::unique(index.grown.begin(), index.grown.end()), index.grown.end());
  for (Pair p : index.grown) {
    int64_t count = index.stats[p].count;
    if (count > 0) index.heap.push({static_cast<uint64_t>(count), p});
  }
  index.grown.clear();
}

// Pops stale entries until the top is current; returns false when the heap runs dry.
bool pop_best(PairIndex& index, HeapEntry& best) {
  while (!index.heap.empty()) {
    HeapEntry top = index.heap.top();
    index.heap.pop();
    int64_t current = index.stats[top.pair].count;
    if (current <= 0) continue;
    if (static_cast<uint64_t>(current) != top.count) {
      index.heap.push({static_cast<uint64_t>(current), top.pair});
      continue;
    }
    best = top;
    return true;
  }
  return false;
}

}  // namespace

struct WordPieceTrainer::Counts {
  StringMap words;               // word -> index into counts
  std::vector<uint64_t> counts;  // occurrences per distinct word
  TokenList tokens;              // reused by add_text
  WordPieceTrainStats stats;
};

WordPieceTrainer::WordPieceTrainer(WordPieceTrainerOptions options)
    : options_(std::move(options)), basic_(options_.basic), counts_(std::make_unique<Counts>()) {}
WordPieceTrainer::~WordPieceTrainer() = default;
WordPieceTrainer::WordPieceTrainer(WordPieceTrainer&&) noexcept = default;
WordPieceTrainer& WordPieceTrainer::operator=(WordPieceTrainer&&) noexcept = default;

void WordPieceTrainer::add_text(std::string_view text) {
  TokenList& tokens = counts_->tokens;
  tokens.clear();
  basic_.tokenize(text, tokens);
  for (size_t i = 0; i < tokens.size(); ++i)
    if (!tokens.is_special(i)) add_word(tokens[i], 1);
  ++counts_->stats.num_texts;
}

void WordPieceTrainer::add_texts(const std::function<bool(std::string& text)>& next) {
  std::string text;
  while (next(text)) add_text(text);
}

void WordPieceTrainer::add_word(std::string_view word, uint64_t count) {
  if (word.empty() || count == 0) return;
  const size_t bad = utf8::find_invalid(word);
  DENSER_CHECK(bad == std::string_view::npos, ErrorCode::kInvalidArgument,
               "WordPieceTrainer: word is not valid UTF-8 (byte ", bad, " of a ", word.size(), "-byte word)");
  Counts& c = *counts_;
  c.stats.num_words += count;
  if (word.size() > options_.max_word_chars && utf8::count_code_points(word) > options_.max_word_chars) {
    c.stats.num_long_words += count;
    return;
  }
  auto [index, inserted] = c.words.insert(word, static_cast<uint32_t>(c.counts.size()));
  if (inserted) c.counts.push_back(0);
  c.counts[c.words.value_at(index)] += count;
}

TrainedVocab WordPieceTrainer::train() const {
  const auto start = std::chrono::steady_clock::now();
  const Counts& c = *counts_;
  TrainedVocab result;
  result.stats = c.stats;
  result.stats.num_distinct_words = c.words.size();

  Vocab vocab;
  for (const auto& token : options_.special_tokens) vocab.add(token);
  const size_t num_special = vocab.tokens.size();
  const auto alphabet = choose_alphabet(count_characters(c.words, c.counts), options_.limit_alphabet);
  Corpus corpus = spell_words(c.words, c.counts, alphabet, options_.continuation_prefix, vocab);
  result.stats.alphabet_size = alphabet.size();
  DENSER_CHECK(vocab.tokens.size() <= options_.vocab_size, ErrorCode::kInvalidArgument, "WordPieceTrainer: vocab_size ",
               options_.vocab_size, " is smaller than the initial vocabulary of ", vocab.tokens.size(), " tokens (",
               num_special, " special tokens, ", alphabet.size(),
               " characters and their continuation forms); raise vocab_size or "
               "lower limit_alphabet");

  PairIndex index;
  index_pairs(corpus, index);
  const uint64_t min_count = std::max<uint64_t>(1, options_.min_frequency);
  auto progress = make_progress("training wordpiece", options_.vocab_size - vocab.tokens.size(), "tokens");
  const std::string& prefix = options_.continuation_prefix;
  HeapEntry best{};
  while (vocab.tokens.size() < options_.vocab_size && pop_best(index, best) && best.count >= min_count) {
    std::string token = vocab.tokens[left_of(best.pair)];
    std::string_view right = vocab.tokens[right_of(best.pair)];
    if (!prefix.empty() && right.starts_with(prefix)) right.remove_prefix(prefix.size());
    token.append(right);
    const size_t before = vocab.tokens.size();
    const uint32_t merged = vocab.add(token);
    apply_merge(corpus, best.pair, merged, index);
    ++result.stats.num_merges;
    if (vocab.tokens.size() > before) progress->advance(1);
  }
  progress->finish();
  result.tokens = std::move(vocab.tokens);
  result.stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  DENSER_LOG_INFO("wordpiece trainer: ", result.tokens.size(), " tokens from ", result.stats.num_distinct_words,
                  " distinct words, ", result.stats.alphabet_size, " characters, ", result.stats.num_merges,
                  " merges in ", result.stats.seconds, " s");
  return result;
}

}  // namespace denser
