#include "denser/text/wordpiece_trainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <set>

#include "denser/common/error.h"
#include "denser/common/utf8.h"
#include "denser/text/wordpiece.h"
#include "text/bert_test_util.h"

namespace denser {
namespace {

using Tokens = std::vector<std::string>;

const Tokens kSpecials = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};

WordPieceTrainerOptions small_options(size_t vocab_size, uint64_t min_frequency = 1) {
  WordPieceTrainerOptions options;
  options.vocab_size = vocab_size;
  options.min_frequency = min_frequency;
  options.limit_alphabet = 0;
  return options;
}

// The classic toy corpus: hug x10, pug x5, pun x12, bun x4, hugs x5.
WordPieceTrainer toy_trainer(WordPieceTrainerOptions options) {
  WordPieceTrainer trainer(std::move(options));
  trainer.add_word("hug", 10);
  trainer.add_word("pug", 5);
  trainer.add_word("pun", 12);
  trainer.add_word("bun", 4);
  trainer.add_word("hugs", 5);
  return trainer;
}

Tokens tail(const Tokens& tokens, size_t from) {
  return Tokens(tokens.begin() + static_cast<std::ptrdiff_t>(from), tokens.end());
}

TEST(WordPieceTrainer, ToyCorpusMergesWorkedOutByHand) {
  TrainedVocab v = toy_trainer(small_options(100)).train();
  // Initial vocabulary: specials; characters by code point; "##" forms of the characters
  // seen inside words (g n s u), by code point.
  Tokens initial = kSpecials;
  for (const char* t : {"b", "g", "h", "n", "p", "s", "u", "##g", "##n", "##s", "##u"}) initial.push_back(t);
  ASSERT_GE(v.tokens.size(), initial.size());
  EXPECT_EQ(Tokens(v.tokens.begin(), v.tokens.begin() + 16), initial);
  // Pair counts: (##u,##g) 10+5+5=20, (p,##u) 17, (##u,##n) 16, (h,##u) 15, (##g,##s) 5,
  // (b,##u) 4. Merge 1: ##ug (20). Then (##u,##n) 16 -> ##un; (h,##ug) 15 -> hug;
  // (p,##un) 12 -> pun; then a tie at 5 between (p,##ug) ids (9,16) and (hug,##s) ids
  // (18,14): the smaller pair goes first -> pug, then hugs; last (b,##un) 4 -> bun.
  EXPECT_EQ(tail(v.tokens, 16), Tokens({"##ug", "##un", "hug", "pun", "pug", "hugs", "bun"}));
  EXPECT_EQ(v.stats.num_merges, 7u);
  EXPECT_EQ(v.stats.alphabet_size, 7u);
  EXPECT_EQ(v.stats.num_distinct_words, 5u);
  EXPECT_EQ(v.stats.num_words, 36u);
}

TEST(WordPieceTrainer, HonoursVocabSizeAndMinFrequency) {
  TrainedVocab capped = toy_trainer(small_options(21)).train();
  EXPECT_EQ(capped.tokens.size(), 21u);
  EXPECT_EQ(capped.tokens.back(), "pug");
  // min_frequency 5 stops before (b,##un) at 4.
  TrainedVocab frequent = toy_trainer(small_options(100, 5)).train();
  EXPECT_EQ(frequent.tokens.size(), 22u);
  EXPECT_EQ(frequent.tokens.back(), "hugs");
  // A vocab_size below the initial 16 tokens is an error, not a silent overrun.
  EXPECT_THROW(toy_trainer(small_options(15)).train(), Error);
  EXPECT_EQ(toy_trainer(small_options(16)).train().tokens.size(), 16u);
}

TEST(WordPieceTrainer, LimitAlphabetKeepsMostFrequentCharacters) {
  WordPieceTrainerOptions options = small_options(100);
  options.limit_alphabet = 3;
  WordPieceTrainer trainer(options);
  trainer.add_word("aaa", 2);  // a:6
  trainer.add_word("bc", 3);   // b:3 c:3
  trainer.add_word("d", 3);    // d:3, ties with b and c: the larger code point (d) goes
  TrainedVocab v = trainer.train();
  EXPECT_EQ(v.stats.alphabet_size, 3u);
  EXPECT_EQ(Tokens(v.tokens.begin() + 5, v.tokens.begin() + 10), Tokens({"a", "b", "c", "##a", "##c"}));
  EXPECT_EQ(std::count(v.tokens.begin(), v.tokens.end(), "d"), 0);
}

TEST(WordPieceTrainer, CountsTextsThroughTheBasicTokenizer) {
  WordPieceTrainer trainer(small_options(100));
  std::vector<std::string> texts = {"Hug hug, HUG!", "[CLS] pug"};
  size_t next = 0;
  trainer.add_texts([&](std::string& text) {
    if (next == texts.size()) return false;
    text = texts[next++];
    return true;
  });
  TrainedVocab v = trainer.train();
  EXPECT_EQ(v.stats.num_texts, 2u);
  EXPECT_EQ(v.stats.num_words, 6u);  // hug x3, ",", "!", pug; [CLS] is not counted
  EXPECT_EQ(v.stats.num_distinct_words, 4u);
  EXPECT_NE(std::find(v.tokens.begin(), v.tokens.end(), "hug"), v.tokens.end());
  EXPECT_THROW(trainer.add_word("bad\xFF"), Error);
}

TEST(WordPieceTrainer, SkipsOverlongWords) {
  WordPieceTrainer trainer(small_options(100));
  trainer.add_word(std::string(101, 'z'), 3);
  trainer.add_word("ok", 1);
  TrainedVocab v = trainer.train();
  EXPECT_EQ(v.stats.num_long_words, 3u);
  EXPECT_EQ(std::count(v.tokens.begin(), v.tokens.end(), "z"), 0);
}

// ------------------------------------------------------------------ brute-force oracle

// Recounts every pair from scratch before each merge: slow and obviously right.
Tokens naive_train(const std::map<std::string, uint64_t>& words, size_t vocab_size, uint64_t min_frequency) {
  Tokens vocab = kSpecials;
  auto id_of = [&](const std::string& t) {
    auto it = std::find(vocab.begin(), vocab.end(), t);
    if (it != vocab.end()) return static_cast<uint32_t>(it - vocab.begin());
    vocab.push_back(t);
    return static_cast<uint32_t>(vocab.size() - 1);
  };
  std::set<char32_t> chars, inner;
  std::vector<std::pair<std::vector<char32_t>, uint64_t>> spelled;
  for (const auto& [word, count] : words) {
    std::vector<char32_t> cps;
    for (size_t pos = 0; pos < word.size();) cps.push_back(utf8::decode(word, pos));
    chars.insert(cps.begin(), cps.end());
    inner.insert(cps.begin() + 1, cps.end());
    spelled.emplace_back(cps, count);
  }
  auto text = [](char32_t c) {
    std::string s;
    utf8::append(s, c);
    return s;
  };
  for (char32_t c : chars) id_of(text(c));
  for (char32_t c : inner) id_of("##" + text(c));
  std::vector<std::pair<std::vector<uint32_t>, uint64_t>> corpus;
  for (const auto& [cps, count] : spelled) {
    std::vector<uint32_t> symbols;
    for (size_t i = 0; i < cps.size(); ++i) symbols.push_back(id_of((i ? "##" : "") + text(cps[i])));
    corpus.emplace_back(symbols, count);
  }
  while (vocab.size() < vocab_size) {
    std::map<std::pair<uint32_t, uint32_t>, uint64_t> pairs;  // ordered: ties go to the smallest
    for (const auto& [s, count] : corpus)
      for (size_t i = 0; i + 1 < s.size(); ++i) pairs[{s[i], s[i + 1]}] += count;
    auto best = pairs.end();
    for (auto it = pairs.begin(); it != pairs.end(); ++it)
      if (best == pairs.end() || it->second > best->second) best = it;
    if (best == pairs.end() || best->second < std::max<uint64_t>(1, min_frequency)) break;
    auto [a, b] = best->first;
    uint32_t merged = id_of(vocab[a] + vocab[b].substr(vocab[b].rfind("##", 0) == 0 ? 2 : 0));
    for (auto& [s, count] : corpus) {
      std::vector<uint32_t> out;
      for (size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == a && s[i + 1] == b) {
          out.push_back(merged);
          ++i;
        } else {
          out.push_back(s[i]);
        }
      }
      s = out;
    }
  }
  return vocab;
}

TEST(WordPieceTrainer, MatchesBruteForceOnRandomCorpora) {
  std::mt19937 rng(7);
  const std::vector<std::string> letters = {"a", "b", "c", "d", "é", "ß", "中"};
  for (int round = 0; round < 20; ++round) {
    std::map<std::string, uint64_t> words;
    std::uniform_int_distribution<size_t> length(1, 9), letter(0, round % 2 ? 2 : letters.size() - 1);
    std::uniform_int_distribution<uint64_t> count(1, 30);
    for (int w = 0; w < 60; ++w) {
      std::string word;
      for (size_t n = length(rng); n > 0; --n) word += letters[letter(rng)];
      words[word] += count(rng);
    }
    WordPieceTrainerOptions options = small_options(40 + static_cast<size_t>(round) * 10, round % 3);
    WordPieceTrainer trainer(options);
    // Insert in a shuffled order: the result must not depend on it.
    std::vector<std::pair<std::string, uint64_t>> shuffled(words.begin(), words.end());
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    for (const auto& [word, c] : shuffled) trainer.add_word(word, c);
    EXPECT_EQ(trainer.train().tokens, naive_train(words, options.vocab_size, options.min_frequency))
        << "round " << round;
  }
}

TEST(WordPieceTrainer, DeterministicAcrossRunsAndInsertionOrder) {
  std::vector<std::string> texts = {"the cat sat on the mat", "a cat and a hat", "that hat, the mat!"};
  auto train = [&](bool reversed) {
    WordPieceTrainer trainer(small_options(60));
    if (reversed) {
      for (auto it = texts.rbegin(); it != texts.rend(); ++it) trainer.add_text(*it);
    } else {
      for (const auto& t : texts) trainer.add_text(t);
    }
    return trainer.train().tokens;
  };
  Tokens first = train(false);
  EXPECT_EQ(first, train(false));
  EXPECT_EQ(first, train(true));
}

// ------------------------------------------------------------------ round trip through WordPiece

// Every word the trainer saw must tokenize without [UNK] with the vocabulary it made,
// and the pieces must spell the word.
void expect_round_trip(const std::vector<std::string>& texts, const Tokens& vocab) {
  WordPiece wp(vocab);
  BasicTokenizer basic;
  size_t words = 0;
  for (const auto& text : texts) {
    for (const auto& word : basic.tokenize(text)) {
      std::vector<int32_t> ids;
      wp.encode_word(word, ids);
      ASSERT_EQ(std::count(ids.begin(), ids.end(), wp.unk_id()), 0) << word;
      std::string spelled;
      for (int32_t id : ids) {
        const std::string& piece = wp.id_to_token(id);
        spelled += spelled.empty() ? piece : piece.substr(2);
      }
      ASSERT_EQ(spelled, word);
      ++words;
    }
  }
  EXPECT_GT(words, 0u);
}

TEST(WordPieceTrainer, TrainedVocabRoundTripsThroughWordPiece) {
  std::vector<std::string> texts = {"Héllo wörld, the quick brown fox.", "中文 text with 数字 123 and symbols ±∞",
                                    "unaffable unaffableness affable"};
  TrainedVocab v = [&] {
    WordPieceTrainer trainer(small_options(120));
    for (const auto& t : texts) trainer.add_text(t);
    return trainer.train();
  }();
  EXPECT_EQ(Tokens(v.tokens.begin(), v.tokens.begin() + 5), kSpecials);
  expect_round_trip(texts, v.tokens);
  // And through vocab.txt on disk.
  auto path = (test::test_temp_dir("trainer") / "vocab.txt").string();
  save_vocab_txt(path, v.tokens);
  EXPECT_EQ(load_vocab_txt(path), v.tokens);
}

TEST(WordPieceTrainer, SciFactEightThousandTokens) {
  if (!file_exists(test::scifact_corpus_path())) GTEST_SKIP() << "../shared not found: " << test::scifact_corpus_path();
  std::vector<std::string> texts;
  LineReader reader(test::scifact_corpus_path());
  WordPieceTrainerOptions options;
  options.vocab_size = 8000;
  WordPieceTrainer trainer(options);
  trainer.add_texts([&](std::string& text) {
    std::string line;
    if (!reader.next(line)) return false;
    text = nlohmann::json::parse(line).at("text").get<std::string>();
    if (texts.size() < 300) texts.push_back(text);
    return true;
  });
  TrainedVocab v = trainer.train();
  EXPECT_EQ(v.tokens.size(), 8000u);
  EXPECT_EQ(v.stats.num_texts, 5183u);
  std::printf(
      "[ perf ] wordpiece trainer on SciFact: %llu words (%llu distinct), %llu characters, %llu merges, "
      "%.2f s\n",
      static_cast<unsigned long long>(v.stats.num_words), static_cast<unsigned long long>(v.stats.num_distinct_words),
      static_cast<unsigned long long>(v.stats.alphabet_size), static_cast<unsigned long long>(v.stats.num_merges),
      v.stats.seconds);
  if (v.stats.alphabet_size < 1000) expect_round_trip(texts, v.tokens);  // no character was cut
}

}  // namespace
}  // namespace denser
